//go:build linux

package route

import (
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
// administrator's next hop can become the first of the joined ECMP route;
// a Refresh (the daemon's periodic resync, or any link/address event) then
// lists no route of ours there. Withdrawing the route afterwards must still
// delete our next hop.
//
// Known defect, not fixed: List cannot see our next hops once the
// administrator's is first, so the Manager forgets them and never deletes
// them. Remove the Skip once List (or change6) handles it.
func TestNetlinkForeignSibling6Refresh(t *testing.T) {
	t.Skip("known defect: IPv6 next hops of ours behind an administrator's first sibling are not listed, so never withdrawn (see review)")
	ns, _, m := newNetlinkManager(t)
	ns.addThirdLink(t, false)
	statics := []Static{v6X, v6Y}
	set(t, m, statics, 3, 4)
	ns.ip(t, "route prepend 2001:db8::53/128 via fd02::20 proto static metric 1")
	set(t, m, statics, 3)
	set(t, m, statics, 3, 4)
	set(t, m, statics, 4)
	t.Logf("before refresh:\n%s", ns.ipShow(t, "-6", "route", "show", "2001:db8::53/128"))
	if err := m.Refresh(); err != nil {
		t.Fatal(err)
	}
	t.Logf("installed after refresh: %v", m.Installed())
	if err := m.Set(Desired(statics, upSet())); err != nil {
		t.Logf("Set: %v", err)
	}
	ns.checkTable(t, "2001:db8::53/128 proto 4 metric 1 via fd02::20 dev ve2")
}
