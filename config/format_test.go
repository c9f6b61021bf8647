package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipslad/ipslad/route"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// validFiles are the testdata and example files that must load cleanly.
func validFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"testdata/*.cfg", "testdata/*.yaml", "../examples/*.cfg", "../examples/*.yaml", "../examples/*.yml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no files")
	}
	return files
}

// TestGolden compares Format of every testdata file with
// testdata/golden/NAME.golden; go test -update rewrites them.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.*")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			c, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			got := Format(c)
			golden := filepath.Join("testdata/golden", filepath.Base(file)+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("Format differs from %s:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// TestSeedIsCanonical: the seed config is already in canonical form.
func TestSeedIsCanonical(t *testing.T) {
	src, err := os.ReadFile("../examples/seed.cfg")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("seed.cfg", src)
	if err != nil {
		t.Fatal(err)
	}
	if got := Format(c); got != string(src) {
		t.Errorf("Format(seed):\n%s\nwant:\n%s", got, src)
	}
}

// TestTwins checks that each .cfg file and its .yaml twin give one model.
func TestTwins(t *testing.T) {
	names := []string{"testdata/seed", "testdata/full", "testdata/tracks", "testdata/schedules", "testdata/groups", "testdata/reactions"}
	// Every example with a YAML twin, so the examples cannot drift apart.
	twins, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(twins) == 0 {
		t.Fatalf("no YAML examples found: %v", err)
	}
	for _, y := range twins {
		names = append(names, strings.TrimSuffix(y, ".yaml"))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			cfg, err := Load(name + ".cfg")
			if err != nil {
				t.Fatal(err)
			}
			yml, err := Load(name + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			if !cfg.Equal(yml) {
				t.Errorf("models differ:\ncfg:\n%s\nyaml:\n%s", Format(cfg), Format(yml))
			}
			if len(cfg.Warnings) != len(yml.Warnings) {
				t.Errorf("warnings differ:\ncfg:\n%v\nyaml:\n%v", cfg.Warnings, yml.Warnings)
			}
		})
	}
}

// TestRoundTrip: Parse(Format(c)) gives c's model back, and Format is
// stable.
func TestRoundTrip(t *testing.T) {
	for _, file := range validFiles(t) {
		t.Run(file, func(t *testing.T) {
			c, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, c)
		})
	}
}

func roundTrip(t *testing.T, c *Config) {
	t.Helper()
	text := Format(c)
	c2, err := Parse("formatted.cfg", []byte(text))
	if err != nil {
		t.Fatalf("Parse(Format(c)): %v\n%s", err, text)
	}
	if !c2.Equal(c) {
		t.Fatalf("Parse(Format(c)) differs:\n%s\nwant:\n%s", dump(c2), dump(c))
	}
	if text2 := Format(c2); text2 != text {
		t.Fatalf("Format not stable:\n%s\nthen:\n%s", text, text2)
	}
}

// TestExamples loads every file in ../examples, so that they cannot rot.
func TestExamples(t *testing.T) {
	files, _ := filepath.Glob("../examples/*")
	n := 0
	for _, file := range files {
		switch filepath.Ext(file) {
		case ".cfg", ".yaml", ".yml":
		default:
			continue
		}
		n++
		t.Run(filepath.Base(file), func(t *testing.T) {
			c, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.Warnings {
				t.Logf("warning: %v", w)
			}
		})
	}
	if n == 0 {
		t.Error("no examples found")
	}
}

func TestEqual(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c, base *Config)
		equal  bool
	}{
		{"same", func(c, base *Config) {}, true},
		{"warnings and skipped lines do not count", func(c, base *Config) {
			c.Warnings.Add(Pos{}, "x")
			c.Skipped = 3
		}, true},
		{"nil and empty slices are equal", func(c, base *Config) { c.Routes, base.Routes = nil, []route.Static{} }, true},
		{"dns differs", func(c, base *Config) {
			d := *c.Operations[0].DNS
			d.SourcePort = 1
			c.Operations[0].DNS = &d
		}, false},
		{"dns missing", func(c, base *Config) { c.Operations[0].DNS = nil }, false},
		{"frequency differs", func(c, base *Config) { c.Operations[0].Frequency++ }, false},
		{"track differs", func(c, base *Config) { c.Tracks[0].DelayUp++ }, false},
		{"route differs", func(c, base *Config) { c.Routes[0].Tag++ }, false},
		{"one more route", func(c, base *Config) { c.Routes = append(c.Routes, c.Routes[0]) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, base := seedModel(), seedModel()
			tc.change(c, base)
			if got := c.Equal(base); got != tc.equal {
				t.Errorf("Equal = %v, want %v", got, tc.equal)
			}
		})
	}
}
