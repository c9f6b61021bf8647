package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/ipslad/ipslad/route"
	"github.com/ipslad/ipslad/track"
)

// trackSource reports interfaces and watched routes for interface and
// route track objects (route.TrackMonitor in production, nil in tests that
// need none).
type trackSource interface {
	WatchRoutes(keys []route.RouteKey)
	Run(ctx context.Context, out chan<- route.TrackUpdate) error
}

// runTrackSource runs src until ctx is done, starting it again a second
// after it fails (lost notifications: the new run reports everything
// afresh).
func runTrackSource(ctx context.Context, src trackSource, out chan<- route.TrackUpdate, log *slog.Logger) {
	for {
		err := src.Run(ctx, out)
		if ctx.Err() != nil {
			return
		}
		log.Warn("interface and route tracking: restarting", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// watchRoutes tells the source which prefixes the route objects watch.
func (d *daemon) watchRoutes() {
	if d.tracks == nil {
		return
	}
	var keys []route.RouteKey
	for _, k := range d.table.RouteKeys() {
		keys = append(keys, route.RouteKey{VRF: k.VRF, Prefix: k.Prefix})
	}
	d.tracks.WatchRoutes(keys)
}

// trackUpdate feeds one report of the source to the track table.
func (d *daemon) trackUpdate(u route.TrackUpdate, now time.Time) []track.Change {
	link := func(l route.LinkInfo) track.LinkState {
		return track.LinkState{Name: l.Name, Exists: l.Exists, Up: l.Up, IPv4: l.IPv4}
	}
	switch {
	case u.Full:
		all := make([]track.LinkState, 0, len(u.AllLinks))
		for _, l := range u.AllLinks {
			all = append(all, link(l))
		}
		return d.table.SyncLinks(all, now)
	case u.Link != nil:
		return d.table.ObserveLink(link(*u.Link), now)
	case u.Route != nil:
		r := u.Route
		return d.table.ObserveRoute(track.RouteState{VRF: r.VRF, Prefix: r.Prefix, Present: r.Present,
			Metric: r.Metric, Protocol: r.Protocol, Interface: r.Interface}, now)
	}
	return nil
}
