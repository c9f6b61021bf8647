package route

import (
	"net/netip"
	"slices"
)

// MaxDistance is the administrative distance IOS treats as "never use":
// a static route with it is never installed.
const MaxDistance = 255

// Desired computes the routes that should be in the kernel from the
// configured statics and the state of their tracks. It is pure.
//
// Per prefix it takes the statics that are up (untracked ones, Track 0,
// always are; up reports a tracked one; a nil up counts every track as down)
// and keeps those with the lowest distance. All of them together form one
// route with one next hop each (ECMP), so a floating static, one with a
// higher distance, is used exactly while nothing better is up. Distance 0
// means DefaultDistance; distance 255 is never installed, as on IOS. A
// static with an invalid prefix or with neither next hop nor interface is
// ignored. The result is sorted by prefix and normalized.
func Desired(statics []Static, up func(track int) bool) []Route {
	best := make(map[netip.Prefix]*Route)
	for _, s := range statics {
		if s.Track != 0 && (up == nil || !up(s.Track)) {
			continue
		}
		if !s.Prefix.IsValid() || (!s.NextHop.IsValid() && s.Interface == "") {
			continue
		}
		dist := s.Distance
		if dist == 0 {
			dist = DefaultDistance
		}
		if dist >= MaxDistance || dist < 0 {
			continue
		}
		p := s.Prefix.Masked()
		hop := NextHop{Gateway: s.NextHop, Interface: s.Interface}
		r := best[p]
		switch {
		case r == nil || dist < r.Metric:
			best[p] = &Route{Prefix: p, Metric: dist, NextHops: []NextHop{hop}}
		case dist == r.Metric:
			r.NextHops = append(r.NextHops, hop)
		}
	}
	routes := make([]Route, 0, len(best))
	for _, r := range best {
		routes = append(routes, r.normalize())
	}
	slices.SortFunc(routes, compareRoute)
	return routes
}
