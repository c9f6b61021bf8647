package route

import (
	"fmt"
	"net/netip"
)

// A Resolver tells whether a static route's next hop can carry traffic now.
// IOS installs a static route only while its next hop resolves and its
// interface is up (unless the route is permanent); a Resolver is how the
// kernel answers that question. Resolve returns nil when s can be
// installed, else why not ("10.9.9.9 is not on a connected network").
type Resolver interface {
	Resolve(s Static) error
}

// A ConnectedLister lists the connected networks (those of the host's own
// addresses). When the Resolver given to Evaluate is one, Evaluate refuses
// a tracked static whose prefix lies inside or equals a connected network:
// whenever its track came up it would steal the traffic for the neighbours
// on that network.
type ConnectedLister interface {
	Connected() ([]netip.Prefix, error)
}

// A Snapshotter is a Resolver that can read the kernel once and answer
// many questions from that reading; Evaluate uses the snapshot.
type Snapshotter interface {
	Snapshot() (Resolver, error)
}

// Status is what became of one configured static route.
type Status struct {
	Static Static
	// Active is set when the route's next hop is in the desired routes.
	Active bool
	// Reason says why an inactive route is not installed: "track 1 is
	// down", "not the best distance", or the Resolver's answer.
	Reason string
}

// Evaluate computes, like [Desired], the routes that should be in the
// kernel, and in addition what became of each static (in input order).
// A static whose next hop res does not resolve is left out before the
// distances are compared, so a floating static takes over from a primary
// whose next hop is unreachable, as on IOS. A nil res resolves everything.
// Answers are cached per next hop for the duration of the call.
func Evaluate(statics []Static, up func(track int) bool, res Resolver) ([]Route, []Status) {
	type hopKey struct {
		gw        netip.Addr
		dev       string
		permanent bool
	}
	cache := make(map[hopKey]error)
	if sn, ok := res.(Snapshotter); ok {
		if v, err := sn.Snapshot(); err == nil {
			res = v
		}
	}
	var connected []netip.Prefix
	var connErr error
	if cl, ok := res.(ConnectedLister); ok {
		connected, connErr = cl.Connected()
	}
	status := make([]Status, len(statics))
	best := make(map[netip.Prefix]int) // lowest usable distance per prefix
	usable := make([]bool, len(statics))
	for i, s := range statics {
		status[i].Static = s
		dist := s.Distance
		if dist == 0 {
			dist = DefaultDistance
		}
		switch {
		case !s.Prefix.IsValid() || (!s.NextHop.IsValid() && s.Interface == ""):
			status[i].Reason = "invalid route"
			continue
		case dist >= MaxDistance || dist < 0:
			status[i].Reason = fmt.Sprintf("distance %d is never installed", dist)
			continue
		case s.Track != 0 && (up == nil || !up(s.Track)):
			status[i].Reason = fmt.Sprintf("track %d is down", s.Track)
			continue
		}
		if s.Track != 0 && res != nil {
			if connErr != nil {
				status[i].Reason = connErr.Error()
				continue
			}
			if c, ok := shadowed(s.Prefix, connected); ok {
				status[i].Reason = fmt.Sprintf("refused: %s would shadow connected network %s", s.Prefix, c)
				continue
			}
		}
		if res != nil {
			k := hopKey{s.NextHop, s.Interface, s.Permanent}
			err, ok := cache[k]
			if !ok {
				err = res.Resolve(s)
				cache[k] = err
			}
			if err != nil {
				status[i].Reason = err.Error()
				continue
			}
		}
		usable[i] = true
		p := s.Prefix.Masked()
		if d, ok := best[p]; !ok || dist < d {
			best[p] = dist
		}
	}
	var ok []Static
	for i, s := range statics {
		if !usable[i] {
			continue
		}
		dist := s.Distance
		if dist == 0 {
			dist = DefaultDistance
		}
		if dist != best[s.Prefix.Masked()] {
			status[i].Reason = fmt.Sprintf("distance %d loses to %d", dist, best[s.Prefix.Masked()])
			continue
		}
		status[i].Active = true
		s.Track = 0 // already decided
		ok = append(ok, s)
	}
	return Desired(ok, nil), status
}

// shadowed returns the connected network that p lies inside or equals.
func shadowed(p netip.Prefix, connected []netip.Prefix) (netip.Prefix, bool) {
	for _, c := range connected {
		if c.Addr().Is4() == p.Addr().Is4() && c.Bits() <= p.Bits() && c.Contains(p.Addr()) {
			return c, true
		}
	}
	return netip.Prefix{}, false
}
