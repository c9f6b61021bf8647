//go:build linux

package route

import (
	"context"
	"net/netip"
	"os/exec"
	"testing"
	"time"
)

// nextUpdate waits for an update that pred accepts, skipping others.
func nextUpdate(t *testing.T, out <-chan TrackUpdate, what string, pred func(TrackUpdate) bool) TrackUpdate {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case u := <-out:
			if pred(u) {
				return u
			}
		case <-deadline:
			t.Fatalf("no update: %s", what)
		}
	}
}

func linkIs(name string, up, v4 bool) func(TrackUpdate) bool {
	return func(u TrackUpdate) bool {
		return u.Link != nil && u.Link.Name == name && u.Link.Exists && u.Link.Up == up && u.Link.IPv4 == v4
	}
}

func routeIs(vrf, prefix string, present bool, metric int) func(TrackUpdate) bool {
	return func(u TrackUpdate) bool {
		return u.Route != nil && u.Route.VRF == vrf && u.Route.Prefix.String() == prefix &&
			u.Route.Present == present && (!present || u.Route.Metric == metric)
	}
}

// TestTrackMonitor drives the monitor with real kernel changes in a
// network namespace of its own.
func TestTrackMonitor(t *testing.T) {
	ns := newTestNS(t)
	m, err := NewTrackMonitorAt(ns.ns)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.WatchRoutes([]RouteKey{
		{Prefix: netip.MustParsePrefix("10.9.0.0/16")},
		{VRF: "red", Prefix: netip.MustParsePrefix("10.8.0.0/16")},
		{Prefix: netip.MustParsePrefix("fd09::/32")},
	})
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan TrackUpdate, 64)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, out) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	full := nextUpdate(t, out, "full link list", func(u TrackUpdate) bool { return u.Full })
	got := map[string]LinkInfo{}
	for _, l := range full.AllLinks {
		got[l.Name] = l
	}
	if l := got["ve0"]; !l.Exists || !l.Up || !l.IPv4 {
		t.Errorf("ve0 at start: %+v, want up with IPv4", l)
	}
	if l := got["lo"]; !l.Up {
		t.Errorf("lo at start: %+v, want up", l)
	}
	nextUpdate(t, out, "10.9.0.0/16 absent at start", routeIs("", "10.9.0.0/16", false, 0))

	t.Run("peer down takes the line protocol down", func(t *testing.T) {
		start := time.Now()
		ns.ip(t, "link set vp0 down")
		nextUpdate(t, out, "ve0 down", linkIs("ve0", false, true))
		t.Logf("line protocol down seen %v after the command returned", time.Since(start))
		ns.ip(t, "link set vp0 up")
		nextUpdate(t, out, "ve0 up again", linkIs("ve0", true, true))
	})
	t.Run("address removal ends ip routing", func(t *testing.T) {
		ns.ip(t, "addr del 10.0.1.1/24 dev ve1")
		nextUpdate(t, out, "ve1 without IPv4", linkIs("ve1", true, false))
		ns.ip(t, "addr add 10.0.1.1/24 dev ve1")
		nextUpdate(t, out, "ve1 with IPv4", linkIs("ve1", true, true))
	})
	t.Run("route added and removed, best metric wins", func(t *testing.T) {
		ns.ip(t, "route add 10.9.0.0/16 via 10.0.0.2 metric 50")
		u := nextUpdate(t, out, "10.9.0.0/16 present", routeIs("", "10.9.0.0/16", true, 50))
		if u.Route.Interface != "ve0" || u.Route.Protocol != "boot" {
			t.Errorf("route info %+v, want via ve0, protocol boot", *u.Route)
		}
		ns.ip(t, "route add 10.9.0.0/16 via 10.0.1.2 metric 20")
		nextUpdate(t, out, "better metric", routeIs("", "10.9.0.0/16", true, 20))
		ns.ip(t, "route del 10.9.0.0/16 via 10.0.1.2 metric 20")
		nextUpdate(t, out, "back to 50", routeIs("", "10.9.0.0/16", true, 50))
		ns.ip(t, "route del 10.9.0.0/16 via 10.0.0.2 metric 50")
		nextUpdate(t, out, "10.9.0.0/16 gone", routeIs("", "10.9.0.0/16", false, 0))
	})
	t.Run("a longer prefix is not an exact match", func(t *testing.T) {
		ns.ip(t, "route add 10.9.1.0/24 via 10.0.0.2")
		select {
		case u := <-out:
			if u.Route != nil {
				t.Errorf("update for a route not watched: %+v", *u.Route)
			}
		case <-time.After(200 * time.Millisecond):
		}
	})
	t.Run("ipv6 route", func(t *testing.T) {
		ns.ip(t, "route add fd09::/32 via fd00::2")
		nextUpdate(t, out, "fd09::/32 present", routeIs("", "fd09::/32", true, 1024))
	})
	t.Run("route in a VRF's table", func(t *testing.T) {
		if out, err := exec.Command("ip", "-n", ns.name, "link", "add", "red", "type", "vrf", "table", "100").CombinedOutput(); err != nil {
			t.Skipf("skipping: this kernel cannot make a VRF device (%v: %s)", err, out)
		}
		ns.ip(t, "link set red up")
		ns.ip(t, "route add 10.8.0.0/16 dev ve1 table 100")
		nextUpdate(t, out, "10.8.0.0/16 in red", routeIs("red", "10.8.0.0/16", true, 0))
		ns.ip(t, "route add 10.8.0.0/16 dev ve1") // main table: not red's
		ns.ip(t, "route del 10.8.0.0/16 dev ve1 table 100")
		nextUpdate(t, out, "10.8.0.0/16 gone from red", routeIs("red", "10.8.0.0/16", false, 0))
	})
	t.Run("deleted interface", func(t *testing.T) {
		ns.ip(t, "link del ve1")
		nextUpdate(t, out, "ve1 gone", func(u TrackUpdate) bool {
			return u.Link != nil && u.Link.Name == "ve1" && !u.Link.Exists
		})
	})
}
