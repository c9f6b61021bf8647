package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRestartAndCrash runs the real ipslad against a real nsd and the real
// kernel through its life cycle: a planned restart (-keep-routes, then a new
// start that adopts the route without touching it), a crash (SIGKILL leaves
// the route), and the dead-man's switch (ipslad --flush removes only
// ipslad's routes). Foreign routes to the same prefix and to another one are
// never touched.
func TestRestartAndCrash(t *testing.T) {
	requireLab(t)
	bin := buildIpslad(t)
	l := newLab(t)
	r, d := l.netns("r", true), l.netns("d", false)
	l.link(r, routerToDNS+"/24", d, dnsUnicast+"/24")
	ip(t, d, "addr", "add", anycastPrefix, "dev", "lo")
	startNSD(t, d, "", []string{dnsUnicast}, seedZone(d))

	// Foreign routes: the administrator's own, same prefix at another metric,
	// and another prefix. ipslad must never touch them.
	ip(t, r, "route", "add", anycastPrefix, "via", dnsUnicast, "metric", "50", "proto", "static")
	ip(t, r, "route", "add", "198.51.100.0/24", "via", dnsUnicast, "proto", "static")
	foreign := func() string {
		return mustRun(t, "ip", "-n", r, "route", "show", "proto", "static")
	}
	foreignBefore := foreign()

	dir := t.TempDir()
	cfg := filepath.Join(dir, "ipslad.cfg")
	if err := os.WriteFile(cfg, []byte(seedIpsladConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "ipslad.sock")
	ours := func() (kroute, bool) {
		out, err := run(10*time.Second, "ip", "-n", r, "route", "show", "proto", "200")
		if err != nil || !strings.Contains(out, anycastAddr) {
			return kroute{}, false
		}
		return kroute{Dst: anycastAddr, Protocol: "200"}, true
	}
	present := func() bool { _, ok := ours(); return ok }

	// 1. Planned restart: -keep-routes leaves the route on SIGTERM.
	first := startIpslad(t, r, cfg, "--socket", sock, "--keep-routes")
	if _, ok := waitFor(t, 30*time.Second, 20*time.Millisecond, present); !ok {
		t.Fatalf("route not installed:\n%s", first.Output())
	}
	first.Signal(syscall.SIGTERM)
	if code := first.Wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM with -keep-routes", code)
	}
	if !present() {
		t.Fatal("-keep-routes: route withdrawn on SIGTERM")
	}

	// 2. The next start adopts it: no netlink route event for the prefix
	// while it starts and its probes succeed.
	mon := exec.Command("ip", "-n", r, "monitor", "route")
	var events syncBuffer
	mon.Stdout = &events
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mon.Process.Kill(); mon.Wait() })
	time.Sleep(200 * time.Millisecond) // let the monitor subscribe
	second := startIpslad(t, r, cfg, "--socket", sock)
	if !second.WaitOutput("adopted routes", 10*time.Second) {
		t.Fatalf("second start did not adopt:\n%s", second.Output())
	}
	time.Sleep(2500 * time.Millisecond) // two or three probe runs
	if strings.Contains(events.String(), anycastAddr) {
		t.Errorf("restart touched the adopted route; route events:\n%s", events.String())
	}
	if !present() {
		t.Fatal("route gone after restart with a healthy server")
	}

	// 3. Crash: SIGKILL cannot withdraw anything.
	second.Signal(syscall.SIGKILL)
	second.Wait(10 * time.Second)
	if !present() {
		t.Fatal("route gone after SIGKILL: expected it to stay until --flush")
	}

	// 4. The dead-man's switch removes ipslad's routes, and only those.
	if out, err := run(10*time.Second, "ip", "netns", "exec", r, bin, "--flush"); err != nil {
		t.Fatalf("ipslad --flush: %v\n%s", err, out)
	}
	if present() {
		t.Error("route of protocol 200 still there after --flush")
	}
	if got := foreign(); got != foreignBefore {
		t.Errorf("foreign routes changed:\nbefore:\n%s\nafter:\n%s", foreignBefore, got)
	}
}
