//go:build linux

package route

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// LinkInfo is one interface as track objects see it: line protocol (the
// kernel's operational state) and whether IP routing is possible on it
// (an IPv4 address).
type LinkInfo struct {
	Name   string
	Exists bool
	Up     bool
	IPv4   bool
}

// RouteKey names a watched prefix: VRF "" is the main table, another name
// is the table of the VRF device of that name.
type RouteKey struct {
	VRF    string
	Prefix netip.Prefix
}

// RouteInfo is the best (lowest metric) unicast route for a watched
// prefix, exact match only, of any protocol.
type RouteInfo struct {
	RouteKey
	Present   bool
	Metric    int
	Protocol  string // "kernel", "static", "bgp", ... or a number
	Interface string // the first hop's
}

// TrackUpdate is one report of the TrackMonitor: either the full list of
// interfaces (AllLinks, at start and after a resubscription), one
// interface, or one watched route.
type TrackUpdate struct {
	AllLinks []LinkInfo
	Full     bool // AllLinks is meaningful (it may be empty)
	Link     *LinkInfo
	Route    *RouteInfo
}

// TrackMonitor follows interfaces and watched routes through netlink
// notifications (no polling) for interface and route track objects. Each
// notification makes it re-read the one interface or prefix concerned,
// so a late or coalesced notification never leaves a stale state.
type TrackMonitor struct {
	ns *netns.NsHandle // nil: the current namespace
	h  *netlink.Handle

	mu       sync.Mutex
	watch    []RouteKey
	byPrefix map[netip.Prefix][]RouteKey // watch, by prefix
	refresh  chan struct{}               // the watch set changed
}

// NewTrackMonitor returns a monitor of the current network namespace.
func NewTrackMonitor() (*TrackMonitor, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("opening netlink: %w", err)
	}
	return &TrackMonitor{h: h, refresh: make(chan struct{}, 1)}, nil
}

// NewTrackMonitorAt returns a monitor of network namespace ns.
func NewTrackMonitorAt(ns netns.NsHandle) (*TrackMonitor, error) {
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, fmt.Errorf("opening netlink: %w", err)
	}
	return &TrackMonitor{ns: &ns, h: h, refresh: make(chan struct{}, 1)}, nil
}

// Close releases the monitor's netlink handle.
func (m *TrackMonitor) Close() { m.h.Close() }

// WatchRoutes replaces the set of watched prefixes; Run reports each of
// them afresh, then on every change.
func (m *TrackMonitor) WatchRoutes(keys []RouteKey) {
	m.mu.Lock()
	m.watch = slices.Clone(keys)
	m.byPrefix = map[netip.Prefix][]RouteKey{}
	for i := range m.watch {
		m.watch[i].Prefix = m.watch[i].Prefix.Masked()
		p := m.watch[i].Prefix
		m.byPrefix[p] = append(m.byPrefix[p], m.watch[i])
	}
	m.mu.Unlock()
	select {
	case m.refresh <- struct{}{}:
	default:
	}
}

func (m *TrackMonitor) watched() []RouteKey {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.watch)
}

// Run reports to out until ctx is done (it returns nil) or a subscription
// fails (it returns the error; notifications were lost, so the caller
// should Run again, which starts with a full report). A send blocks until
// out takes it or ctx is done.
func (m *TrackMonitor) Run(ctx context.Context, out chan<- TrackUpdate) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	// Subscribe before the first dump, so nothing falls between them.
	sub, err := subscribe(m.ns, done)
	if err != nil {
		return err
	}
	failed, links, addrs, routes := sub.failed, sub.links, sub.addrs, sub.routes
	onErr := func(err error) {
		select {
		case failed <- err:
		default:
		}
	}
	send := func(u TrackUpdate) bool {
		select {
		case out <- u:
			return true
		case <-ctx.Done():
			return false
		}
	}
	all, err := m.allLinks()
	if err != nil {
		return err
	}
	if !send(TrackUpdate{AllLinks: all, Full: true}) {
		return nil
	}
	sendRoutes := func(keys []RouteKey) bool {
		for _, k := range keys {
			ri, err := m.route(k)
			if err != nil {
				onErr(err)
				return true
			}
			if !send(TrackUpdate{Route: &ri}) {
				return false
			}
		}
		return true
	}
	if !sendRoutes(m.watched()) {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-failed:
			return fmt.Errorf("kernel notifications lost: %w", err)
		case <-m.refresh:
			if !sendRoutes(m.watched()) {
				return nil
			}
		case u, ok := <-links:
			if !ok {
				return errors.New("link subscription ended")
			}
			li := m.link(u.Link.Attrs().Index, u.Link.Attrs().Name)
			if !send(TrackUpdate{Link: &li}) {
				return nil
			}
			if _, vrf := u.Link.(*netlink.Vrf); vrf {
				// A VRF came or went: its table's routes did too.
				if !sendRoutes(m.watched()) {
					return nil
				}
			}
		case u, ok := <-addrs:
			if !ok {
				return errors.New("address subscription ended")
			}
			li := m.link(u.LinkIndex, "")
			if li.Name == "" {
				continue // gone already; its link update says so
			}
			if !send(TrackUpdate{Link: &li}) {
				return nil
			}
		case u, ok := <-routes:
			if !ok {
				return errors.New("route subscription ended")
			}
			p := netip.Prefix{}
			if u.Dst != nil {
				p = prefixOf(u.Dst)
			} else if u.Family == unix.AF_INET6 {
				p = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
			} else {
				p = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
			}
			// A full BGP table streams through here: look up, don't scan.
			m.mu.Lock()
			cand := m.byPrefix[p]
			m.mu.Unlock()
			var hit []RouteKey
			for _, k := range cand {
				if m.table(k.VRF) == u.Table {
					hit = append(hit, k)
				}
			}
			if !sendRoutes(hit) {
				return nil
			}
		}
	}
}

