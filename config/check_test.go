package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// expectation matches "! want: LINE:COL: msg" (an error) or "! warn: ..." (a
// warning) in a testdata/check file; YAML files use "#". The comment sits on
// the offending line where it can, so the expected message is next to the
// input that must produce it.
var expectation = regexp.MustCompile(`[!#] (want|warn): `)

func expectations(src string) (errs, warns []string) {
	for _, line := range strings.Split(src, "\n") {
		locs := expectation.FindAllStringSubmatchIndex(line, -1)
		for i, loc := range locs {
			end := len(line)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			text := strings.TrimSpace(line[loc[1]:end])
			if line[loc[2]:loc[3]] == "want" {
				errs = append(errs, text)
			} else {
				warns = append(warns, text)
			}
		}
	}
	return errs, warns
}

// short renders a list without file names, checking that they are right.
func short(t *testing.T, file string, l ErrorList) []string {
	t.Helper()
	var out []string
	for _, e := range l {
		if e.Pos.File != file {
			t.Errorf("%v: file name %q, want %q", e, e.Pos.File, file)
		}
		out = append(out, fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg))
	}
	return out
}

// diffLines reports the lines missing from got and the unexpected ones.
func diffLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing %s:    %s", what, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("unexpected %s: %s", what, g)
		}
	}
}

// TestCheckFiles loads every file in testdata/check and compares the errors
// (or, for a valid file, the warnings) with the expectations in its
// comments.
func TestCheckFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/check/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no check files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			wantErrs, wantWarns := expectations(string(src))
			if len(wantErrs)+len(wantWarns) == 0 {
				t.Fatal("file has no want: or warn: comments")
			}
			c, err := Load(file)
			var list ErrorList
			switch {
			case err == nil:
				diffLines(t, "warning", short(t, file, c.Warnings), wantWarns)
			case !errors.As(err, &list):
				t.Fatalf("error is a %T, want an ErrorList: %v", err, err)
			default:
				if c != nil {
					t.Error("got a Config along with errors")
				}
				if !slices.IsSortedFunc(list, func(a, b *Error) int { return a.Pos.compare(b.Pos) }) {
					t.Error("errors not sorted by position")
				}
				diffLines(t, "error", short(t, file, list), wantErrs)
				if len(wantWarns) > 0 {
					t.Error("file expects warnings, but warnings are only returned for a valid file")
				}
			}
		})
	}
}
