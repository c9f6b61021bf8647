package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// addSeeds adds every testdata file matching patterns to the fuzz corpus.
func addSeeds(f *testing.F, patterns ...string) {
	for _, pattern := range patterns {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
}

// checkResult: no panic got us here; every error must have a position, and
// a valid config must survive Format and Parse.
func checkResult(t *testing.T, c *Config, err error) {
	if err != nil {
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error is not a non-empty ErrorList: %#v", err)
		}
		for _, e := range list {
			if e.Pos.Line < 1 || e.Pos.Col < 1 || e.Pos.File != "fuzz" {
				t.Fatalf("error without a valid position: %#v", e)
			}
		}
		if c != nil {
			t.Fatal("Config returned with errors")
		}
		return
	}
	for _, w := range c.Warnings {
		if w.Pos.Line < 1 {
			t.Fatalf("warning without a position: %#v", w)
		}
	}
	roundTrip(t, c)
}

func FuzzParse(f *testing.F) {
	addSeeds(f, "testdata/*.cfg", "testdata/check/*.cfg")
	for _, s := range []string{
		"", "!", "ip sla 1\n dns a name-server 10.0.0.1\n", "banner motd ^C\n", "ip route 0.0.0.0 0.0.0.0 eth0",
		"owner \"", "no", "track 1 ip sla 1\n delay up 1 down 2", "ipv6 route ::/0 fe80::1",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := Parse("fuzz", src)
		checkResult(t, c, err)
	})
}

func FuzzParseYAML(f *testing.F) {
	addSeeds(f, "testdata/*.yaml", "testdata/check/*.yaml")
	for _, s := range []string{"", "---\n", "ip-sla: &a [*a]\n", "track: [{id: 1, ip-sla: 1}]", "routes: {}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := ParseYAML("fuzz", src)
		checkResult(t, c, err)
	})
}