// allLinks reads every interface.
func (m *TrackMonitor) allLinks() ([]LinkInfo, error) {
	ls, err := m.h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("listing interfaces: %w", err)
	}
	v4, err := m.v4Links()
	if err != nil {
		return nil, err
	}
	out := make([]LinkInfo, 0, len(ls))
	for _, l := range ls {
		out = append(out, LinkInfo{Name: l.Attrs().Name, Exists: true, Up: lineUp(l), IPv4: v4[l.Attrs().Index]})
	}
	return out, nil
}

func (m *TrackMonitor) v4Links() (map[int]bool, error) {
	as, err := m.h.AddrList(nil, unix.AF_INET)
	if err != nil {
		return nil, fmt.Errorf("listing addresses: %w", err)
	}
	v4 := map[int]bool{}
	for _, a := range as {
		v4[a.LinkIndex] = true
	}
	return v4, nil
}

// link re-reads interface index; name is reported for one that is gone.
func (m *TrackMonitor) link(index int, name string) LinkInfo {
	l, err := m.h.LinkByIndex(index)
	if err != nil {
		return LinkInfo{Name: name}
	}
	as, err := m.h.AddrList(l, unix.AF_INET)
	return LinkInfo{Name: l.Attrs().Name, Exists: true, Up: lineUp(l), IPv4: err == nil && len(as) > 0}
}

// lineUp is IOS's "line protocol is up": the interface is administratively
// up and operationally up (or unknown, as loopback and dummy interfaces
// report, with the carrier flag set).
func lineUp(l netlink.Link) bool {
	a := l.Attrs()
	if a.Flags&net.FlagUp == 0 {
		return false
	}
	switch a.OperState {
	case netlink.OperUp:
		return true
	case netlink.OperUnknown:
		return a.RawFlags&unix.IFF_LOWER_UP != 0
	}
	return false
}

// table returns the routing table of vrf: main for "", the VRF device's
// table otherwise, -1 if there is no such VRF.
func (m *TrackMonitor) table(vrf string) int {
	if vrf == "" {
		return unix.RT_TABLE_MAIN
	}
	l, err := m.h.LinkByName(vrf)
	if err != nil {
		return -1
	}
	v, ok := l.(*netlink.Vrf)
	if !ok {
		return -1
	}
	return int(v.Table)
}

// route reads the best exact-match unicast route for k.
func (m *TrackMonitor) route(k RouteKey) (RouteInfo, error) {
	ri := RouteInfo{RouteKey: k}
	table := m.table(k.VRF)
	if table < 0 {
		return ri, nil // no such VRF: no route
	}
	family := unix.AF_INET
	if k.Prefix.Addr().Is6() {
		family = unix.AF_INET6
	}
	filter := &netlink.Route{Table: table}
	mask := uint64(netlink.RT_FILTER_TABLE)
	if k.Prefix.Bits() > 0 {
		filter.Dst = prefixIPNet(k.Prefix)
		mask |= netlink.RT_FILTER_DST
	}
	var rs []netlink.Route
	var err error
	for range dumpRetries {
		rs, err = m.h.RouteListFiltered(family, filter, mask)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return ri, fmt.Errorf("listing routes to %s: %w", k.Prefix, err)
	}
	best := -1
	for i, r := range rs {
		p := netip.PrefixFrom(k.Prefix.Addr(), 0)
		if r.Dst != nil {
			p = prefixOf(r.Dst)
		}
		if p != k.Prefix || r.Type != unix.RTN_UNICAST || r.Table != table {
			continue
		}
		if best < 0 || r.Priority < rs[best].Priority {
			best = i
		}
	}
	if best < 0 {
		return ri, nil
	}
	r := rs[best]
	ri.Present, ri.Metric, ri.Protocol = true, r.Priority, r.Protocol.String()
	idx := r.LinkIndex
	if idx == 0 && len(r.MultiPath) > 0 {
		idx = r.MultiPath[0].LinkIndex
	}
	if l, err := m.h.LinkByIndex(idx); err == nil {
		ri.Interface = l.Attrs().Name
	}
	return ri, nil
}
