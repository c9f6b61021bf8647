//go:build linux

package route

import (
	"net/netip"
	"testing"
)

// BenchmarkNetlinkReplace measures one in-place change of an IPv4 route,
// as the Manager makes it (Netlink.change): each iteration moves a /32
// between two gateways, which is a FIB lookup, the prepend of a
// transitional route, the exact delete of the old route and the replace of
// the transitional one.
func BenchmarkNetlinkReplace(b *testing.B) {
	ns := newTestNS(b)
	k := NewNetlink(ns.h, DefaultProtocol)
	routes := [2]Route{
		{Prefix: anycast, Metric: 1, NextHops: []NextHop{{Gateway: addr("10.0.0.10")}}},
		{Prefix: anycast, Metric: 1, NextHops: []NextHop{{Gateway: addr("10.0.1.10")}}},
	}
	if err := k.Replace(routes[0]); err != nil {
		b.Fatal(err)
	}
	for i := 1; b.Loop(); i++ {
		if err := k.change(routes[(i+1)%2], routes[i%2]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNetlinkReplace6 measures one in-place change of an IPv6 ECMP
// route that this Netlink installed (with a lookup handle, as the daemon's):
// a FIB lookup and a replace, alternately dropping and adding a next hop.
func BenchmarkNetlinkReplace6(b *testing.B) {
	ns := newTestNS(b)
	k, err := NewNetlinkAt(ns.ns, DefaultProtocol)
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	p := pfx("2001:db8::53/128")
	routes := [2]Route{
		{Prefix: p, Metric: 1, NextHops: []NextHop{{Gateway: addr("fd00::10")}, {Gateway: addr("fd01::10")}}},
		{Prefix: p, Metric: 1, NextHops: []NextHop{{Gateway: addr("fd00::10")}}},
	}
	if err := k.Replace(routes[0]); err != nil {
		b.Fatal(err)
	}
	for i := 1; b.Loop(); i++ {
		if err := k.change(routes[(i+1)%2], routes[i%2]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNetlinkAdd measures adding a new route and deleting it again.
func BenchmarkNetlinkAdd(b *testing.B) {
	ns := newTestNS(b)
	k := NewNetlink(ns.h, DefaultProtocol)
	r := Route{Prefix: anycast, Metric: 1, NextHops: []NextHop{{Gateway: addr("10.0.0.10")}}}
	for b.Loop() {
		if err := k.Replace(r); err != nil {
			b.Fatal(err)
		}
		if err := k.Delete(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshot measures one reading of interfaces and connected
// networks, what Evaluate does once per decision.
func BenchmarkSnapshot(b *testing.B) {
	ns := newTestNS(b)
	k := NewNetlink(ns.h, DefaultProtocol)
	for b.Loop() {
		if _, err := k.Snapshot(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecision measures a track decision to the kernel: Evaluate with
// next-hop resolution and Set, alternately removing and adding one next
// hop of an ECMP route.
func BenchmarkDecision(b *testing.B) {
	ns := newTestNS(b)
	k := NewNetlink(ns.h, DefaultProtocol)
	m := NewManager(k, nil)
	statics := []Static{v4A, v4B}
	for i := 0; b.Loop(); i++ {
		desired, _ := Evaluate(statics, upSet(1, 1+i%2), k)
		if err := m.Set(desired); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkManagerInstall10k measures Set of 10,000 new /32 routes and
// their withdrawal, through one Manager.
func BenchmarkManagerInstall10k(b *testing.B) {
	ns := newTestNS(b)
	k := NewNetlink(ns.h, DefaultProtocol)
	m := NewManager(k, nil)
	routes := make([]Route, 10000)
	for i := range routes {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{100, 64, byte(i >> 8), byte(i)}), 32)
		routes[i] = Route{Prefix: p, Metric: 1, NextHops: []NextHop{{Gateway: addr("10.0.0.10")}}}
	}
	for b.Loop() {
		if err := m.Set(routes); err != nil {
			b.Fatal(err)
		}
		if err := m.Set(nil); err != nil {
			b.Fatal(err)
		}
	}
}
