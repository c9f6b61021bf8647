//go:build linux

package route

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// testNS is a network namespace of a test's own, with two veth pairs:
// ve0 10.0.0.1/24 fd00::1/64 and ve1 10.0.1.1/24 fd01::1/64, all up.
type testNS struct {
	name string
	ns   netns.NsHandle
	h    *netlink.Handle
}

var nsSeq atomic.Int32

// newTestNS creates the namespace, or skips the test when it cannot.
// The namespace is deleted when the test ends, also on failure.
func newTestNS(tb testing.TB) *testNS {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("skipping: creating network namespaces needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		tb.Skip("skipping: the ip command (iproute2) is not installed")
	}
	name := fmt.Sprintf("ipslrt-%d-%d", os.Getpid(), nsSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		tb.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	tb.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			tb.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	t := &testNS{name: name}
	t.ip(tb,
		"link set lo up",
		"link add ve0 type veth peer name vp0",
		"link add ve1 type veth peer name vp1",
		"link set ve0 up", "link set vp0 up", "link set ve1 up", "link set vp1 up",
		"addr add 10.0.0.1/24 dev ve0",
		"addr add 10.0.1.1/24 dev ve1",
		"addr add fd00::1/64 dev ve0 nodad",
		"addr add fd01::1/64 dev ve1 nodad",
	)
	ns, err := netns.GetFromName(name)
	if err != nil {
		tb.Fatalf("netns %s: %v", name, err)
	}
	tb.Cleanup(func() { ns.Close() })
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		tb.Fatalf("netlink handle in %s: %v", name, err)
	}
	tb.Cleanup(h.Close)
	t.ns, t.h = ns, h
	return t
}

