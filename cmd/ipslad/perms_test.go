package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestUnsafePaths(t *testing.T) {
	dir := t.TempDir()
	safe := filepath.Join(dir, "safe")
	open := filepath.Join(dir, "open")
	sticky := filepath.Join(dir, "sticky")
	for _, d := range []string{safe, open, sticky} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// chmod, not Mkdir's mode: the umask would clear the bits.
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sticky, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	write := func(p string, mode os.FileMode) string {
		if err := os.WriteFile(p, []byte("ip route 192.0.2.0 255.255.255.0 10.0.0.1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write(filepath.Join(safe, "ipslad.cfg"), 0o644)
	worldFile := write(filepath.Join(safe, "world.cfg"), 0o666)
	inOpenDir := write(filepath.Join(open, "ipslad.cfg"), 0o644)
	for _, tc := range []struct {
		name, file, socket string
		want               []string
	}{
		{"all safe", good, filepath.Join(safe, "ipslad.sock"), nil},
		{"no socket", good, "", nil},
		{"world-writable file", worldFile, filepath.Join(safe, "ipslad.sock"),
			[]string{"configuration file " + worldFile + " is world-writable (mode 0666)"}},
		{"world-writable config directory", inOpenDir, "",
			[]string{"configuration directory " + open + " is world-writable (mode 0777)"}},
		{"socket in a world-writable directory", good, filepath.Join(open, "ipslad.sock"),
			[]string{"control socket directory " + open + " is world-writable (mode 0777)"}},
		{"socket in a sticky directory", good, filepath.Join(sticky, "ipslad.sock"),
			[]string{"control socket directory " + sticky + " is world-writable (mode 1777)"}},
		{"socket directory not made yet", good, filepath.Join(safe, "run", "ipslad.sock"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := unsafePaths(tc.file, tc.socket); !slices.Equal(got, tc.want) {
				t.Errorf("unsafePaths(%s, %s) = %q, want %q", tc.file, tc.socket, got, tc.want)
			}
		})
	}
}

func TestLacksNetAdmin(t *testing.T) {
	for _, tc := range []struct {
		name, status string
		want         bool
	}{
		{"root", "Name:\tipslad\nCapEff:\t000001ffffffffff\n", false},
		{"net_admin and net_raw only", "CapInh:\t0000000000003000\nCapEff:\t0000000000003000\n", false},
		{"net_raw only", "CapEff:\t0000000000002000\n", true},
		{"nothing", "CapEff:\t0000000000000000\n", true},
		{"no CapEff line", "Name:\tipslad\n", false},
		{"garbage", "CapEff:\tzz\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := lacksNetAdmin(tc.status); got != tc.want {
				t.Errorf("lacksNetAdmin(%q) = %v, want %v", tc.status, got, tc.want)
			}
		})
	}
}
