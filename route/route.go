package route

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// NextHop is one way out for a route: a gateway, an interface, or both.
// On IOS `ip route P M Gi0/1 10.0.0.1` names both; `ip route P M 10.0.0.1`
// only the gateway, `ip route P M Gi0/1` only the interface.
type NextHop struct {
	Gateway   netip.Addr // invalid when the next hop names only an interface
	Interface string     // "" when the next hop names only a gateway
}

// String renders the next hop the way `ip route` does: "via 10.0.0.1 dev eth0".
func (h NextHop) String() string {
	var b strings.Builder
	if h.Gateway.IsValid() {
		b.WriteString("via ")
		b.WriteString(h.Gateway.String())
	}
	if h.Interface != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("dev ")
		b.WriteString(h.Interface)
	}
	return b.String()
}

func compareNextHop(a, b NextHop) int {
	if c := a.Gateway.Compare(b.Gateway); c != 0 {
		return c
	}
	return strings.Compare(a.Interface, b.Interface)
}

// Route is one kernel route: a prefix at one metric, with one or more next
// hops (ECMP when more than one). Prefix and Metric together are the key of
// a route in the kernel's table: two metrics to one prefix are two routes.
type Route struct {
	Prefix   netip.Prefix
	Metric   int       // IOS administrative distance; the kernel's priority
	NextHops []NextHop // sorted, deduplicated

	// split is set by a Kernel's List when the kernel holds these next
	// hops as separate routes under one prefix and metric (`ip route
	// append`, IPv6 device-only routes) rather than as one ECMP route:
	// only the first is used, so it never satisfies a desired route.
	split bool
}

// String renders the route on one line, e.g.
// "192.0.2.53/32 metric 1 nexthop via 10.0.0.10 nexthop via 10.0.1.10 dev eth1".
func (r Route) String() string {
	var b strings.Builder
	b.WriteString(r.Prefix.String())
	b.WriteString(" metric ")
	b.WriteString(strconv.Itoa(r.Metric))
	for _, h := range r.NextHops {
		b.WriteString(" nexthop ")
		b.WriteString(h.String())
	}
	return b.String()
}

// key is what identifies a route in the kernel's (main) table.
type key struct {
	prefix netip.Prefix
	metric int
}

func (r Route) key() key { return key{r.Prefix, r.Metric} }

func compareKey(a, b key) int {
	if c := comparePrefix(a.prefix, b.prefix); c != 0 {
		return c
	}
	return cmp.Compare(a.metric, b.metric)
}

// comparePrefix orders IPv4 before IPv6, then by address, then by length.
func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(a.Bits(), b.Bits())
}

func compareRoute(a, b Route) int { return compareKey(a.key(), b.key()) }

// normalize returns r in canonical form: the prefix masked, IPv4-mapped
// gateways unmapped, next hops sorted and without duplicates. The slice is
// always a fresh copy.
func (r Route) normalize() Route {
	r.Prefix = netip.PrefixFrom(r.Prefix.Addr().Unmap(), r.Prefix.Bits()).Masked()
	if r.Prefix.Addr().Is4() && r.Prefix.Bits() > 32 {
		// An IPv4-mapped prefix longer than /32 cannot be unmapped.
		r.Prefix = netip.Prefix{}
	}
	hops := make([]NextHop, len(r.NextHops))
	for i, h := range r.NextHops {
		h.Gateway = h.Gateway.Unmap()
		hops[i] = h
	}
	slices.SortFunc(hops, compareNextHop)
	r.NextHops = slices.Compact(hops)
	return r
}

// equal reports whether a and b are the same, next hop for next hop.
// Both must be normalized.
func (r Route) equal(o Route) bool {
	return r.key() == o.key() && r.split == o.split && slices.Equal(r.NextHops, o.NextHops)
}

// satisfies reports whether got, a route as the kernel holds it, is what
// want asks for. The kernel always records an outgoing interface, also for
// a next hop that only named a gateway, so a next hop of want with no
// interface matches a next hop of got with the same gateway on any
// interface. Both must be normalized.
func satisfies(got, want Route) bool {
	if got.split || got.key() != want.key() || len(got.NextHops) != len(want.NextHops) {
		return false
	}
	used := make([]bool, len(got.NextHops))
	// Next hops that name an interface must match exactly; do them first
	// so that a wildcard cannot take the next hop an exact one needs.
	for pass := 0; pass < 2; pass++ {
		for _, w := range want.NextHops {
			if (w.Interface == "") != (pass == 1) {
				continue
			}
			found := false
			for i, g := range got.NextHops {
				if used[i] || g.Gateway != w.Gateway {
					continue
				}
				if w.Interface != "" && g.Interface != w.Interface {
					continue
				}
				used[i], found = true, true
				break
			}
			if !found {
				return false
			}
		}
	}
	return true
}

// sortedRoutes returns the routes of m sorted by prefix, then metric.
func sortedRoutes(m map[key]Route) []Route {
	rs := make([]Route, 0, len(m))
	for _, r := range m {
		rs = append(rs, r)
	}
	slices.SortFunc(rs, compareRoute)
	return rs
}
