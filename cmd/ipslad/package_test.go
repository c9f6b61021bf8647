package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit checks the unit's promises (notify, watchdog, flush on
// stop, bounded capabilities, sandbox) and that every flag it passes to
// ipslad exists.
func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile("../../packaging/ipslad.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			unit[k] = v
		}
	}
	for k, want := range map[string]string{
		"Type":                  "notify",
		"WatchdogSec":           "10s",
		"ExecStopPost":          "/usr/sbin/ipslad --flush -f /etc/ipslad/ipslad.cfg",
		"AmbientCapabilities":   "CAP_NET_ADMIN CAP_NET_RAW",
		"CapabilityBoundingSet": "CAP_NET_ADMIN CAP_NET_RAW",
		"NoNewPrivileges":       "yes",
		"ProtectSystem":         "strict",
		"RuntimeDirectory":      "ipslad",
	} {
		if unit[k] != want {
			t.Errorf("%s=%q, want %q", k, unit[k], want)
		}
	}
	var help bytes.Buffer
	run([]string{"-h"}, &help, &help)
	for _, k := range []string{"ExecStartPre", "ExecStart", "ExecStopPost"} {
		for _, f := range strings.Fields(unit[k]) {
			if strings.HasPrefix(f, "-") && !strings.Contains(help.String(), "  -"+strings.TrimLeft(f, "-")+" ") &&
				!strings.Contains(help.String(), "  -"+strings.TrimLeft(f, "-")+"\n") {
				t.Errorf("%s passes %s, which ipslad -h does not list", k, f)
			}
		}
	}
}

// TestDebianPackage builds the .deb with the repository's own script and
// lists it with dpkg-deb.
func TestDebianPackage(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb not installed")
	}
	if testing.Short() {
		t.Skip("builds both binaries; skipped with -short")
	}
	out := t.TempDir()
	cmd := exec.Command("../../packaging/build-deb.sh", out)
	cmd.Env = append(os.Environ(), "VERSION=1.2.3", "GO="+goTool())
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("build-deb.sh: %v\n%s", err, b)
	}
	deb := strings.TrimSpace(string(b))
	if filepath.Dir(deb) != out || !strings.HasPrefix(filepath.Base(deb), "ipslad_1.2.3_") {
		t.Fatalf("build-deb.sh printed %q", deb)
	}
	list, err := exec.Command("dpkg-deb", "-c", deb).CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-deb -c: %v\n%s", err, list)
	}
	for _, f := range []string{"./usr/sbin/ipslad", "./usr/bin/ipslactl", "./lib/systemd/system/ipslad.service",
		"./etc/ipslad/ipslad.cfg", "./etc/default/ipslad"} {
		if !strings.Contains(string(list), " "+f+"\n") {
			t.Errorf("package lacks %s:\n%s", f, list)
		}
	}
	dir := t.TempDir()
	if b, err := exec.Command("dpkg-deb", "-e", deb, dir).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -e: %v\n%s", err, b)
	}
	conffiles, _ := os.ReadFile(filepath.Join(dir, "conffiles"))
	if !strings.Contains(string(conffiles), "/etc/ipslad/ipslad.cfg\n") {
		t.Errorf("conffiles:\n%s", conffiles)
	}
	// The packaged example configuration is valid.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-check", "-f", "../../packaging/ipslad.cfg"}, &stdout, &stderr); code != 0 {
		t.Errorf("ipslad -check packaging/ipslad.cfg: exit %d\n%s", code, stderr.String())
	}
}
