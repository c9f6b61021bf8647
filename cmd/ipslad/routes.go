package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ipslad/ipslad/route"
)

// watcher is a kernel that reports its changes (route.Netlink).
type watcher interface {
	Watch(ctx context.Context, events chan<- route.Event) error
}

// watchKernel runs k.Watch until ctx is done, starting it again a second
// after it fails; each restart sends a LinkChanged event, so that the
// daemon re-reads the kernel for whatever it missed.
func watchKernel(ctx context.Context, k watcher, events chan<- route.Event, d *daemon) {
	for {
		err := k.Watch(ctx, events)
		if ctx.Err() != nil {
			return
		}
		d.log.Warn("kernel notifications interrupted; re-reading the routing table", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		select {
		case events <- route.Event{Kind: route.LinkChanged}:
		case <-ctx.Done():
			return
		}
	}
}

// kernelChanged handles e and whatever else is already queued: a route of
// ours deleted by hand comes back at once; after an interface, address or
// connected-network change the kernel is re-read and the routes
// re-evaluated (next hops that became reachable are installed, those that
// did not are withdrawn, routes through an interface that came back up are
// put back).
func (d *daemon) kernelChanged(e route.Event, events <-chan route.Event) {
	lost, refresh := false, false
	for {
		switch e.Kind {
		case route.RouteGone:
			if d.routes.Lost(e.Prefix, e.Metric) {
				d.log.Warn("route of ours deleted outside ipslad; restoring", "prefix", e.Prefix.String(), "metric", e.Metric)
				lost = true
			}
		default:
			refresh = true
		}
		select {
		case e = <-events:
			continue
		default:
		}
		break
	}
	if refresh {
		if err := d.routes.Refresh(); err != nil {
			d.log.Warn("re-reading routes", "err", err)
		}
	}
	if lost || refresh {
		d.apply()
	}
}

// logStatus logs each static route whose state changed since the last
// evaluation: why it is not installed (once, not on every retry), or that
// it is active again.
func (d *daemon) logStatus(st []route.Status) {
	prev := make(map[string]route.Status, len(d.status))
	for _, s := range d.status {
		prev[s.Static.String()] = s
	}
	for _, s := range st {
		old, seen := prev[s.Static.String()]
		switch {
		case seen && old.Active == s.Active && old.Reason == s.Reason:
		case s.Active:
			if seen {
				d.log.Info("static route active", "route", s.Static.String())
			}
		case s.Static.Track != 0 && s.Reason == trackDown(s.Static.Track):
			// The track change itself was logged.
		case s.Reason != "" && !isDistance(s.Reason):
			d.log.Warn("static route not installed", "route", s.Static.String(), "reason", s.Reason)
		}
	}
	d.status = st
}

func trackDown(id int) string { return fmt.Sprintf("track %d is down", id) }

func isDistance(reason string) bool {
	return len(reason) > 9 && reason[:9] == "distance "
}
