package route

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
)

// fakeKernel is a routing table of our protocol that behaves like Linux
// where it matters: one route per prefix and metric, a gateway on no
// connected network is refused, and every listed next hop carries the
// interface the kernel picked for its gateway.
type fakeKernel struct {
	routes map[key]Route
	// connected maps a connected network to its interface. A next hop
	// with only a gateway gets the interface of the gateway's network.
	connected map[netip.Prefix]string
	// failReplace makes Replace of these prefixes fail.
	failReplace map[netip.Prefix]error
	// failDelete makes Delete of these prefixes fail.
	failDelete map[netip.Prefix]error

	replaces, deletes int
	ops               []string // "replace ROUTE" and "delete ROUTE", in order
}

func newFakeKernel() *fakeKernel {
	return &fakeKernel{
		routes: make(map[key]Route),
		connected: map[netip.Prefix]string{
			netip.MustParsePrefix("10.0.0.0/24"): "eth0",
			netip.MustParsePrefix("10.0.1.0/24"): "eth1",
			netip.MustParsePrefix("fd00::/64"):   "eth0",
			netip.MustParsePrefix("fd01::/64"):   "eth1",
		},
		failReplace: make(map[netip.Prefix]error),
		failDelete:  make(map[netip.Prefix]error),
	}
}

func (f *fakeKernel) writes() int { return f.replaces + f.deletes }

func (f *fakeKernel) List() ([]Route, error) {
	return sortedRoutes(f.routes), nil
}

func (f *fakeKernel) Replace(r Route) error {
	f.replaces++
	f.ops = append(f.ops, "replace "+r.String())
	if err := f.failReplace[r.Prefix]; err != nil {
		return fmt.Errorf("installing route %v: %w", r, err)
	}
	r = r.normalize()
	for i, h := range r.NextHops {
		if !h.Gateway.IsValid() {
			continue
		}
		dev := ""
		for p, d := range f.connected {
			if p.Contains(h.Gateway) {
				dev = d
			}
		}
		if dev == "" || (h.Interface != "" && h.Interface != dev) {
			return fmt.Errorf("installing route %v: %w", r, syscall.ENETUNREACH)
		}
		r.NextHops[i].Interface = dev
	}
	f.routes[r.key()] = r.normalize()
	return nil
}

func (f *fakeKernel) Delete(r Route) error {
	f.deletes++
	f.ops = append(f.ops, "delete "+r.String())
	if err := f.failDelete[r.Prefix]; err != nil {
		return fmt.Errorf("removing route %v: %w", r, err)
	}
	delete(f.routes, r.key())
	return nil
}

// String renders the whole table, one sorted line per route.
func (f *fakeKernel) String() string {
	var lines []string
	for _, r := range sortedRoutes(f.routes) {
		lines = append(lines, r.String())
	}
	return strings.Join(lines, "\n")
}

// upSet returns an up function for Desired that reports the given tracks up.
func upSet(tracks ...int) func(int) bool {
	return func(t int) bool { return slices.Contains(tracks, t) }
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }
