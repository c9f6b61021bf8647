package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestLex(t *testing.T) {
	// Each want line is "LINE indent: word@col ...", with a trailing
	// "err@col" for a lexical error.
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"words and columns", "ip sla 101\n dns a.example  name-server\t10.0.0.1",
			[]string{"1 0: ip@1 sla@4 101@8", "2 1: dns@2 a.example@6 name-server@17 10.0.0.1@29"}},
		{"blank and comment lines are dropped", "\n   \n!\n  ! indented comment\nend\n",
			[]string{"5 0: end@1"}},
		{"a word starting with ! starts a comment", "owner a!b ! the rest\n!x",
			[]string{"1 0: owner@1 a!b@7"}},
		{"a quoted string is one word", `tag "a b ! c" d`,
			[]string{"1 0: tag@1 a b ! c@5 d@15"}},
		{"empty quotes", `owner "" x`,
			[]string{"1 0: owner@1 @7 x@10"}},
		{"a quote inside a word is literal", `owner a"b`,
			[]string{`1 0: owner@1 a"b@7`}},
		{"unterminated quote", "owner \"x y\nend",
			[]string{"1 0: owner@1 x y@7 err@7", "2 0: end@1"}},
		{"CRLF and tabs", "\tip sla 1\r\n",
			[]string{"1 1: ip@2 sla@5 1@9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, l := range lex("f", []byte(tc.src)) {
				var ws []string
				for _, w := range l.words {
					ws = append(ws, fmt.Sprintf("%s@%d", w.text, w.col))
				}
				if l.err != nil {
					ws = append(ws, fmt.Sprintf("err@%d", l.err.Pos.Col))
				}
				if l.pos.Col != l.words[0].col || l.pos.File != "f" {
					t.Errorf("line %d: pos %v, first word at %d", l.pos.Line, l.pos, l.words[0].col)
				}
				got = append(got, fmt.Sprintf("%d %d: %s", l.pos.Line, l.indent, strings.Join(ws, " ")))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestLexWordEnd(t *testing.T) {
	l := lex("f", []byte(` a "bc" d`))[0]
	for i, want := range []int{3, 8, 10} {
		if l.words[i].end != want {
			t.Errorf("word %d (%q) ends at %d, want %d", i, l.words[i].text, l.words[i].end, want)
		}
	}
}
