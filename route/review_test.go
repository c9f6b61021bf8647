//go:build linux

package route

import (
	"strings"
	"testing"
	"time"
)

// TestNetlinkLeftoverTransitional checks what happens to a transitional
// IPv4 route (change4's step 1: the new next hops, one repeated) that a
// change left behind: ipslad killed between step 1 and step 3, or step 3
// refused. The kernel holds only that route of ours.
func TestNetlinkLeftoverTransitional(t *testing.T) {
	t.Run("change", func(t *testing.T) {
		// The Manager still believes the old route {A} installed;
		// the kernel has T = {B, B} (old {A}, new {B}).
		ns, _, m := newNetlinkManager(t)
		set(t, m, []Static{v4A, v4B}, 1)
		ns.ip(t,
			"route del 192.0.2.53/32 proto 200 metric 1",
			"route add 192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.1.10 nexthop via 10.0.1.10",
		)
		done := make(chan error, 1)
		go func() { done <- m.Set(Desired([]Static{v4A, v4B}, upSet(2))) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Set did not return within 10 s (change4 and replaceSlow recurse)")
		}
		ns.checkTable(t, "192.0.2.53/32 proto 200 metric 1 via 10.0.1.10 dev ve1")
	})
	t.Run("adopt", func(t *testing.T) {
		// After a restart: T = {A, B, A} (old {B}, new {A, B}) is
		// adopted; it must not pass for {A, B} (A would carry 2/3).
		ns, k, _ := newNetlinkManager(t)
		ns.ip(t, "route add 192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 nexthop via 10.0.1.10 nexthop via 10.0.0.10")
		m := NewManager(k, nil)
		if _, err := m.Adopt(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- m.Set(Desired([]Static{v4A, v4B}, upSet(1, 2))) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Set did not return within 10 s")
		}
		ns.checkTable(t, "192.0.2.53/32 proto 200 metric 1 nexthop via 10.0.0.10 dev ve0 nexthop via 10.0.1.10 dev ve1")
	})
	t.Run("behind-foreign", func(t *testing.T) {
		// An administrator's route in front, forwarding; ours, already
		// as desired, behind it; the Manager does not know ours (a
		// fresh start with Replace): change4 appends, which EEXISTs.
		ns, k, _ := newNetlinkManager(t)
		ns.ip(t,
			"route add 192.0.2.53/32 via 10.0.1.20 proto static metric 1",
			"route append 192.0.2.53/32 via 10.0.0.10 proto 200 metric 1",
		)
		done := make(chan error, 1)
		go func() {
			done <- k.Replace(Route{Prefix: anycast, Metric: 1, NextHops: []NextHop{{Gateway: addr("10.0.0.10")}}})
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Replace: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Replace did not return within 10 s")
		}
		ns.checkTable(t,
			"192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0",
			"192.0.2.53/32 proto 4 metric 1 via 10.0.1.20 dev ve1")
		if got := ns.fibProtocol(t, anycast.Addr()); got != "static" {
			t.Errorf("the prefix is forwarded by protocol %s, want the administrator's route (in front)", got)
		}
	})
}

// TestNetlinkForeignSibling6Refresh: after hop-by-hop IPv6 changes the
// administrator's next hop can become the first of the joined ECMP route,
// and the kernel then dumps the whole route with the administrator's
// protocol. List must still report the next hops of ours that this Netlink
// installed (a Refresh, the daemon's periodic resync or any link/address
// event, must not make the Manager forget them); then later changes work,
// withdrawing the route deletes our next hop, and Flush does too, all
// without touching the administrator's. Run with the lookup handle (own)
// and without it (shared: List falls back to a dump of the table).
func TestNetlinkForeignSibling6Refresh(t *testing.T) {
	defer func() { withOwnHandles = false }()
	for _, own := range []bool{false, true} {
		withOwnHandles = own
		t.Run(map[bool]string{false: "shared", true: "own"}[own], testForeignSibling6Refresh)
	}
}

