//go:build linux

package route

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// follower drives a Manager from a Netlink's events the way ipslad does:
// a route of ours deleted by hand is put back; any other change re-reads
// the kernel and re-evaluates the statics.
type follower struct {
	k       *Netlink
	m       *Manager
	statics []Static
	up      func(int) bool
	mu      sync.Mutex
	events  []Event
}

func follow(t *testing.T, ns *testNS, statics []Static, up ...int) (*follower, *Netlink) {
	t.Helper()
	k, err := NewNetlinkAt(ns.ns, DefaultProtocol)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	f := &follower{k: k, m: NewManager(k, nil), statics: statics, up: upSet(up...)}
	f.apply(t)
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan Event, 64)
	stopped := make(chan error, 1)
	go func() { stopped <- k.Watch(ctx, events) }()
	handled := make(chan struct{})
	go func() {
		defer close(handled)
		for e := range events {
			f.mu.Lock()
			f.events = append(f.events, e)
			refresh := e.Kind != RouteGone
			if !refresh && !f.m.Lost(e.Prefix, e.Metric) {
				f.mu.Unlock()
				continue
			}
			if refresh {
				if err := f.m.Refresh(); err != nil {
					t.Errorf("Refresh: %v", err)
				}
			}
			f.applyLocked(t)
			f.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("Watch: %v", err)
		}
		close(events)
		<-handled
	})
	// Watch is live once it reports a change we make.
	ns.ip(t, "addr add 10.9.9.9/32 dev lo")
	f.waitEvent(t, AddrChanged)
	return f, k
}

func (f *follower) apply(t *testing.T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applyLocked(t)
}

func (f *follower) applyLocked(t *testing.T) {
	desired, _ := Evaluate(f.statics, f.up, f.k)
	if err := f.m.Set(desired); err != nil {
		// As in the daemon: while a link goes down the kernel may refuse a
		// route before the link's own notification arrives; the next event
		// applies again. The tests assert the table they converge to.
		t.Logf("Set (retried on the next event): %v", err)
	}
}

func (f *follower) waitEvent(t *testing.T, kind EventKind) Event {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		f.mu.Lock()
		for i, e := range f.events {
			if e.Kind == kind {
				f.events = f.events[i+1:]
				f.mu.Unlock()
				return e
			}
		}
		f.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %v event", kind)
	return Event{}
}

// waitTable waits until the kernel's table is want: events are handled
// asynchronously.
func waitTable(t *testing.T, ns *testNS, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := ns.table(t)
		if got == strings.Join(want, "\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kernel table is\n%s\nwant\n%s", got, strings.Join(want, "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWatchRestoresDeletedRoute(t *testing.T) {
	ns := newTestNS(t)
	f, _ := follow(t, ns, []Static{v4A, v4B, v6X, dev}, 1, 2, 3)
	want := []string{
		"192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1",
		"2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0",
		"203.0.113.0/24 proto 200 metric 5 dev ve1",
	}
	ns.checkTable(t, want...)
	ns.ip(t, "route del 192.0.2.53/32 metric 1 proto 200", "route del 2001:db8::53/128 metric 1 proto 200")
	e := f.waitEvent(t, RouteGone)
	if e.Prefix != anycast || e.Metric != 1 {
		t.Errorf("event %+v, want RouteGone of %v metric 1", e, anycast)
	}
	waitTable(t, ns, want...)

	// A foreign route is never touched, also not when it is deleted.
	ns.ip(t, "route add 192.0.2.99/32 via 10.0.0.99 proto static metric 1",
		"route del 192.0.2.99/32 via 10.0.0.99 proto static metric 1",
		"route add 192.0.2.98/32 via 10.0.0.98 proto static metric 1")
	waitTable(t, ns, want[0], "192.0.2.98/32 proto 4 metric 1 via 10.0.0.98 dev ve0", want[1], want[2])

	// Our own withdrawal is not restored.
	f.mu.Lock()
	f.up = upSet(1, 3)
	f.applyLocked(t)
	f.statics = f.statics[:3]
	f.applyLocked(t)
	f.mu.Unlock()
	f.waitEvent(t, RouteGone)
	waitTable(t, ns,
		"192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0",
		"192.0.2.98/32 proto 4 metric 1 via 10.0.0.98 dev ve0",
		"2001:db8::53/128 proto 200 metric 1 via fd00::10 dev ve0")
}

// TestWatchLinkFlap: a primary through an interface that goes down gives
// way to the floating static and comes back with the interface; a
// permanent route through it is put back when it comes up (Linux drops
// IPv4 routes through an interface that is set down).
func TestWatchLinkFlap(t *testing.T) {
	ns := newTestNS(t)
	perm := Static{Prefix: pfx("198.51.100.0/24"), Interface: "ve0", Distance: 1, Permanent: true}
	follow(t, ns, []Static{v4A, v4F, perm}, 1)
	up := []string{
		"192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0",
		"198.51.100.0/24 proto 200 metric 1 dev ve0",
	}
	ns.checkTable(t, up...)
	ns.ip(t, "link set vp0 down") // carrier loss on ve0: the kernel keeps routes
	waitTable(t, ns,
		"192.0.2.53/32 proto 200 metric 10 via 10.0.1.20 dev ve1",
		"198.51.100.0/24 proto 200 metric 1 dev ve0")
	ns.ip(t, "link set vp0 up")
	waitTable(t, ns, up...)
	ns.ip(t, "link set ve0 down") // admin down: the kernel drops them
	waitTable(t, ns, "192.0.2.53/32 proto 200 metric 10 via 10.0.1.20 dev ve1")
	ns.ip(t, "link set ve0 up")
	waitTable(t, ns, up...)
}

// TestWatchNextHopResolution: a route whose gateway is on no connected
// network is not installed (and not an error) until an address makes it
// reachable; it goes again with the address.
func TestWatchNextHopResolution(t *testing.T) {
	ns := newTestNS(t)
	far := Static{Prefix: pfx("198.51.100.0/24"), NextHop: addr("10.7.0.1"), Distance: 1}
	follow(t, ns, []Static{far})
	ns.checkTable(t)
	ns.ip(t, "addr add 10.7.0.2/24 dev ve1")
	waitTable(t, ns, "198.51.100.0/24 proto 200 metric 1 via 10.7.0.1 dev ve1")
	ns.ip(t, "addr del 10.7.0.2/24 dev ve1")
	waitTable(t, ns)
}

func TestNetlinkResolve(t *testing.T) {
	ns := newTestNS(t)
	k := NewNetlink(ns.h, DefaultProtocol)
	ns.ip(t, "link add du0 type veth peer name du1", "link set vp1 down")
	tests := []struct {
		name string
		s    Static
		want string
	}{
		{"gateway on a connected network", Static{NextHop: addr("10.0.0.10")}, ""},
		{"IPv6 gateway on a connected network", Static{NextHop: addr("fd00::10")}, ""},
		{"gateway elsewhere", Static{NextHop: addr("10.7.0.1")}, "next hop 10.7.0.1 is not on a connected network"},
		{"gateway on the wrong interface", Static{NextHop: addr("10.0.1.10"), Interface: "ve0"}, "next hop 10.0.1.10 is not on a network of ve0"},
		{"gateway on its interface", Static{NextHop: addr("10.0.0.10"), Interface: "ve0"}, ""},
		{"interface up", Static{Interface: "ve0"}, ""},
		{"interface without carrier", Static{Interface: "ve1"}, "interface ve1 is down"},
		{"gateway behind an interface without carrier", Static{NextHop: addr("10.0.1.10")}, "next hop 10.0.1.10: its interface is down"},
		{"permanent: interface without carrier", Static{Interface: "ve1", Permanent: true}, ""},
		{"interface admin down", Static{Interface: "du0"}, "interface du0 is administratively down"},
		{"permanent: interface admin down", Static{Interface: "du0", Permanent: true}, "interface du0 is administratively down"},
		{"IPv6 gateway without carrier", Static{NextHop: addr("fd01::10")}, "next hop fd01::10: its interface is down"},
		{"no such interface", Static{Interface: "nope0"}, "interface nope0 does not exist"},
		{"link-local without interface", Static{NextHop: addr("fe80::1")}, "link-local next hop fe80::1 needs an interface"},
		{"link-local with interface", Static{NextHop: addr("fe80::1"), Interface: "ve0"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := k.Resolve(tt.s); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Resolve(%+v) = %q, want %q", tt.s, got, tt.want)
			}
		})
	}
	c, err := k.Connected()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/24 10.0.1.0/24 fd00::/64 fd01::/64" {
		t.Errorf("Connected() = %v", got)
	}
}

