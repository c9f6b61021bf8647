package integration

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestHarnessBGP checks the lab wiring without ipslad: nsd answers, the BGP
// session forms, and a kernel route with protocol 200 added by hand on r —
// what ipslad installs — reaches p by BGP (only if the prefix list lets it),
// carries DNS traffic from p to the anycast address, and leaves p when it
// is deleted.
func TestHarnessBGP(t *testing.T) {
	s := newSeedLab(t)

	r, err := dig(s.r, dnsUnicast, "anycast.example.com", "A")
	if err != nil || r.Status != "NOERROR" || !slices.Equal(r.Answer, []string{anycastAddr}) {
		t.Fatalf("dig from r @%s anycast.example.com A = %+v, %v; want %s", dnsUnicast, r, err, anycastAddr)
	}

	const filtered = "198.51.100.53/32" // outside the ANYCAST prefix list
	t0 := time.Now()
	ip(t, s.r, "route", "add", anycastPrefix, "via", dnsUnicast, "proto", "200")
	ip(t, s.r, "route", "add", filtered, "via", dnsUnicast, "proto", "200")

	if took, ok := waitFor(t, 30*time.Second, 20*time.Millisecond, func() bool { return ribHas(s.r, anycastPrefix, "kernel") }); !ok {
		t.Fatalf("zebra on r did not learn the proto 200 route as kernel within %v", took)
	}
	kernelR := time.Since(t0)
	if took, ok := waitFor(t, 30*time.Second, 20*time.Millisecond, func() bool { return bgpRoute(s.p, anycastPrefix) }); !ok {
		t.Fatalf("p did not learn %s by BGP within %v", anycastPrefix, took)
	}
	learned := time.Since(t0)
	if took, ok := waitFor(t, 30*time.Second, 20*time.Millisecond, func() bool {
		kr, ok := kernelRoute(s.p, anycastPrefix)
		return ok && kr.Gateway == routerToPeer
	}); !ok {
		kr, _ := kernelRoute(s.p, anycastPrefix)
		t.Fatalf("p's kernel has no route to %s via %s within %v: %+v", anycastPrefix, routerToPeer, took, kr)
	}
	peerKernel := time.Since(t0)
	if bgpRoute(s.p, filtered) {
		t.Errorf("p learned %s, which the ANYCAST prefix list should have filtered", filtered)
	}

	// The anycast address answers p's queries through r.
	r, err = dig(s.p, anycastAddr, "server.example.com", "TXT")
	if err != nil || r.Status != "NOERROR" || !slices.Equal(r.Answer, []string{`"` + s.d + `"`}) {
		t.Fatalf("dig from p @%s server.example.com TXT = %+v, %v; want %q", anycastAddr, r, err, s.d)
	}

	t1 := time.Now()
	ip(t, s.r, "route", "del", anycastPrefix, "via", dnsUnicast, "proto", "200")
	if took, ok := waitFor(t, 30*time.Second, 20*time.Millisecond, func() bool { return !bgpRoute(s.p, anycastPrefix) }); !ok {
		t.Fatalf("p still has %s by BGP %v after it was deleted on r", anycastPrefix, took)
	}
	withdrawn := time.Since(t1)

	t.Logf("kernel route on r -> zebra(r) K %v, p BGP %v, p kernel %v; deleted -> gone from p's RIB %v",
		kernelR.Round(time.Millisecond), learned.Round(time.Millisecond), peerKernel.Round(time.Millisecond), withdrawn.Round(time.Millisecond))
	fmt.Printf("HARNESS-BGP: proto-200 route on r -> p BGP in %v (p kernel %v); delete -> p withdrawn in %v\n",
		learned.Round(time.Millisecond), peerKernel.Round(time.Millisecond), withdrawn.Round(time.Millisecond))
}
