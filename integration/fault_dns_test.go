package integration

import (
	"cmp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFaultDNSBlackholeAndLink runs the real ipslad against the real nsd
// and kernel through two network faults on the server's side: its replies
// blackholed (queries arrive, answers are dropped: a route to ipslad's
// address into a blackhole on d), and its link down and up again. Each
// time the probe times out, the tracked route leaves the kernel, and it
// comes back when the fault ends; ipslad keeps running throughout.
func TestFaultDNSBlackholeAndLink(t *testing.T) {
	requireLab(t)
	buildIpslad(t) // first: fail fast
	l := newLab(t)
	r, d := l.netns("r", true), l.netns("d", false)
	_, ifD := l.link(r, routerToDNS+"/24", d, dnsUnicast+"/24")
	startNSD(t, d, "", []string{dnsUnicast}, seedZone(d))

	dir := t.TempDir()
	cfg := filepath.Join(dir, "ipslad.cfg")
	if err := os.WriteFile(cfg, []byte(seedIpsladConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "ipslad.sock")
	p := startIpslad(t, r, cfg, "--socket", sock)

	const wait = 10 * time.Second
	const poll = 20 * time.Millisecond
	inKernel := func() bool {
		kr, ok := kernelRoute(r, anycastPrefix)
		return ok && kr.Protocol == "200"
	}
	gone := func() bool { return !inKernel() }
	if _, ok := waitFor(t, wait, poll, inKernel); !ok {
		t.Fatalf("route %s not installed:\n%s", anycastPrefix, mustRun(t, "ip", "-n", r, "route"))
	}
	lastCode := func() string {
		for l := range strings.Lines(control(t, sock, "show ip sla statistics 101")) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "Latest operation return code:"); ok {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}

	for _, fault := range []struct {
		name       string
		start, end []string // ip arguments in d
		code       string   // the return code while it lasts ("": any failure)
	}{
		{"replies blackholed", []string{"route", "add", "blackhole", routerToDNS + "/32"},
			[]string{"route", "del", "blackhole", routerToDNS + "/32"}, "Timeout"},
		// The route goes at once (its next hop's interface lost carrier),
		// before the probe fails.
		{"link down", []string{"link", "set", ifD, "down"}, []string{"link", "set", ifD, "up"}, ""},
	} {
		t0 := time.Now()
		ip(t, d, fault.start...)
		if _, ok := waitFor(t, wait, poll, gone); !ok {
			t.Fatalf("%s: route still installed after %v", fault.name, wait)
		}
		t.Logf("%s: route withdrawn after %v", fault.name, time.Since(t0).Round(time.Millisecond))
		time.Sleep(1500 * time.Millisecond) // a probe runs during the fault
		if got := lastCode(); got == "OK" || fault.code != "" && got != fault.code {
			t.Errorf("%s: latest return code %q, want %q", fault.name, got, cmp.Or(fault.code, "a failure"))
		} else {
			t.Logf("%s: latest return code %q", fault.name, got)
		}
		if inKernel() {
			t.Errorf("%s: route back while the fault lasts", fault.name)
		}
		t1 := time.Now()
		ip(t, d, fault.end...)
		if _, ok := waitFor(t, wait, poll, inKernel); !ok {
			t.Fatalf("%s ended: route not back after %v", fault.name, wait)
		}
		t.Logf("%s ended: route back after %v", fault.name, time.Since(t1).Round(time.Millisecond))
		if _, ok := waitFor(t, wait, poll, func() bool { return lastCode() == "OK" }); !ok {
			t.Errorf("%s ended: latest return code %q, want OK", fault.name, lastCode())
		}
	}
	if p.Exited() {
		t.Fatalf("ipslad exited:\n%s", p.Output())
	}
}