// TestNetlinkOwnHandles runs the kernel tests again through NewNetlinkAt,
// whose replace checks ownership with one FIB lookup for IPv6 too.
func TestNetlinkOwnHandles(t *testing.T) {
	withOwnHandles = true
	defer func() { withOwnHandles = false }()
	for name, f := range map[string]func(*testing.T){
		"Install": TestNetlinkInstall, "ECMP": TestNetlinkECMP, "Floating": TestNetlinkFloating,
		"Foreign": TestNetlinkForeign, "Resync": TestNetlinkResync, "Adopt": TestNetlinkAdopt,
		"SplitRoutes": TestNetlinkSplitRoutes, "Errors": TestNetlinkErrors,
	} {
		t.Run(name, f)
	}
}

// TestOnlyOurs checks the one-lookup ownership test itself, IPv4 and IPv6.
func TestOnlyOurs(t *testing.T) {
	ns := newTestNS(t)
	k, err := NewNetlinkAt(ns.ns, DefaultProtocol)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	m := NewManager(k, nil)
	set(t, m, []Static{v4A, v6X}, 1, 3)
	ns.ip(t, "route add 192.0.2.99/32 via 10.0.0.20 proto static metric 1",
		"route add 2001:db8::99/128 via fd00::20 proto static metric 1")
	for _, tt := range []struct {
		r    Route
		want bool
	}{
		{Route{Prefix: anycast, Metric: 1}, true},
		{Route{Prefix: pfx("2001:db8::53/128"), Metric: 1}, true},
		{Route{Prefix: anycast, Metric: 2}, false},                 // another metric
		{Route{Prefix: pfx("192.0.2.99/32"), Metric: 1}, false},    // foreign
		{Route{Prefix: pfx("2001:db8::99/128"), Metric: 1}, false}, // foreign
		{Route{Prefix: pfx("192.0.2.0/24"), Metric: 1}, false},     // nothing there
		{Route{Prefix: anycast, Metric: 1, split: true}, true},     // (replace skips it when split)
	} {
		if got := k.onlyOurs(tt.r); got != tt.want {
			t.Errorf("onlyOurs(%v) = %v, want %v", tt.r, got, tt.want)
		}
	}
	// Without handles of its own, IPv6 always falls back to reading the table.
	if NewNetlink(ns.h, DefaultProtocol).onlyOurs(Route{Prefix: pfx("2001:db8::53/128"), Metric: 1}) {
		t.Error("NewNetlink: IPv6 lookup on a strict handle")
	}
}
