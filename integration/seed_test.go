package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const seedIpsladConfig = `ip sla 101
 dns anycast.example.com name-server 10.0.0.10
 frequency 1
 timeout 500
 threshold 500
ip sla schedule 101 life forever start-time now
track 101 ip sla 101
ip route 192.0.2.53 255.255.255.255 10.0.0.10 track 101
`

// TestSeedBGP runs ipslad on r, probing nsd on d, and follows the tracked
// route 192.0.2.53/32 through r's kernel into p's RIB as nsd goes down and
// comes back, and out again when ipslad stops. Times are printed, never
// asserted.
func TestSeedBGP(t *testing.T) {
	requireLab(t)
	bin := buildIpslad(t) // first: fail fast, and before any clock starts
	s := newSeedLab(t)

	dir := t.TempDir()
	cfg := filepath.Join(dir, "ipslad.conf")
	if err := os.WriteFile(cfg, []byte(seedIpsladConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(30*time.Second, bin, "-f", cfg, "--check"); err != nil {
		t.Fatalf("ipslad --check rejects the seed config: %v\n%s", err, out)
	}

	const wait = 30 * time.Second
	const poll = 20 * time.Millisecond
	inKernel := func() bool { _, ok := kernelRoute(s.r, anycastPrefix); return ok }
	inPeer := func() bool { return bgpRoute(s.p, anycastPrefix) }
	checkKernelRoute := func(when string) {
		t.Helper()
		kr, ok := kernelRoute(s.r, anycastPrefix)
		if !ok {
			t.Fatalf("%s: no kernel route to %s on r", when, anycastPrefix)
		}
		if kr.Protocol != "200" || kr.Gateway != dnsUnicast {
			t.Errorf("%s: kernel route on r = %+v; want protocol 200 via %s", when, kr, dnsUnicast)
		}
	}

	// (1) ipslad starts, the probe succeeds, the route is installed on r and
	// learned by p.
	t0 := time.Now()
	d := startIpslad(t, s.r, cfg, "--socket", filepath.Join(dir, "ipslad.sock"))
	if _, ok := waitFor(t, wait, poll, inKernel); !ok {
		t.Fatalf("route %s not in r's kernel %v after ipslad started", anycastPrefix, wait)
	}
	upKernel := time.Since(t0)
	checkKernelRoute("after start")
	if _, ok := waitFor(t, wait, poll, inPeer); !ok {
		t.Fatalf("p did not learn %s by BGP within %v of ipslad starting", anycastPrefix, wait)
	}
	upPeer := time.Since(t0)
	t.Logf("(1) ipslad start -> route in r's kernel %v, in p's RIB (BGP) %v", upKernel.Round(time.Millisecond), upPeer.Round(time.Millisecond))
	if r, err := dig(s.p, anycastAddr, "server.example.com", "TXT"); err != nil || !slices.Equal(r.Answer, []string{`"` + s.d + `"`}) {
		t.Errorf("dig from p @%s server.example.com TXT = %+v, %v; want %q", anycastAddr, r, err, s.d)
	}

	// (2) nsd stops: the probe fails, the route leaves r's kernel and p.
	t1 := time.Now()
	s.nsd.Stop()
	if _, ok := waitFor(t, wait, poll, func() bool { return !inKernel() }); !ok {
		t.Fatalf("route %s still in r's kernel %v after nsd stopped", anycastPrefix, wait)
	}
	downKernel := time.Since(t1)
	if _, ok := waitFor(t, wait, poll, func() bool { return !inPeer() }); !ok {
		t.Fatalf("p still has %s by BGP %v after nsd stopped", anycastPrefix, wait)
	}
	downPeer := time.Since(t1)
	t.Logf("(2) nsd stop -> route gone from r's kernel %v, from p's RIB %v", downKernel.Round(time.Millisecond), downPeer.Round(time.Millisecond))

	// (3) nsd is back: the route returns.
	t2 := time.Now()
	s.nsd.Start()
	if _, ok := waitFor(t, wait, poll, inKernel); !ok {
		t.Fatalf("route %s not back in r's kernel %v after nsd restarted", anycastPrefix, wait)
	}
	backKernel := time.Since(t2)
	checkKernelRoute("after nsd restart")
	if _, ok := waitFor(t, wait, poll, inPeer); !ok {
		t.Fatalf("p did not relearn %s by BGP within %v of nsd restarting", anycastPrefix, wait)
	}
	backPeer := time.Since(t2)
	t.Logf("(3) nsd start -> route back in r's kernel %v, in p's RIB %v (nsd start itself included)", backKernel.Round(time.Millisecond), backPeer.Round(time.Millisecond))

	for _, change := range []string{"Down -> Up", "Up -> Down"} {
		if !hasLine(d.Output(), "%TRACK-6-STATE: 101", change) {
			t.Errorf("ipslad logged no %%TRACK-6-STATE line for track 101 going %s", change)
		}
	}

	// (4) SIGTERM: a clean stop withdraws the route and exits 0.
	t3 := time.Now()
	d.Signal(syscall.SIGTERM)
	if code := d.Wait(wait); code != 0 {
		t.Errorf("ipslad exited %d after SIGTERM; want 0", code)
	}
	exited := time.Since(t3)
	if kr, ok := kernelRoute(s.r, anycastPrefix); ok {
		t.Errorf("route still in r's kernel after ipslad exited on SIGTERM: %+v", kr)
	}
	if _, ok := waitFor(t, wait, poll, func() bool { return !inPeer() }); !ok {
		t.Errorf("p still has %s by BGP %v after ipslad stopped", anycastPrefix, wait)
	}
	stopPeer := time.Since(t3)
	t.Logf("(4) SIGTERM -> ipslad exited %v, route gone from p's RIB %v", exited.Round(time.Millisecond), stopPeer.Round(time.Millisecond))

	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	fmt.Printf("SEED-BGP: start->kernel %v peer %v | nsd stop->kernel %v peer %v | nsd start->kernel %v peer %v | SIGTERM->exit %v peer %v\n",
		r(upKernel), r(upPeer), r(downKernel), r(downPeer), r(backKernel), r(backPeer), r(exited), r(stopPeer))
}

// hasLine reports whether some line of out contains all of parts.
func hasLine(out string, parts ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}