func testForeignSibling6Refresh(t *testing.T) {
	statics := []Static{v6X, v6Y}
	const y = "2001:db8::53/128 metric 1 nexthop via fd01::10 dev ve1"
	const admin = "2001:db8::53/128 proto 4 metric 1 via fd02::20 dev ve2"
	// setup makes X, Y, then the administrator's Z joins: X, Y, Z; {X}:
	// X, Z; {X, Y}: X, Z, Y; {Y}: Z, Y, dumped as protocol static.
	setup := func(t *testing.T) (*testNS, *Netlink, *Manager) {
		ns, k, m := newNetlinkManager(t)
		ns.addThirdLink(t, false)
		set(t, m, statics, 3, 4)
		ns.ip(t, "route prepend 2001:db8::53/128 via fd02::20 proto static metric 1")
		set(t, m, statics, 3)
		set(t, m, statics, 3, 4)
		set(t, m, statics, 4)
		return ns, k, m
	}
	refresh := func(t *testing.T, ns *testNS, m *Manager, want ...string) {
		t.Helper()
		if err := m.Refresh(); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range m.Installed() {
			got = append(got, r.String())
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("installed after Refresh:\n%s\nwant\n%s\nkernel:\n%s", strings.Join(got, "\n"),
				strings.Join(want, "\n"), ns.ipShow(t, "-6", "route", "show", "2001:db8::53/128"))
		}
	}
	t.Run("withdraw", func(t *testing.T) {
		ns, _, m := setup(t)
		refresh(t, ns, m, y)
		// Changes after the Refresh: X back (behind Z), X gone again.
		set(t, m, statics, 3, 4)
		refresh(t, ns, m, "2001:db8::53/128 metric 1 nexthop via fd00::10 dev ve0 nexthop via fd01::10 dev ve1")
		set(t, m, statics, 4)
		refresh(t, ns, m, y)
		// Track Y down: our next hop goes, the administrator's stays.
		set(t, m, statics)
		ns.checkTable(t, admin)
		refresh(t, ns, m)
	})
	t.Run("flush", func(t *testing.T) {
		ns, k, m := setup(t)
		refresh(t, ns, m, y)
		if err := Flush(k); err != nil {
			t.Fatal(err)
		}
		ns.checkTable(t, admin)
	})
	t.Run("deleted-by-hand", func(t *testing.T) {
		// Our next hop deleted by hand: not listed, and forgotten.
		ns, k, m := setup(t)
		ns.ip(t, "route del 2001:db8::53/128 via fd01::10 dev ve1 proto 200 metric 1")
		refresh(t, ns, m)
		if got := k.mineAt(key{pfx("2001:db8::53/128"), 1}); got != nil {
			t.Errorf("remembered next hops %v after they went", got)
		}
		ns.checkTable(t, admin)
	})
}