// ip runs `ip -n NS -batch -` with the given commands.
func (t *testNS) ip(tb testing.TB, cmds ...string) {
	tb.Helper()
	cmd := exec.Command("ip", "-n", t.name, "-batch", "-")
	cmd.Stdin = strings.NewReader(strings.Join(cmds, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("ip -n %s %q: %v: %s", t.name, cmds, err, out)
	}
}

// table renders every route of the main table that the kernel did not make
// itself (connected and IPv6 link-local/multicast routes are left out),
// whatever its protocol, one sorted line each:
// "192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0".
func (t *testNS) table(tb testing.TB) string {
	tb.Helper()
	var lines []string
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		rs, err := t.h.RouteListFiltered(family, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		if err != nil {
			tb.Fatalf("listing routes: %v", err)
		}
		for _, r := range rs {
			if r.Protocol == unix.RTPROT_KERNEL {
				continue
			}
			lines = append(lines, t.render(tb, r))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func (t *testNS) render(tb testing.TB, r netlink.Route) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v proto %d metric %d", r.Dst, r.Protocol, r.Priority)
	hop := func(gw net.IP, ifindex int) {
		if gw != nil {
			fmt.Fprintf(&b, " via %v", gw)
		}
		if ifindex > 0 {
			l, err := t.h.LinkByIndex(ifindex)
			if err != nil {
				tb.Fatalf("link %d: %v", ifindex, err)
			}
			fmt.Fprintf(&b, " dev %s", l.Attrs().Name)
		}
	}
	if len(r.MultiPath) == 0 {
		hop(r.Gw, r.LinkIndex)
	}
	for _, nh := range r.MultiPath {
		b.WriteString(" nexthop")
		hop(nh.Gw, nh.LinkIndex)
	}
	return b.String()
}

func (t *testNS) checkTable(tb testing.TB, want ...string) {
	tb.Helper()
	if got := t.table(tb); got != strings.Join(want, "\n") {
		tb.Fatalf("kernel table is\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

// watcher records the route changes in a namespace.
type watcher struct {
	t      *testNS
	marker int // protocol of the barrier route
	mu     sync.Mutex
	events []string // "new ROUTE", "replace ROUTE" or "del ROUTE", as t.render
	seen   chan struct{}
}

// watch subscribes to route changes in t's namespace.
func (t *testNS) watch(tb testing.TB) *watcher {
	tb.Helper()
	ch := make(chan netlink.RouteUpdate, 256)
	done := make(chan struct{})
	var stopping atomic.Bool // closing the socket makes Receive fail
	err := netlink.RouteSubscribeWithOptions(ch, done, netlink.RouteSubscribeOptions{
		Namespace: &t.ns,
		ErrorCallback: func(err error) {
			if !stopping.Load() {
				tb.Errorf("route subscription: %v", err)
			}
		},
	})
	if err != nil {
		tb.Fatalf("subscribing to route changes: %v", err)
	}
	w := &watcher{t: t, marker: 254, seen: make(chan struct{}, 1)}
	stopped := make(chan struct{})
	tb.Cleanup(func() {
		stopping.Store(true)
		close(done)
		<-stopped
	})
	go func() {
		defer close(stopped)
		for u := range ch {
			if u.Table != unix.RT_TABLE_MAIN || u.Protocol == unix.RTPROT_KERNEL {
				continue
			}
			if int(u.Protocol) == w.marker {
				if u.Type == unix.RTM_DELROUTE {
					w.seen <- struct{}{}
				}
				continue
			}
			kind := "new"
			switch {
			case u.Type == unix.RTM_DELROUTE:
				kind = "del"
			case u.NlFlags&unix.NLM_F_REPLACE != 0:
				kind = "replace"
			}
			line := kind + " " + t.render(tb, u.Route)
			w.mu.Lock()
			w.events = append(w.events, line)
			w.mu.Unlock()
		}
	}()
	w.sync(tb) // the subscription is live once the first barrier passes
	return w
}

// sync returns the route changes since the last sync. It adds and deletes
// a marker route and waits for the deletion to arrive: the kernel delivers
// one socket's notifications in order, so every earlier change is in.
func (w *watcher) sync(tb testing.TB) []string {
	tb.Helper()
	lo, err := w.t.h.LinkByName("lo")
	if err != nil {
		tb.Fatal(err)
	}
	marker := &netlink.Route{
		Dst:       &net.IPNet{IP: net.IPv4(192, 0, 2, 255), Mask: net.CIDRMask(32, 32)},
		LinkIndex: lo.Attrs().Index,
		Scope:     netlink.SCOPE_LINK,
		Protocol:  netlink.RouteProtocol(w.marker),
	}
	if err := w.t.h.RouteAdd(marker); err != nil {
		tb.Fatalf("adding marker route: %v", err)
	}
	if err := w.t.h.RouteDel(marker); err != nil {
		tb.Fatalf("deleting marker route: %v", err)
	}
	select {
	case <-w.seen:
	case <-time.After(5 * time.Second):
		tb.Fatal("route change notifications did not arrive")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	ev := w.events
	w.events = nil
	return ev
}

func checkEvents(tb testing.TB, got []string, want ...string) {
	tb.Helper()
	if !slices.Equal(got, want) {
		tb.Fatalf("route changes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// withOwnHandles makes newNetlinkManager use NewNetlinkAt (handles of the
// Netlink's own, with the one-lookup IPv6 ownership check) instead of
// NewNetlink on the test's handle. See TestNetlinkOwnHandles.
var withOwnHandles bool

func newNetlinkManager(t *testing.T) (*testNS, *Netlink, *Manager) {
	t.Helper()
	ns := newTestNS(t)
	k := NewNetlink(ns.h, DefaultProtocol)
	if withOwnHandles {
		var err error
		if k, err = NewNetlinkAt(ns.ns, DefaultProtocol); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
	}
	return ns, k, NewManager(k, nil)
}

func set(t *testing.T, m *Manager, statics []Static, up ...int) {
	t.Helper()
	if err := m.Set(Desired(statics, upSet(up...))); err != nil {
		t.Fatalf("Set: %v", err)
	}
}

var (
	v4A = Static{Prefix: anycast, NextHop: addr("10.0.0.10"), Distance: 1, Track: 1}
	v4B = Static{Prefix: anycast, NextHop: addr("10.0.1.10"), Distance: 1, Track: 2}
	v4F = Static{Prefix: anycast, NextHop: addr("10.0.1.20"), Distance: 10}
	v6X = Static{Prefix: pfx("2001:db8::53/128"), NextHop: addr("fd00::10"), Distance: 1, Track: 3}
	v6Y = Static{Prefix: pfx("2001:db8::53/128"), NextHop: addr("fd01::10"), Distance: 1, Track: 4}
	dev = Static{Prefix: pfx("203.0.113.0/24"), Interface: "ve1", Distance: 5}
	gwd = Static{Prefix: pfx("198.51.100.0/24"), NextHop: addr("10.0.0.254"), Interface: "ve0", Distance: 2}
)

func TestNetlinkInstall(t *testing.T) {
	ns, k, m := newNetlinkManager(t)
	w := ns.watch(t)

	set(t, m, []Static{v4A}, 1)
	ns.checkTable(t, "192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0")
	checkEvents(t, w.sync(t), "new 192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0")

	got, err := k.List()
	if err != nil {
		t.Fatal(err)
	}
	if want := "192.0.2.53/32 metric 1 nexthop via 10.0.0.10 dev ve0"; len(got) != 1 || got[0].String() != want {
		t.Errorf("List() = %v, want [%s]", got, want)
	}

	set(t, m, []Static{v4A}, 1)
	checkEvents(t, w.sync(t)) // idempotent: nothing changed

	set(t, m, []Static{v4A})
	ns.checkTable(t)
	checkEvents(t, w.sync(t), "del 192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0")

	// Interface-only and gateway-plus-interface next hops.
	set(t, m, []Static{dev, gwd})
	ns.checkTable(t,
		"198.51.100.0/24 proto 200 metric 2 via 10.0.0.254 dev ve0",
		"203.0.113.0/24 proto 200 metric 5 dev ve1")
	if err := m.Resync(); err != nil {
		t.Fatal(err)
	}
	checkEvents(t, w.sync(t),
		"new 198.51.100.0/24 proto 200 metric 2 via 10.0.0.254 dev ve0",
		"new 203.0.113.0/24 proto 200 metric 5 dev ve1")
}

// TestNetlinkECMP checks that a next hop leaving or joining an ECMP route
// changes the route in place, without a moment with no route to the prefix
// and without a message that could touch another protocol's route with the
// same prefix and metric (see Netlink.change): IPv4 prepends a transitional
// route of ours, deletes the old one by its exact next hops and replaces
// the transitional one (the first route there: ours); IPv6 replaces the
// route when a FIB lookup shows it holds exactly the next hops this
// Netlink installed (NewNetlinkAt, with its lookup handle), and otherwise
// adds and deletes single next hops.
func TestNetlinkECMP(t *testing.T) {
	ns, _, m := newNetlinkManager(t)
	w := ns.watch(t)
	statics := []Static{v4A, v4B, v6X, v6Y}
	v6 := func(own, shared string) []string {
		if withOwnHandles {
			return []string{own}
		}
		return []string{shared}
	}

	set(t, m, statics, 1, 2, 3, 4)
	ns.checkTable(t,
		"192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"2001:db8::53/128 proto 200 metric 1 nexthop via fd00::10 dev ve0 nexthop via fd01::10 dev ve1")
	w.sync(t)

	set(t, m, statics, 2, 3)
	ns.checkTable(t,
		"192.0.2.53/32 proto 200 metric 1 via 10.0.1.10 dev ve1",
		"2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0")
	checkEvents(t, w.sync(t), append([]string{
		"new 192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.1.10 dev ve1 nexthop via 10.0.1.10 dev ve1 nexthop via 10.0.1.10 dev ve1",
		"del 192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"replace 192.0.2.53/32 proto 200 metric 1 via 10.0.1.10 dev ve1",
	}, v6(
		"replace 2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0",
		"del 2001:db8::53/128 proto 200 metric 1 via fd01::10 dev ve1",
	)...)...)

	set(t, m, statics, 1, 2, 3, 4)
	ns.checkTable(t,
		"192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"2001:db8::53/128 proto 200 metric 1 nexthop via fd00::10 dev ve0 nexthop via fd01::10 dev ve1")
	checkEvents(t, w.sync(t), append([]string{
		"new 192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1 nexthop via 10.0.0.10 dev ve0",
		"del 192.0.2.53/32 proto 200 metric 1 via 10.0.1.10 dev ve1",
		"replace 192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
	}, v6(
		"replace 2001:db8::53/128 proto 200 metric 1 nexthop via fd00::10 dev ve0 nexthop via fd01::10 dev ve1",
		// The added next hop, and its ECMP siblings.
		"new 2001:db8::53/128 proto 200 metric 1 nexthop via fd01::10 dev ve1 nexthop via fd00::10 dev ve0",
	)...)...)

	set(t, m, statics, 1, 2, 3, 4)
	checkEvents(t, w.sync(t))

	set(t, m, statics)
	ns.checkTable(t)
	checkEvents(t, w.sync(t),
		"del 192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"del 2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0",
		"del 2001:db8::53/128 proto 200 metric 1 via fd01::10 dev ve1")
}

// TestNetlinkFloating checks that two distances to one prefix are two
// kernel routes, and the failover to a floating static and back.
func TestNetlinkFloating(t *testing.T) {
	ns, k, m := newNetlinkManager(t)
	w := ns.watch(t)
	statics := []Static{v4A, v4F}

	set(t, m, statics, 1)
	ns.checkTable(t, "192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0")
	w.sync(t)

	set(t, m, statics)
	ns.checkTable(t, "192.0.2.53/32 proto 200 metric 10 via 10.0.1.20 dev ve1")
	checkEvents(t, w.sync(t),
		"new 192.0.2.53/32 proto 200 metric 10 via 10.0.1.20 dev ve1",
		"del 192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0")

	set(t, m, statics, 1)
	ns.checkTable(t, "192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0")
	checkEvents(t, w.sync(t),
		"new 192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0",
		"del 192.0.2.53/32 proto 200 metric 10 via 10.0.1.20 dev ve1")

	// Both metrics at once (not what Desired makes, but the kernel key).
	both := []Route{
		{Prefix: anycast, Metric: 1, NextHops: []NextHop{{Gateway: addr("10.0.0.10")}}},
		{Prefix: anycast, Metric: 10, NextHops: []NextHop{{Gateway: addr("10.0.1.20")}}},
	}
	if err := m.Set(both); err != nil {
		t.Fatal(err)
	}
	ns.checkTable(t,
		"192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0",
		"192.0.2.53/32 proto 200 metric 10 via 10.0.1.20 dev ve1")
	if got, _ := k.List(); len(got) != 2 {
		t.Errorf("List() = %v, want two routes", got)
	}
}

// TestNetlinkForeign checks that routes of another protocol are never
// listed, replaced or deleted: not by Set, Resync or Flush.
func TestNetlinkForeign(t *testing.T) {
	ns, k, m := newNetlinkManager(t)
	ns.ip(t,
		"route add 192.0.2.53/32 via 10.0.1.20 proto static metric 50",
		"route add 192.0.2.99/32 via 10.0.0.20 proto static metric 1",
		"route add 198.51.100.0/24 via 10.0.0.20 proto static",
		"route add 2001:db8::53/128 via fd01::20 proto static metric 1",
	)
	foreign := []string{
		"192.0.2.53/32 proto 4 metric 50 via 10.0.1.20 dev ve1",
		"192.0.2.99/32 proto 4 metric 1 via 10.0.0.20 dev ve0",
		"198.51.100.0/24 proto 4 metric 0 via 10.0.0.20 dev ve0",
		"2001:db8::53/128 proto 4 metric 1 via fd01::20 dev ve1",
	}
	ns.checkTable(t, foreign...)
	if got, err := k.List(); err != nil || len(got) != 0 {
		t.Fatalf("List() = %v, %v; want nothing", got, err)
	}
	w := ns.watch(t)

	// Same prefix and metric as a foreign route: refused, not replaced.
	taken := Static{Prefix: pfx("192.0.2.99/32"), NextHop: addr("10.0.0.10"), Distance: 1}
	err := m.Set(Desired([]Static{v4A, taken, v6X}, upSet(1, 3)))
	if err == nil || !strings.Contains(err.Error(), "192.0.2.99/32") || !strings.Contains(err.Error(), "protocol static") ||
		!strings.Contains(err.Error(), "2001:db8::53/128") {
		t.Errorf("Set error = %v, want refusals of 192.0.2.99/32 and 2001:db8::53/128 naming protocol static", err)
	}
	ns.checkTable(t, append([]string{"192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0"}, foreign...)...)
	checkEvents(t, w.sync(t), "new 192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0")
	if inst := m.Installed(); len(inst) != 1 || inst[0].Prefix != anycast {
		t.Errorf("Installed() = %v, want only 192.0.2.53/32", inst)
	}

	if err := m.Resync(); err == nil {
		t.Error("Resync: no error for the refused routes")
	}
	set(t, m, []Static{v4A, v4F})
	if err := m.Resync(); err != nil {
		t.Fatal(err)
	}
	set(t, m, nil)
	set(t, m, []Static{v4A, v4B}, 1, 2)
	ns.checkTable(t, append([]string{"192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1"}, foreign...)...)

	// Deleting our key where only a foreign route sits is a no-op.
	for _, r := range []Route{
		{Prefix: pfx("192.0.2.99/32"), Metric: 1},
		{Prefix: pfx("2001:db8::53/128"), Metric: 1},
		{Prefix: pfx("198.51.100.0/24"), Metric: 0},
	} {
		if err := k.Delete(r); err != nil {
			t.Errorf("Delete(%v): %v", r, err)
		}
	}
	if err := Flush(k); err != nil {
		t.Fatal(err)
	}
	ns.checkTable(t, foreign...)
	for _, ev := range w.sync(t) {
		if !strings.Contains(ev, "proto 200") {
			t.Errorf("a foreign route changed: %s", ev)
		}
	}
}

// TestNetlinkResync checks that Resync restores a route deleted by hand
// and removes a route of our protocol added by hand.
func TestNetlinkResync(t *testing.T) {
	ns, _, m := newNetlinkManager(t)
	statics := []Static{v4A, v4B, v6X, dev}
	set(t, m, statics, 1, 2, 3)
	want := []string{
		"192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0",
		"203.0.113.0/24 proto 200 metric 5 dev ve1",
	}
	ns.checkTable(t, want...)
	w := ns.watch(t)

	if err := m.Resync(); err != nil {
		t.Fatal(err)
	}
	checkEvents(t, w.sync(t)) // kernel matches: no writes

	ns.ip(t,
		"route del 192.0.2.53/32 metric 1 proto 200",
		"route del 2001:db8::53/128 metric 1 proto 200",
		"route add 192.0.2.77/32 via 10.0.0.30 proto 200 metric 3",
		"route change 203.0.113.0/24 dev ve0 proto 200 metric 5",
		"route add blackhole 192.0.2.66/32 proto 200 metric 1",
	)
	w.sync(t)
	if err := m.Resync(); err != nil {
		t.Fatal(err)
	}
	ns.checkTable(t, want...)
	checkEvents(t, w.sync(t),
		"new 192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"new 203.0.113.0/24 proto 200 metric 5 nexthop dev ve1 nexthop dev ve1",
		"del 203.0.113.0/24 proto 200 metric 5 dev ve0",
		"replace 203.0.113.0/24 proto 200 metric 5 dev ve1",
		"new 2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0",
		"del 192.0.2.66/32 proto 200 metric 1",
		"del 192.0.2.77/32 proto 200 metric 3 via 10.0.0.30 dev ve0")

	if err := m.Resync(); err != nil {
		t.Fatal(err)
	}
	checkEvents(t, w.sync(t))
}

// TestNetlinkAdopt simulates a restart: a new Manager adopts what the old
// one installed and, given the same desired routes, changes nothing.
func TestNetlinkAdopt(t *testing.T) {
	ns, _, m := newNetlinkManager(t)
	statics := []Static{v4A, v4B, v4F, v6X, v6Y, dev, gwd}
	set(t, m, statics, 1, 2, 3, 4)
	w := ns.watch(t)

	// A new process has a Netlink of its own, which has installed nothing.
	k2 := NewNetlink(ns.h, DefaultProtocol)
	if withOwnHandles {
		var err error
		if k2, err = NewNetlinkAt(ns.ns, DefaultProtocol); err != nil {
			t.Fatal(err)
		}
		defer k2.Close()
	}
	m2 := NewManager(k2, nil)
	adopted, err := m2.Adopt()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range adopted {
		lines = append(lines, r.String())
	}
	want := "192.0.2.53/32 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1\n" +
		"198.51.100.0/24 metric 2 nexthop via 10.0.0.254 dev ve0\n" +
		"203.0.113.0/24 metric 5 nexthop dev ve1\n" +
		"2001:db8::53/128 metric 1 nexthop via fd00::10 dev ve0 nexthop via fd01::10 dev ve1"
	if got := strings.Join(lines, "\n"); got != want {
		t.Errorf("Adopt() =\n%s\nwant\n%s", got, want)
	}
	set(t, m2, statics, 1, 2, 3, 4)
	checkEvents(t, w.sync(t))
	if err := m2.Resync(); err != nil {
		t.Fatal(err)
	}
	checkEvents(t, w.sync(t))

	// And the adopted routes follow the new desired state. IPv6 next hops
	// that this Netlink did not install itself change one by one; the one
	// left is then replaced by itself, for zebra, when a lookup (with
	// NewNetlinkAt's handle) shows it alone and ours.
	set(t, m2, statics, 1, 3)
	want6 := []string{
		"new 192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.0.10 dev ve0",
		"del 192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"replace 192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0",
		"del 2001:db8::53/128 proto 200 metric 1 via fd01::10 dev ve1",
	}
	if withOwnHandles {
		want6 = append(want6, "replace 2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0")
	}
	checkEvents(t, w.sync(t), want6...)

	// Back to two next hops, and to one: the IPv6 route is now known to
	// be ours alone with NewNetlinkAt (replaced at once); without a lookup
	// handle its next hop changes one by one still.
	set(t, m2, statics, 1, 2, 3, 4)
	w.sync(t)
	set(t, m2, statics, 1, 2, 3)
	ns.checkTable(t,
		"192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"198.51.100.0/24 proto 200 metric 2 via 10.0.0.254 dev ve0",
		"2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0",
		"203.0.113.0/24 proto 200 metric 5 dev ve1")
	if withOwnHandles {
		checkEvents(t, w.sync(t), "replace 2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0")
	} else {
		checkEvents(t, w.sync(t), "del 2001:db8::53/128 proto 200 metric 1 via fd01::10 dev ve1")
	}
}

// TestNetlinkSplitRoutes checks routes of ours that the kernel keeps apart
// under one prefix and metric (`ip route append`; IPv6 device-only routes):
// List merges them, and Replace and Delete remove all of them.
func TestNetlinkSplitRoutes(t *testing.T) {
	ns, k, m := newNetlinkManager(t)
	ns.ip(t,
		"route add 192.0.2.77/32 via 10.0.0.30 proto 200 metric 5",
		"route append 192.0.2.77/32 via 10.0.1.30 proto 200 metric 5",
		"route add 2001:db8::77/128 dev ve0 proto 200 metric 5",
		"route append 2001:db8::77/128 dev ve1 proto 200 metric 5",
		"route add 2001:db8::78/128 dev ve0 proto 200 metric 5",
		"route append 2001:db8::78/128 dev ve1 proto 200 metric 5",
	)
	got, err := m.Adopt()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range got {
		lines = append(lines, r.String())
	}
	want := "192.0.2.77/32 metric 5 nexthop via 10.0.0.30 dev ve0 nexthop via 10.0.1.30 dev ve1\n" +
		"2001:db8::77/128 metric 5 nexthop dev ve0 nexthop dev ve1\n" +
		"2001:db8::78/128 metric 5 nexthop dev ve0 nexthop dev ve1"
	if got := strings.Join(lines, "\n"); got != want {
		t.Errorf("Adopt() =\n%s\nwant\n%s", got, want)
	}
	err = m.Set([]Route{
		{Prefix: pfx("192.0.2.77/32"), Metric: 5, NextHops: []NextHop{{Gateway: addr("10.0.0.30")}, {Gateway: addr("10.0.1.30")}}},
		{Prefix: pfx("2001:db8::77/128"), Metric: 5, NextHops: []NextHop{{Gateway: addr("fd00::30")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.checkTable(t,
		"192.0.2.77/32 proto 200 metric 5 nexthop via 10.0.0.30 dev ve0 nexthop via 10.0.1.30 dev ve1",
		"2001:db8::77/128 proto 200 metric 5 via fd00::30 dev ve0")
	if err := m.Resync(); err != nil {
		t.Fatal(err)
	}
	if err := Flush(k); err != nil {
		t.Fatal(err)
	}
	ns.checkTable(t)
}

// TestNetlinkErrors checks that refusals name the route and leave the
// other routes installed.
func TestNetlinkErrors(t *testing.T) {
	ns, _, m := newNetlinkManager(t)
	err := m.Set([]Route{
		{Prefix: anycast, Metric: 1, NextHops: []NextHop{{Gateway: addr("10.9.9.9")}}},
		{Prefix: pfx("192.0.2.54/32"), Metric: 1, NextHops: []NextHop{{Gateway: addr("10.0.0.10"), Interface: "nosuch0"}}},
		{Prefix: pfx("2001:db8::53/128"), Metric: 1, NextHops: []NextHop{{Interface: "ve0"}, {Interface: "ve1"}}},
		{Prefix: pfx("2001:db8::54/128"), Metric: 1, NextHops: []NextHop{{Gateway: addr("fd09::9")}}},
		{Prefix: pfx("198.51.100.0/24"), Metric: 1, NextHops: []NextHop{{Gateway: addr("10.0.0.10")}}},
	})
	t.Logf("Set error:\n%v", err)
	for _, want := range []string{
		// ENETUNREACH; some kernels say EINVAL "Nexthop has invalid gateway".
		"route 192.0.2.53/32 metric 1 nexthop via 10.9.9.9: a gateway is not on a connected network",
		"route 192.0.2.54/32 metric 1 nexthop via 10.0.0.10 dev nosuch0: interface nosuch0",
		"route 2001:db8::53/128 metric 1 nexthop dev ve0 nexthop dev ve1: IPv6 ECMP needs a gateway on every next hop",
		"route 2001:db8::54/128 metric 1 nexthop via fd09::9: a gateway is not on a connected network",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Set error does not contain %q", want)
		}
	}
	ns.checkTable(t, "198.51.100.0/24 proto 200 metric 1 via 10.0.0.10 dev ve0")
	if inst := m.Installed(); len(inst) != 1 {
		t.Errorf("Installed() = %v, want only 198.51.100.0/24", inst)
	}
}

// addThirdLink gives t's namespace a third veth pair, ve2 10.0.2.1/24
// fd02::1/64, for an administrator's route. With down, the peer goes down
// (ve2 loses its carrier: its routes are "linkdown") and the kernel is told
// to skip linkdown routes in lookups, so that a FIB lookup of the prefix
// passes over the administrator's route.
func (t *testNS) addThirdLink(tb testing.TB, down bool) {
	tb.Helper()
	t.ip(tb,
		"link add ve2 type veth peer name vp2",
		"link set ve2 up", "link set vp2 up",
		"addr add 10.0.2.1/24 dev ve2",
		"addr add fd02::1/64 dev ve2 nodad",
	)
	if !down {
		return
	}
	for _, kv := range []string{
		"net.ipv4.conf.ve2.ignore_routes_with_linkdown=1",
		"net.ipv6.conf.ve2.ignore_routes_with_linkdown=1",
	} {
		if out, err := exec.Command("ip", "netns", "exec", t.name, "sysctl", "-qw", kv).CombinedOutput(); err != nil {
			tb.Fatalf("sysctl %s: %v: %s", kv, err, out)
		}
	}
}

// ipShow returns the output of `ip -n NS ARGS...`.
func (t *testNS) ipShow(tb testing.TB, args ...string) string {
	tb.Helper()
	out, err := exec.Command("ip", append([]string{"-n", t.name}, args...)...).CombinedOutput()
	if err != nil {
		tb.Fatalf("ip %q: %v: %s", args, err, out)
	}
	return string(out)
}

// waitShow waits until `ip -n NS ARGS...` prints something containing want.
func (t *testNS) waitShow(tb testing.TB, want string, args ...string) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := t.ipShow(tb, args...)
		if strings.Contains(out, want) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("ip %q never showed %q; last:\n%s", args, want, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fibProtocol returns the protocol of the route the kernel forwards dst
// with (`ip route get fibmatch`).
func (t *testNS) fibProtocol(tb testing.TB, dst netip.Addr) string {
	tb.Helper()
	out := t.ipShow(tb, "route", "get", "fibmatch", dst.String())
	if strings.Contains(out, "proto static") {
		return "static"
	}
	if strings.Contains(out, "proto 200") {
		return "200"
	}
	return out
}

// TestNetlinkForeignSameKey checks that an administrator's route added at
// the prefix and metric of an ipslad ECMP route (`ip route prepend`, which
// puts it in front of ours) survives every in-place change of ours, byte
// for byte, whether its next hop is up or linkdown (then a FIB lookup of
// the prefix finds ours, not the administrator's), IPv4 and IPv6; and that
// the route that forwards the prefix stays the one that did. On IPv4 the
// two are separate routes. On IPv6 the kernel makes every same-metric
// gateway route one ECMP route: the administrator's next hop joins ours,
// and must stay there until ours are gone.
//
// It runs through NewNetlink and NewNetlinkAt (whose lookup handle lets
// IPv6 try a replace, which must see the administrator's next hop).
func TestNetlinkForeignSameKey(t *testing.T) {
	defer func() { withOwnHandles = false }()
	for _, own := range []bool{false, true} {
		for _, down := range []bool{false, true} {
			name := map[bool]string{false: "shared", true: "own"}[own] + "/" +
				map[bool]string{false: "up", true: "linkdown"}[down]
			withOwnHandles = own
			t.Run("v4/"+name, func(t *testing.T) { testForeignSameKey4(t, down) })
			t.Run("v6/"+name, func(t *testing.T) { testForeignSameKey6(t, down) })
		}
	}
}

func testForeignSameKey4(t *testing.T, down bool) {
	ns, k, m := newNetlinkManager(t)
	ns.addThirdLink(t, down)
	statics := []Static{v4A, v4B}
	set(t, m, statics, 1, 2)
	ns.ip(t, "route prepend 192.0.2.53/32 via 10.0.2.20 proto static metric 1")
	if down {
		ns.ip(t, "link set vp2 down")
		ns.waitShow(t, "linkdown", "route", "show", "192.0.2.53/32", "proto", "static")
	}
	show := []string{"route", "show", "192.0.2.53/32", "proto", "static"}
	admin := ns.ipShow(t, show...)
	adminLine := "192.0.2.53/32 proto 4 metric 1 via 10.0.2.20 dev ve2"
	forwarder := ns.fibProtocol(t, anycast.Addr())
	if want := map[bool]string{false: "static", true: "200"}[down]; forwarder != want {
		t.Fatalf("before any change the FIB forwards with %s, want %s", forwarder, want)
	}
	for _, step := range []struct {
		up   []int
		ours string
	}{
		{[]int{1}, "192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0"},
		{[]int{1, 2}, "192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1"},
		{[]int{2}, "192.0.2.53/32 proto 200 metric 1 via 10.0.1.10 dev ve1"},
		{[]int{1, 2}, "192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1"},
	} {
		set(t, m, statics, step.up...)
		if got := ns.ipShow(t, show...); got != admin {
			t.Fatalf("tracks up %v: the administrator's route changed:\n%s\nwas\n%s", step.up, got, admin)
		}
		want := []string{adminLine, step.ours}
		slices.Sort(want)
		ns.checkTable(t, want...)
		if got := ns.fibProtocol(t, anycast.Addr()); got != forwarder {
			t.Errorf("tracks up %v: the FIB forwards with %s, was %s", step.up, got, forwarder)
		}
	}
	// Ours goes, as a withdrawal or on a flush; a new route of ours would
	// not come back, as the administrator's holds the prefix and metric.
	if down {
		set(t, m, statics)
	} else if err := Flush(k); err != nil {
		t.Fatal(err)
	}
	ns.checkTable(t, adminLine)
	if got := ns.ipShow(t, show...); got != admin {
		t.Fatalf("at the end the administrator's route is\n%s\nwas\n%s", got, admin)
	}
}

func testForeignSameKey6(t *testing.T, down bool) {
	ns, _, m := newNetlinkManager(t)
	ns.addThirdLink(t, down)
	statics := []Static{v6X, v6Y}
	set(t, m, statics, 3, 4)
	ns.ip(t, "route prepend 2001:db8::53/128 via fd02::20 proto static metric 1")
	show := []string{"-6", "route", "show", "2001:db8::53/128"}
	if down {
		ns.ip(t, "link set vp2 down")
		ns.waitShow(t, "linkdown", show...)
	}
	// The administrator's next hop, as `ip -6 route` prints it in the
	// ECMP route it joined.
	var adminHop string
	for _, l := range strings.Split(ns.ipShow(t, show...), "\n") {
		if strings.Contains(l, "fd02::20") {
			adminHop = strings.TrimSpace(l)
		}
	}
	if !strings.HasPrefix(adminHop, "nexthop via fd02::20 dev ve2") {
		t.Fatalf("the administrator's route did not join ours:\n%s", ns.ipShow(t, show...))
	}
	hops := map[int]string{3: "fd00::10 dev ve0", 4: "fd01::10 dev ve1"}
	for _, up := range [][]int{{3}, {3, 4}, {4}, {3, 4}} {
		set(t, m, statics, up...)
		out := ns.ipShow(t, show...)
		var got []string
		for _, l := range strings.Split(out, "\n") {
			l = strings.TrimSpace(l)
			if strings.HasPrefix(l, "nexthop via ") {
				got = append(got, l)
			}
		}
		want := []string{adminHop}
		for _, tr := range up {
			want = append(want, "nexthop via "+hops[tr]+" weight 1")
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("tracks up %v: next hops are\n%s\nwant\n%s\n(ip -6 route show:\n%s)", up, strings.Join(got, "\n"), strings.Join(want, "\n"), out)
		}
	}
	set(t, m, statics)
	checkAdmin6(t, ns, adminHop)
}

// checkAdmin6 checks that the administrator's IPv6 route is all that is
// left, as it was: adminHop is its next hop as `ip -6 route` printed it in
// the ECMP route it had joined.
func checkAdmin6(t *testing.T, ns *testNS, adminHop string) {
	t.Helper()
	ns.checkTable(t, "2001:db8::53/128 proto 4 metric 1 via fd02::20 dev ve2")
	out := ns.ipShow(t, "-6", "route", "show", "2001:db8::53/128")
	want := "2001:db8::53 " + strings.Replace(strings.TrimPrefix(adminHop, "nexthop "), " weight 1", " proto static metric 1", 1)
	if !strings.Contains(out, want) {
		t.Errorf("at the end the administrator's route is\n%s\nwant it as it was: %s", out, want)
	}
}

// TestNetlinkFlushForeignSibling checks Flush (List, then Delete) of an
// IPv6 ECMP route of ours that an administrator's same-metric gateway
// route joined: the kernel dumps the joined route as ours, the
// administrator's next hop in it, and Delete must still leave that one.
func TestNetlinkFlushForeignSibling(t *testing.T) {
	defer func() { withOwnHandles = false }()
	for _, own := range []bool{false, true} {
		withOwnHandles = own
		t.Run(map[bool]string{false: "shared", true: "own"}[own], testFlushForeignSibling)
	}
}

func testFlushForeignSibling(t *testing.T) {
	ns, k, m := newNetlinkManager(t)
	ns.addThirdLink(t, false)
	set(t, m, []Static{v6X, v6Y}, 3, 4)
	ns.ip(t, "route prepend 2001:db8::53/128 via fd02::20 proto static metric 1")
	got, err := k.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].NextHops) != 3 {
		t.Fatalf("List() = %v, want the joined ECMP route (this test relies on the kernel listing it as ours)", got)
	}
	// A resync sees a next hop too many in our route: trying to delete it
	// (as ours) changes nothing, and nothing else is done about it.
	w := ns.watch(t)
	for range 2 {
		if err := m.Resync(); err != nil {
			t.Fatal(err)
		}
	}
	checkEvents(t, w.sync(t))
	if err := Flush(k); err != nil {
		t.Fatal(err)
	}
	checkAdmin6(t, ns, "nexthop via fd02::20 dev ve2 weight 1")
}

// TestNetlinkChange6Adopted checks IPv6 changes of an ECMP route that this
// Netlink did not install itself (adopted after a restart), which change
// next hop by next hop: the prefix always has a route, and the last message
// about it is an add or a replace, never the delete of one next hop (zebra
// would take that for the delete of the whole route).
func TestNetlinkChange6Adopted(t *testing.T) {
	defer func() { withOwnHandles = false }()
	for _, own := range []bool{false, true} {
		withOwnHandles = own
		t.Run(map[bool]string{false: "shared", true: "own"}[own], testChange6Adopted)
	}
}

func testChange6Adopted(t *testing.T) {
	ns, _, m := newNetlinkManager(t)
	ns.addThirdLink(t, false)
	p := pfx("2001:db8::53/128")
	hop := func(gw string) NextHop { return NextHop{Gateway: addr(gw)} }
	x, y, z := hop("fd00::10"), hop("fd01::10"), hop("fd02::10")
	if err := m.Set([]Route{{Prefix: p, Metric: 1, NextHops: []NextHop{x, y, z}}}); err != nil {
		t.Fatal(err)
	}
	// A new process: a Netlink of its own, which installed nothing.
	k2 := NewNetlink(ns.h, DefaultProtocol)
	if withOwnHandles {
		var err error
		if k2, err = NewNetlinkAt(ns.ns, DefaultProtocol); err != nil {
			t.Fatal(err)
		}
		defer k2.Close()
	}
	m2 := NewManager(k2, nil)
	if _, err := m2.Adopt(); err != nil {
		t.Fatal(err)
	}
	w := ns.watch(t)
	for _, step := range []struct {
		hops   []NextHop
		table  string
		events []string
	}{
		{ // two of three stay: one is deleted and added again
			[]NextHop{x, y},
			"2001:db8::53/128 proto 200 metric 1 nexthop via fd01::10 dev ve1 nexthop via fd00::10 dev ve0",
			[]string{
				"del 2001:db8::53/128 proto 200 metric 1 via fd02::10 dev ve2",
				"del 2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0",
				"new 2001:db8::53/128 proto 200 metric 1 nexthop via fd00::10 dev ve0 nexthop via fd01::10 dev ve1",
			},
		},
		{ // none stays: the new one first, then the old ones go
			[]NextHop{z},
			"2001:db8::53/128 proto 200 metric 1 via fd02::10 dev ve2",
			[]string{
				"new 2001:db8::53/128 proto 200 metric 1 nexthop via fd02::10 dev ve2 nexthop via fd01::10 dev ve1 nexthop via fd00::10 dev ve0",
				"del 2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0",
				"del 2001:db8::53/128 proto 200 metric 1 via fd01::10 dev ve1",
			},
		},
		{ // one stays, one comes: added last
			[]NextHop{x, z},
			"2001:db8::53/128 proto 200 metric 1 nexthop via fd02::10 dev ve2 nexthop via fd00::10 dev ve0",
			[]string{
				"new 2001:db8::53/128 proto 200 metric 1 nexthop via fd00::10 dev ve0 nexthop via fd02::10 dev ve2",
			},
		},
	} {
		if err := m2.Set([]Route{{Prefix: p, Metric: 1, NextHops: step.hops}}); err != nil {
			t.Fatal(err)
		}
		want := step.events
		switch {
		case withOwnHandles && len(step.hops) == 1:
			// One next hop, alone and ours in a lookup: replaced by
			// itself, and from now on known to be ours.
			want = append(want, "replace 2001:db8::53/128 proto 200 metric 1 via fd02::10 dev ve2")
		case withOwnHandles && step.hops[1] == z:
			// Known to be ours, and a lookup shows nothing else: one
			// replace.
			step.table = "2001:db8::53/128 proto 200 metric 1 nexthop via fd00::10 dev ve0 nexthop via fd02::10 dev ve2"
			want = []string{"replace " + step.table}
		}
		ns.checkTable(t, step.table)
		checkEvents(t, w.sync(t), want...)
	}
}

// TestWatchOwnChangesQuiet checks that Watch does not report the deletions
// an in-place change makes (the old IPv4 route, IPv6 next hops) as
// RouteGone: the Manager would forget the route and install it again, and
// the daemon warn that a route of ours was deleted by hand. A deletion by
// hand is still reported, and the route put back.
func TestWatchOwnChangesQuiet(t *testing.T) {
	ns := newTestNS(t)
	ns.addThirdLink(t, false)
	z := Static{Prefix: pfx("2001:db8::53/128"), NextHop: addr("fd02::10"), Distance: 1, Track: 5}
	f, _ := follow(t, ns, []Static{v4A, v4B, v6X, v6Y, z}, 1, 2, 3, 4, 5)
	w := ns.watch(t)
	for _, up := range [][]int{{1, 3, 4}, {1, 2, 3, 4, 5}, {2, 5}, {1, 2, 3, 5}, {1, 2, 3, 4, 5}} {
		f.mu.Lock()
		f.up = upSet(up...)
		f.applyLocked(t)
		f.mu.Unlock()
	}
	w.sync(t)
	time.Sleep(50 * time.Millisecond) // any event would have been handled by now
	f.mu.Lock()
	for _, e := range f.events {
		if e.Kind == RouteGone {
			t.Errorf("Watch reported %+v for a change of ours", e)
		}
	}
	f.events = nil
	f.mu.Unlock()
	if ev := w.sync(t); len(ev) > 0 {
		t.Errorf("routes changed after the last decision:\n%s", strings.Join(ev, "\n"))
	}
	want := []string{
		"192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"2001:db8::53/128 proto 200 metric 1 nexthop via fd00::10 dev ve0 nexthop via fd01::10 dev ve1 nexthop via fd02::10 dev ve2",
	}
	ns.checkTable(t, want...)

	ns.ip(t, "route del 192.0.2.53/32 metric 1 proto 200")
	if e := f.waitEvent(t, RouteGone); e.Prefix != anycast {
		t.Errorf("event %+v, want RouteGone of %v", e, anycast)
	}
	waitTable(t, ns, want...)
}

// TestNetlinkForeignSameKeyWatched checks the case where change skips the
// FIB lookup: Watch running, our route added exclusively. An
// administrator's route added at its prefix and metric since must bring the
// lookup back, so that the administrator's route, forwarding the prefix,
// stays in front of ours.
func TestNetlinkForeignSameKeyWatched(t *testing.T) {
	ns := newTestNS(t)
	ns.addThirdLink(t, false)
	f, k := follow(t, ns, []Static{v4A, v4B}) // tracks down: no route yet
	f.mu.Lock()
	f.up = upSet(1, 2)
	f.applyLocked(t) // added while Watch runs
	f.mu.Unlock()
	k4 := Route{Prefix: anycast, Metric: 1}.key()
	if !k.isClean(k4) {
		t.Fatal("a route added exclusively while Watch runs is not clean")
	}
	ns.ip(t, "route prepend 192.0.2.53/32 via 10.0.2.20 proto static metric 1")
	deadline := time.Now().Add(5 * time.Second)
	for k.isClean(k4) {
		if time.Now().After(deadline) {
			t.Fatal("Watch did not see the administrator's route")
		}
		time.Sleep(5 * time.Millisecond)
	}
	show := []string{"route", "show", "192.0.2.53/32", "proto", "static"}
	admin := ns.ipShow(t, show...)
	for _, up := range [][]int{{1}, {1, 2}} {
		f.mu.Lock()
		f.up = upSet(up...)
		f.applyLocked(t)
		f.mu.Unlock()
		if got := ns.fibProtocol(t, anycast.Addr()); got != "static" {
			t.Errorf("tracks up %v: the FIB forwards with %s, want the administrator's route", up, got)
		}
		if got := ns.ipShow(t, show...); got != admin {
			t.Fatalf("tracks up %v: the administrator's route changed:\n%s\nwas\n%s", up, got, admin)
		}
	}
	waitTable(t, ns,
		"192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"192.0.2.53/32 proto 4 metric 1 via 10.0.2.20 dev ve2")
}
