package integration

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestFaultZebraRestart crashes zebra (SIGKILL) under a running ipslad in
// the seed topology. (1) zebra alone comes back: it learns ipslad's kernel
// route again and the peer has it. (2) zebra crashes, ipslad withdraws the
// route while zebra is down, and FRR is restarted as watchfrr does it
// (zebra, then the other daemons): the withdrawal reaches the peer, and
// the route is redistributed again when nsd returns. Throughout, ipslad
// keeps probing and keeps the kernel route right on its own.
func TestFaultZebraRestart(t *testing.T) {
	requireLab(t)
	buildIpslad(t) // first: fail fast
	s := newSeedLab(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ipslad.conf")
	if err := os.WriteFile(cfg, []byte(seedIpsladConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startIpslad(t, s.r, cfg, "--socket", filepath.Join(dir, "ipslad.sock"))

	const wait = 15 * time.Second
	const poll = 50 * time.Millisecond
	inKernel := func() bool {
		kr, ok := kernelRoute(s.r, anycastPrefix)
		return ok && kr.Protocol == "200"
	}
	inZebra := func() bool { return ribHas(s.r, anycastPrefix, "kernel") }
	inPeer := func() bool { return bgpRoute(s.p, anycastPrefix) }
	if _, ok := waitFor(t, wait, poll, func() bool { return inKernel() && inPeer() }); !ok {
		t.Fatalf("route %s not in r's kernel and p's RIB after ipslad started", anycastPrefix)
	}

	crashZebra := func() {
		t.Helper()
		pid := s.frrR.pids["zebra"]
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("killing zebra (pid %d): %v", pid, err)
		}
		if !waitGone(pid, 5*time.Second) {
			t.Fatalf("zebra (pid %d) still running after SIGKILL", pid)
		}
		reap([]int{pid})
		delete(s.frrR.pids, "zebra")
		// A crash leaves the pid file and the zserv socket behind; the
		// restart waits for fresh ones.
		os.Remove(filepath.Join(s.frrR.runDir, "zebra.pid"))
		os.Remove(filepath.Join(s.frrR.runDir, "zserv.api"))
	}

	// (1) zebra crashes with ipslad's route installed, and comes back.
	crashZebra()
	// Whether bgpd withdraws what zebra had redistributed while zebra is
	// away is FRR's business: logged, not asserted.
	_, lost := waitFor(t, time.Second, poll, func() bool { return !inPeer() })
	t.Logf("(1) zebra down: p lost the route: %v", lost)
	if !inKernel() {
		t.Fatalf("ipslad's kernel route gone while zebra was down")
	}
	t0 := time.Now()
	s.frrR.startDaemon("zebra")
	if _, ok := waitFor(t, wait, poll, inZebra); !ok {
		t.Fatalf("restarted zebra did not learn ipslad's kernel route %s:\n%s", anycastPrefix, vtysh(t, s.r, "show ip route"))
	}
	if _, ok := waitFor(t, wait, poll, inPeer); !ok {
		t.Fatalf("p did not (re)learn %s after zebra restarted:\n%s", anycastPrefix, vtysh(t, s.r, "show bgp ipv4 unicast"))
	}
	t.Logf("(1) zebra restart -> route in zebra and p's RIB %v", time.Since(t0).Round(time.Millisecond))

	// (2) zebra crashes; ipslad withdraws the route while zebra is down
	// (nsd stops). FRR 8.4's bgpd keeps advertising what the dead zebra had
	// redistributed, and a restarted zebra does not tell it otherwise; this
	// is why watchfrr restarts every daemon when zebra dies. The test does
	// what watchfrr does, and checks the withdrawal then reaches the peer
	// and the route comes back when nsd does.
	crashZebra()
	s.nsd.Stop()
	if _, ok := waitFor(t, wait, poll, func() bool { return !inKernel() }); !ok {
		t.Fatal("ipslad did not withdraw the route with zebra down and nsd stopped")
	}
	s.frrR.startDaemon("zebra")
	time.Sleep(time.Second)
	if inZebra() {
		t.Error("restarted zebra has ipslad's route although ipslad withdrew it")
	}
	t.Logf("(2) zebra alone restarted: p still has the withdrawn route (stale in bgpd): %v", inPeer())
	if err := killPID(s.frrR.pids["bgpd"], 10*time.Second); err != nil {
		t.Fatal(err)
	}
	delete(s.frrR.pids, "bgpd")
	os.Remove(filepath.Join(s.frrR.runDir, "bgpd.pid"))
	os.Remove(filepath.Join(s.frrR.runDir, "bgpd.vty"))
	s.frrR.startDaemon("bgpd")
	if _, ok := waitFor(t, wait, poll, func() bool { return bgpEstablished(s.r, peerAddr) }); !ok {
		t.Fatalf("BGP session not back after bgpd restarted")
	}
	if _, ok := waitFor(t, wait, poll, func() bool { return !inPeer() }); !ok {
		t.Errorf("p still has %s, withdrawn by ipslad while zebra was down, after FRR restarted", anycastPrefix)
	}
	s.nsd.Start()
	if _, ok := waitFor(t, wait, poll, func() bool { return inKernel() && inZebra() && inPeer() }); !ok {
		t.Fatalf("route not back in kernel %v, zebra %v, p %v after nsd returned", inKernel(), inZebra(), inPeer())
	}
	if d.Exited() {
		t.Fatalf("ipslad exited:\n%s", d.Output())
	}
}
