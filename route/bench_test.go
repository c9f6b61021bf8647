//go:build linux

package route

import "testing"

// BenchmarkNetlinkReplace measures installing one route change: each
// iteration moves a /32 between two gateways, which is an exclusive add
// that fails, the check for a foreign route, and a replace.
func BenchmarkNetlinkReplace(b *testing.B) {
	ns := newTestNS(b)
	k := NewNetlink(ns.h, DefaultProtocol)
	routes := [2]Route{
		{Prefix: anycast, Metric: 1, NextHops: []NextHop{{Gateway: addr("10.0.0.10")}}},
		{Prefix: anycast, Metric: 1, NextHops: []NextHop{{Gateway: addr("10.0.1.10")}}},
	}
	for i := 0; b.Loop(); i++ {
		if err := k.Replace(routes[i%2]); err != nil {
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
