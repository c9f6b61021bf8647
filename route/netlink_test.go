//go:build linux

package route

import (
	"fmt"
	"net"
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
// replaces the route in place: one RTM_NEWROUTE with NLM_F_REPLACE, never
// an RTM_DELROUTE, for IPv4 and IPv6 alike.
func TestNetlinkECMP(t *testing.T) {
	ns, _, m := newNetlinkManager(t)
	w := ns.watch(t)
	statics := []Static{v4A, v4B, v6X, v6Y}

	set(t, m, statics, 1, 2, 3, 4)
	ns.checkTable(t,
		"192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"2001:db8::53/128 proto 200 metric 1 nexthop via fd00::10 dev ve0 nexthop via fd01::10 dev ve1")
	w.sync(t)

	set(t, m, statics, 2, 3)
	ns.checkTable(t,
		"192.0.2.53/32 proto 200 metric 1 via 10.0.1.10 dev ve1",
		"2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0")
	checkEvents(t, w.sync(t),
		"replace 192.0.2.53/32 proto 200 metric 1 via 10.0.1.10 dev ve1",
		"replace 2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0")

	set(t, m, statics, 1, 2, 3, 4)
	checkEvents(t, w.sync(t),
		"replace 192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"replace 2001:db8::53/128 proto 200 metric 1 nexthop via fd00::10 dev ve0 nexthop via fd01::10 dev ve1")

	set(t, m, statics, 1, 2, 3, 4)
	checkEvents(t, w.sync(t))

	set(t, m, statics)
	ns.checkTable(t)
	checkEvents(t, w.sync(t),
		"del 192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"del 2001:db8::53/128 proto 200 metric 1 nexthop via fd00::10 dev ve0 nexthop via fd01::10 dev ve1")
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
	ns, k, m := newNetlinkManager(t)
	statics := []Static{v4A, v4B, v4F, v6X, v6Y, dev, gwd}
	set(t, m, statics, 1, 2, 3, 4)
	w := ns.watch(t)

	m2 := NewManager(k, nil)
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

	// And the adopted routes follow the new desired state.
	set(t, m2, statics, 1, 3)
	checkEvents(t, w.sync(t),
		"replace 192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0",
		"replace 2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0")
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
