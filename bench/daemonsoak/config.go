package main

import (
	"fmt"
	"net/netip"
	"strings"
)

// layout is the soak's address plan and configuration shape: N dns
// operations spread round-robin over S name servers, T track objects (IOS
// allows 1-1000) each following one operation, and one tracked /32 route
// per operation whose next hop is the server that operation probes.
type layout struct {
	ops, servers, tracks int
}

// maxTracks is IOS's (and ipslad's) highest track object number.
const maxTracks = 1000

// newLayout checks the sizes and picks the number of track objects: one per
// operation up to tracks (0: IOS's 1000), rounded down to a multiple of
// the server count so that track k and every operation it covers probe the
// same server.
func newLayout(ops, servers, tracks int) (layout, error) {
	switch {
	case servers < 1 || servers > 200:
		return layout{}, fmt.Errorf("-servers %d: want 1-200", servers)
	case ops < servers || ops > 100000:
		return layout{}, fmt.Errorf("-ops %d: want %d (one per server) to 100000", ops, servers)
	}
	if tracks < 0 || tracks > maxTracks {
		return layout{}, fmt.Errorf("-tracks %d: want 0 (as many as IOS allows) to %d", tracks, maxTracks)
	}
	if tracks == 0 {
		tracks = maxTracks
	}
	t := min(ops, tracks)
	t -= t % servers
	if t == 0 {
		return layout{}, fmt.Errorf("-tracks %d: want at least one per server (%d)", tracks, servers)
	}
	return layout{ops: ops, servers: servers, tracks: t}, nil
}

// Addresses: the router namespace (ipslad) has routerAddr on its end of the
// link; the servers' namespace has serverAddr(0..S-1) on the other end.
var (
	routerAddr = netip.MustParseAddr("10.200.0.1")
	linkPrefix = 24
	prefixBase = netip.MustParseAddr("198.18.0.0") // RFC 2544 benchmarking range, /15
)

const qname = "www.soak.example"

// serverAddr is name server s's address (0-based).
func serverAddr(s int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 200, byte((10 + s) / 256), byte((10 + s) % 256)})
}

// server is the name server operation i (1-based) probes.
func (l layout) server(i int) int { return (i - 1) % l.servers }

// track is the track object operation i's route follows: track k follows
// operation k, and route i follows track ((i-1) mod T)+1, an operation on
// the same server because T is a multiple of S.
func (l layout) track(i int) int { return (i-1)%l.tracks + 1 }

// prefix is operation i's tracked /32.
func (l layout) prefix(i int) netip.Addr {
	b := prefixBase.As4()
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) + uint32(i)
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

// config is ipslad's configuration (IOS style) for the layout.
func (l layout) config() string {
	var b strings.Builder
	fmt.Fprintf(&b, "! ipslad daemon soak: %d dns operations over %d name servers, %d track objects, %d tracked routes\n",
		l.ops, l.servers, l.tracks, l.ops)
	for i := 1; i <= l.ops; i++ {
		fmt.Fprintf(&b, "ip sla %d\n dns %s name-server %s\n frequency 1\n timeout 500\n threshold 500\nip sla schedule %d life forever start-time now\n",
			i, qname, serverAddr(l.server(i)), i)
	}
	for k := 1; k <= l.tracks; k++ {
		fmt.Fprintf(&b, "track %d ip sla %d\n", k, k)
	}
	for i := 1; i <= l.ops; i++ {
		fmt.Fprintf(&b, "ip route %s 255.255.255.255 %s track %d\n", l.prefix(i), serverAddr(l.server(i)), l.track(i))
	}
	return b.String()
}

// kroute is one kernel route: a destination and its gateway.
type kroute struct {
	dst, gw string
}

// expected is the set of routes the kernel should hold when exactly the
// servers with up[s] answer.
func (l layout) expected(up []bool) map[kroute]bool {
	m := map[kroute]bool{}
	for i := 1; i <= l.ops; i++ {
		if s := l.server(i); up[s] {
			m[kroute{l.prefix(i).String(), serverAddr(s).String()}] = true
		}
	}
	return m
}

// zone is the name servers' zone file.
const zone = `$ORIGIN soak.example.
$TTL 60
@    IN SOA ns.soak.example. hostmaster.soak.example. 1 3600 900 604800 60
@    IN NS  ns.soak.example.
ns   IN A   192.0.2.1
www  IN A   192.0.2.53
`
