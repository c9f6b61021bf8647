package integration

import (
	"fmt"
	"testing"
	"time"
)

// The seed topology:
//
//	d (DNS host)                 r (router, ipslad, FRR AS 65001)      p (BGP peer, FRR AS 65002)
//	lo 192.0.2.53/32 (anycast)
//	d-r 10.0.0.10/24  --------  r-d 10.0.0.1/24
//	                            r-p 10.99.0.1/30  ------------------  p-r 10.99.0.2/30
//
// nsd on d answers on 10.0.0.10 and 192.0.2.53; r redistributes kernel
// routes inside 192.0.2.0/24 (/32s) to p over eBGP.
const (
	anycastAddr   = "192.0.2.53"
	anycastPrefix = "192.0.2.53/32"
	dnsUnicast    = "10.0.0.10"
	routerToDNS   = "10.0.0.1"
	routerToPeer  = "10.99.0.1"
	peerAddr      = "10.99.0.2"
)

type seedLab struct {
	r, d, p    string // namespace names
	nsd        *nsdServer
	frrR, frrP *frrInstance
}

func seedZone(server string) string {
	return fmt.Sprintf(`$ORIGIN example.com.
$TTL 60
@        IN SOA ns1.example.com. hostmaster.example.com. ( 1 3600 600 86400 60 )
@        IN NS  ns1.example.com.
ns1      IN A   %s
anycast  IN A   %s
anycast  IN TXT "server=%s"
server   IN TXT "%s"
`, dnsUnicast, anycastAddr, server, server)
}

// seedFRRRouter is r's FRR config. Two choices keep FRR's own delays out of
// the measured times (both found in FRR 8.4):
//   - The prefix list and route map come before "router bgp": bgpd resolves a
//     route map named by "redistribute ... route-map" only when it already
//     exists while the config is read; otherwise it denies every
//     redistributed route until the route-map delay timer (5 s after start)
//     fires.
//   - "coalesce-time 0": a new update subgroup (the session coming up)
//     otherwise holds its first advertisements for 1 s.
const seedFRRRouter = `frr defaults traditional
hostname r
ip prefix-list ANYCAST seq 5 permit 192.0.2.0/24 ge 32
route-map ANYCAST permit 10
 match ip address prefix-list ANYCAST
!
router bgp 65001
 bgp router-id 10.99.0.1
 no bgp ebgp-requires-policy
 timers bgp 1 3
 coalesce-time 0
 neighbor 10.99.0.2 remote-as 65002
 neighbor 10.99.0.2 timers connect 1
 neighbor 10.99.0.2 advertisement-interval 0
 address-family ipv4 unicast
  redistribute kernel route-map ANYCAST
 exit-address-family
!
`

const seedFRRPeer = `frr defaults traditional
hostname p
router bgp 65002
 bgp router-id 10.99.0.2
 no bgp ebgp-requires-policy
 timers bgp 1 3
 coalesce-time 0
 neighbor 10.99.0.1 remote-as 65001
 neighbor 10.99.0.1 timers connect 1
 neighbor 10.99.0.1 advertisement-interval 0
!
`

// newSeedLab builds the seed topology with nsd on d and FRR on r and p, and
// waits until the BGP session between r and p is established.
func newSeedLab(t *testing.T) *seedLab {
	t.Helper()
	requireLab(t)
	l := newLab(t)
	s := &seedLab{
		r: l.netns("r", true),
		d: l.netns("d", false),
		p: l.netns("p", true),
	}
	l.link(s.r, routerToDNS+"/24", s.d, dnsUnicast+"/24")
	l.link(s.r, routerToPeer+"/30", s.p, peerAddr+"/30")
	ip(t, s.d, "addr", "add", anycastPrefix, "dev", "lo")
	ip(t, s.d, "route", "add", "default", "via", routerToDNS)

	s.nsd = startNSD(t, s.d, "", []string{dnsUnicast, anycastAddr}, seedZone(s.d))
	s.frrR = startFRR(t, s.r, seedFRRRouter, "bgpd")
	s.frrP = startFRR(t, s.p, seedFRRPeer, "bgpd")

	took, ok := waitFor(t, 30*time.Second, 100*time.Millisecond, func() bool {
		return bgpEstablished(s.r, peerAddr) && bgpEstablished(s.p, routerToPeer)
	})
	if !ok {
		t.Fatalf("BGP session r<->p not established after %v:\n%s", took, vtysh(t, s.r, "show bgp summary"))
	}
	t.Logf("BGP session r<->p established in %v", took.Round(time.Millisecond))
	return s
}