// TestNetlinkForeignSibling6Restart: the state above (our next hop behind
// the administrator's first sibling), found by a new Netlink and Manager
// after a restart, which remember nothing, and the kernel cannot say which
// sibling is whose.
//
//   - Our next hop still desired: installing it finds it ours (Replace
//     deletes it by our protocol and appends it again) and manages it
//     from then on: withdrawn when its track goes down.
//   - Not desired (its track went down while ipslad was stopped), or
//     Flush: it is not listed, so it stays in the kernel. Known limitation.
//
// In every case the administrator's next hop stays.
func TestNetlinkForeignSibling6Restart(t *testing.T) {
	statics := []Static{v6X, v6Y}
	const admin = "2001:db8::53/128 proto 4 metric 1 via fd02::20 dev ve2"
	setup := func(t *testing.T) (*testNS, *Manager) {
		ns, _, m := newNetlinkManager(t)
		ns.addThirdLink(t, false)
		set(t, m, statics, 3, 4)
		ns.ip(t, "route prepend 2001:db8::53/128 via fd02::20 proto static metric 1")
		set(t, m, statics, 3)
		set(t, m, statics, 3, 4)
		set(t, m, statics, 4)
		// The restart: a new Netlink (with the lookup handle, as the
		// daemon's) and Manager.
		k, err := NewNetlinkAt(ns.ns, DefaultProtocol)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k.Close() })
		m = NewManager(k, nil)
		if _, err := m.Adopt(); err != nil {
			t.Fatal(err)
		}
		return ns, m
	}
	t.Run("desired", func(t *testing.T) {
		ns, m := setup(t)
		w := ns.watch(t)
		set(t, m, statics, 4)
		// Deleted and added again, the add last (zebra follows it).
		checkEvents(t, w.sync(t),
			"del 2001:db8::53/128 proto 200 metric 1 via fd01::10 dev ve1",
			"new 2001:db8::53/128 proto 200 metric 1 nexthop via fd01::10 dev ve1 nexthop via fd02::20 dev ve2")
		if err := m.Refresh(); err != nil {
			t.Fatal(err)
		}
		if got := m.Installed(); len(got) != 1 || got[0].String() != "2001:db8::53/128 metric 1 nexthop via fd01::10 dev ve1" {
			t.Errorf("installed after Refresh: %v, want our next hop", got)
		}
		set(t, m, statics, 3, 4)
		set(t, m, statics)
		ns.checkTable(t, admin)
	})
	t.Run("fresh-key", func(t *testing.T) {
		// The administrator's route alone: nothing of ours to find,
		// and nothing is joined to it.
		ns, m := setup(t)
		ns.ip(t, "route del 2001:db8::53/128 via fd01::10 dev ve1 proto 200 metric 1")
		ns.checkTable(t, admin)
		err := m.Set(Desired(statics, upSet(4)))
		if err == nil || !strings.Contains(err.Error(), "taken by a route of protocol static") {
			t.Errorf("Set: %v, want the prefix taken by protocol static", err)
		}
		ns.checkTable(t, admin)
	})
	t.Run("same-gateway", func(t *testing.T) {
		// The administrator's routes through our gateway and another:
		// the probe's delete (our protocol) cannot take theirs.
		ns, _, m := newNetlinkManager(t)
		ns.addThirdLink(t, false)
		ns.ip(t,
			"route add 2001:db8::53/128 via fd02::20 proto static metric 1",
			"route append 2001:db8::53/128 via fd01::10 proto static metric 1")
		err := m.Set(Desired(statics, upSet(4)))
		if err == nil || !strings.Contains(err.Error(), "taken by a route of protocol static") {
			t.Errorf("Set: %v, want the prefix taken by protocol static", err)
		}
		ns.checkTable(t, "2001:db8::53/128 proto 4 metric 1 nexthop via fd02::20 dev ve2 nexthop via fd01::10 dev ve1")
	})
	t.Run("not-desired", func(t *testing.T) {
		ns, m := setup(t)
		set(t, m, statics)
		if err := m.Set(nil); err != nil {
			t.Fatal(err)
		}
		// Known limitation: fd01::10 (ours) stays.
		got := ns.ipShow(t, "-6", "route", "show", "2001:db8::53/128")
		if !strings.Contains(got, "via fd02::20 dev ve2") || !strings.Contains(got, "via fd01::10 dev ve1") {
			t.Errorf("kernel holds\n%s\nwant the administrator's next hop, and (a known limitation) ours", got)
		}
	})
}

// TestNetlinkChange4ForeignOldGone: an administrator's route in front of
// ours, forwarding, and ours deleted by hand while the Manager still
// believes {A, B} installed. Going to {A} must leave {A} installed: an
// exact delete of {A, B} after appending {A} would match {A} (fib_nh_match
// takes a route with at most as many next hops) and delete it.
func TestNetlinkChange4ForeignOldGone(t *testing.T) {
	ns, _, m := newNetlinkManager(t)
	set(t, m, []Static{v4A, v4B}, 1, 2)
	ns.ip(t,
		"route prepend 192.0.2.53/32 via 10.0.1.20 proto static metric 1",
		"route del 192.0.2.53/32 proto 200 metric 1",
	)
	set(t, m, []Static{v4A, v4B}, 1)
	ns.checkTable(t,
		"192.0.2.53/32 proto 200 metric 1 via 10.0.0.10 dev ve0",
		"192.0.2.53/32 proto 4 metric 1 via 10.0.1.20 dev ve1")
	if got := ns.fibProtocol(t, anycast.Addr()); got != "static" {
		t.Errorf("the prefix is forwarded by protocol %s, want the administrator's route (in front)", got)
	}
}
