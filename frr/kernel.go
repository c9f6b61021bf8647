package frr

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/ipslad/ipslad/route"
)

// Kernel is FRR's staticd seen as a route.Kernel, so that route.Manager
// drives it exactly as it drives the Linux kernel (adoption on start, only
// the best distance per prefix, ECMP next hops added and removed one by
// one, withdrawal on stop, Flush). A route's prefix and metric become a
// static path's prefix and distance; its next hops become one static each,
// all with the tag the configuration gives that prefix and distance
// (SetStatics), which must be in the Backend's range.
//
// Next hops are resolved by zebra, not by ipslad (so recursive next hops
// work, as on IOS), and there are no change notifications: the daemon's
// periodic resync puts back a static deleted by hand in FRR.
type Kernel struct {
	b *Backend

	mu   sync.Mutex
	tags map[pathKey]uint32
	// down is the unreachable error of the last vtysh run, until the
	// next List: the routes after it in a pass fail at once instead of
	// each waiting out vtysh's timeout on a hung FRR (the daemon's loop,
	// and so its watchdog, would wait for all of them). The daemon's
	// retries start with a List.
	down error
}

var _ route.Kernel = (*Kernel)(nil)

// NewKernel returns b as a route.Kernel.
func NewKernel(b *Backend) *Kernel { return &Kernel{b: b, tags: map[pathKey]uint32{}} }

// Backend returns the Backend behind k, for read-back.
func (k *Kernel) Backend() *Backend { return k.b }

// SetStatics tells the Kernel the configured statics, for their tags.
func (k *Kernel) SetStatics(statics []route.Static) {
	tags := make(map[pathKey]uint32, len(statics))
	for _, s := range statics {
		d := s.Distance
		if d == 0 {
			d = route.DefaultDistance
		}
		key := pathKey{s.Prefix.Masked(), d}
		if _, ok := tags[key]; !ok {
			tags[key] = s.Tag
		}
	}
	k.mu.Lock()
	k.tags = tags
	k.mu.Unlock()
}

func (k *Kernel) tag(p netip.Prefix, metric int) uint32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	if t, ok := k.tags[pathKey{p, metric}]; ok && k.b.tags.Owns(t) {
		return t
	}
	return k.b.tags.Low
}

// List returns ipslad's statics in FRR, one Route per prefix and distance.
func (k *Kernel) List() ([]route.Route, error) {
	owned, err := k.b.List(context.Background())
	k.setDown(err)
	if err != nil {
		return nil, err
	}
	by := map[pathKey]*route.Route{}
	var keys []pathKey
	for _, s := range owned {
		key := pathKey{s.Prefix, s.distance()}
		r := by[key]
		if r == nil {
			r = &route.Route{Prefix: s.Prefix, Metric: s.distance()}
			by[key] = r
			keys = append(keys, key)
		}
		r.NextHops = append(r.NextHops, route.NextHop{Gateway: s.NextHop, Interface: s.Interface})
	}
	out := make([]route.Route, 0, len(keys))
	for _, key := range keys {
		out = append(out, *by[key])
	}
	return out, nil
}

func (k *Kernel) statics(r route.Route) ([]Static, error) {
	if r.Metric < 1 || r.Metric > 255 {
		return nil, fmt.Errorf("route %v: distance %d out of range 1-255", r, r.Metric)
	}
	tag := k.tag(r.Prefix, r.Metric)
	out := make([]Static, 0, len(r.NextHops))
	for _, h := range r.NextHops {
		s := Static{Prefix: r.Prefix, NextHop: h.Gateway, Interface: h.Interface, Distance: r.Metric, Tag: tag}
		if err := s.Check(); err != nil {
			return nil, fmt.Errorf("route %v: %w", r, err)
		}
		out = append(out, s.norm())
	}
	return out, nil
}

// Replace makes ipslad's statics at r's prefix and distance exactly r's
// next hops: the missing ones are added before the surplus ones go, in one
// vtysh run, so a remaining ECMP next hop is never disturbed.
func (k *Kernel) Replace(r route.Route) error {
	want, err := k.statics(r)
	if err != nil {
		return err
	}
	return k.reconcile(r, want)
}

// Delete removes ipslad's statics at r's prefix and distance.
func (k *Kernel) Delete(r route.Route) error {
	return k.reconcile(r, nil)
}

// setDown records whether err says FRR is unreachable.
func (k *Kernel) setDown(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.down = nil
	if errors.Is(err, ErrUnreachable) {
		k.down = err
	}
}

func (k *Kernel) reconcile(r route.Route, want []Static) error {
	k.mu.Lock()
	down := k.down
	k.mu.Unlock()
	if down != nil {
		return fmt.Errorf("route %v: not tried: %w", r, down)
	}
	err := k.reconcileNow(r, want)
	if errors.Is(err, ErrUnreachable) {
		k.setDown(err)
	}
	return err
}

func (k *Kernel) reconcileNow(r route.Route, want []Static) error {
	ctx := context.Background()
	owned, foreign, err := k.b.read(ctx)
	if err != nil {
		return err
	}
	cur := slices.DeleteFunc(owned, func(s Static) bool {
		return s.Prefix != r.Prefix || s.distance() != r.Metric
	})
	want, errs := refuseForeign(want, foreign)
	cmds, cerrs := Commands(cur, want)
	errs = append(errs, cerrs...)
	if len(errs) > 0 {
		return fmt.Errorf("route %v: %w", r, errors.Join(errs...))
	}
	if err := configure(ctx, k.b.cli, cmds); err != nil {
		return fmt.Errorf("route %v: %w", r, err)
	}
	return nil
}
