//go:build linux

package route

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// EventKind says what changed in the kernel.
type EventKind int

const (
	// RouteGone: a route of our protocol was deleted (by us, by hand, or
	// by the kernel). Prefix and Metric name it.
	RouteGone EventKind = iota + 1
	// LinkChanged: an interface appeared, went away, or changed state.
	// Link names it and Up tells whether it is up now. The kernel drops
	// IPv4 routes through an interface that goes down without telling
	// anyone, so a link change calls for a fresh List.
	LinkChanged
	// AddrChanged: an address was added or removed, which changes the
	// connected networks next hops resolve on.
	AddrChanged
	// ConnectedChanged: a connected route (protocol kernel) came or went.
	ConnectedChanged
)

func (k EventKind) String() string {
	switch k {
	case RouteGone:
		return "route-gone"
	case LinkChanged:
		return "link-changed"
	case AddrChanged:
		return "addr-changed"
	case ConnectedChanged:
		return "connected-changed"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one change in the kernel that may call for the routes to be
// re-evaluated. It carries plain values only: route is the one package
// that imports netlink.
type Event struct {
	Kind   EventKind
	Prefix netip.Prefix // RouteGone, ConnectedChanged
	Metric int          // RouteGone
	Link   string       // LinkChanged
	Up     bool         // LinkChanged
}

// NewNetlinkAt returns the main routing table of network namespace ns,
// through a handle of its own (Close releases it); Watch listens in the
// same namespace.
func NewNetlinkAt(ns netns.NsHandle, protocol int) (*Netlink, error) {
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, fmt.Errorf("opening netlink: %w", err)
	}
	n := NewNetlink(h, protocol)
	n.owned = true
	n.ns = &ns
	if g, err := netlink.NewHandleAt(ns); err == nil {
		n.get = g
	}
	return n, nil
}

// Watch sends the kernel changes that matter to ipslad's routes to events
// until ctx is done (then it returns nil) or a subscription fails (then it
// returns the error: notifications were lost, so the caller should List
// afresh and Watch again). It listens to route, link and address changes
// in the namespace of the Netlink (the current one unless made by
// NewNetlinkAt). Route changes of protocols other than ours and the
// kernel's are not sent. A send blocks until the receiver takes it or ctx
// is done.
func (n *Netlink) Watch(ctx context.Context, events chan<- Event) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	sub, err := subscribe(n.ns, done)
	if err != nil {
		return err
	}
	failed, links, addrs, routes := sub.failed, sub.links, sub.addrs, sub.routes
	// From here on every relevant change is seen: a cached reading of
	// the kernel may be kept until one arrives.
	n.gen.Add(1)
	n.watchStarted()
	n.watching.Add(1)
	defer n.watching.Add(-1)
	send := func(e Event) bool {
		select {
		case events <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		var e Event
		select {
		case <-ctx.Done():
			return nil
		case err := <-failed:
			return fmt.Errorf("kernel notifications lost: %w", err)
		case u, ok := <-routes:
			if !ok {
				return errors.New("route subscription ended")
			}
			if u.Table != unix.RT_TABLE_MAIN {
				continue
			}
			if u.Type == unix.RTM_NEWROUTE && u.Protocol != n.proto {
				n.foreignAdded(key{dstOf(u.Route), u.Priority})
			}
			if u.Dst == nil {
				continue
			}
			switch {
			case u.Protocol == n.proto && u.Type == unix.RTM_DELROUTE:
				e = Event{Kind: RouteGone, Prefix: prefixOf(u.Dst), Metric: u.Priority}
				if n.ownDeletion(key{e.Prefix, e.Metric}) {
					continue // a change of ours: the prefix has a route of ours
				}
			case u.Protocol == unix.RTPROT_KERNEL && u.Route.Type == unix.RTN_UNICAST:
				e = Event{Kind: ConnectedChanged, Prefix: prefixOf(u.Dst)}
			default:
				continue
			}
		case u, ok := <-links:
			if !ok {
				return errors.New("link subscription ended")
			}
			a := u.Link.Attrs()
			e = Event{Kind: LinkChanged, Link: a.Name, Up: u.Header.Type == unix.RTM_NEWLINK && linkUp(u.Link)}
		case _, ok := <-addrs:
			if !ok {
				return errors.New("address subscription ended")
			}
			e = Event{Kind: AddrChanged}
		}
		// Before the receiver can ask for a snapshot. Also for a route
		// of ours that went: the kernel may have dropped it because its
		// interface went down, and the link notification comes on
		// another socket, possibly later.
		n.gen.Add(1)
		if !send(e) {
			return nil
		}
	}
}

// linkUp reports whether l can carry traffic: administratively up and
// operationally up (or unknown, as loopback and dummy interfaces say).
func linkUp(l netlink.Link) bool {
	a := l.Attrs()
	return a.Flags&net.FlagUp != 0 &&
		(a.OperState == netlink.OperUp || a.OperState == netlink.OperUnknown)
}

var (
	_ Resolver    = (*Netlink)(nil)
	_ Snapshotter = (*Netlink)(nil)
)

// Resolve tells whether s can be installed now, the way IOS resolves a
// static route's next hop, within what Linux allows:
//
//   - an interface must exist, be administratively up (Linux installs no
//     route through an interface that is down, and drops the IPv4 ones it
//     had, permanent or not) and, unless s is permanent, have carrier;
//   - a gateway must be on a connected network (inside the prefix of a
//     route of protocol kernel to an interface), on the named interface if
//     there is one, and that interface must have carrier unless s is
//     permanent. Linux does not install a gateway that is only reachable
//     through another gateway (IOS's recursive static), so neither does
//     ipslad. An IPv6 link-local gateway needs an interface and is taken
//     as on-link.
//
// Each call reads the kernel; Snapshot reads it once for many questions.
func (n *Netlink) Resolve(s Static) error {
	v, err := n.snapshot()
	if err != nil {
		return err
	}
	return v.Resolve(s)
}

// Snapshot reads the interfaces and connected networks once and returns
// a Resolver (and ConnectedLister) that answers from that reading.
// While Watch runs, the reading is kept until Watch passes on a change
// (of interfaces, addresses, connected networks, or a route of ours gone),
// so a decision costs no kernel round trip for it.
func (n *Netlink) Snapshot() (Resolver, error) {
	watching := n.watching.Load() > 0
	gen := n.gen.Load()
	if c := n.cache.Load(); watching && c != nil && c.gen == gen {
		return c.v, nil
	}
	v, err := n.snapshot()
	if err != nil {
		return nil, err
	}
	if watching {
		// Kept only if no change arrived while reading.
		n.cache.Store(&cachedView{gen: gen, v: v})
	}
	return v, nil
}

func (n *Netlink) snapshot() (*kernelView, error) {
	conn, err := n.connected()
	if err != nil {
		return nil, err
	}
	links, err := n.h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("listing interfaces: %w", err)
	}
	v := &kernelView{conn: conn, byName: make(map[string]linkState), byIndex: make(map[int]linkState)}
	for _, l := range links {
		a := l.Attrs()
		st := linkState{name: a.Name, index: a.Index, admin: a.Flags&net.FlagUp != 0, up: linkUp(l)}
		v.byName[a.Name], v.byIndex[a.Index] = st, st
	}
	return v, nil
}

type linkState struct {
	name      string
	index     int
	admin, up bool
}

// kernelView is one reading of the interfaces and connected networks.
type kernelView struct {
	conn    []connectedNet
	byName  map[string]linkState
	byIndex map[int]linkState
}

func (v *kernelView) Connected() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, len(v.conn))
	for i, c := range v.conn {
		out[i] = c.prefix
	}
	return out, nil
}

func (v *kernelView) Resolve(s Static) error {
	var link *linkState
	if s.Interface != "" {
		l, ok := v.byName[s.Interface]
		switch {
		case !ok:
			return fmt.Errorf("interface %s does not exist", s.Interface)
		case !l.admin:
			// Linux refuses routes through it, permanent or not.
			return fmt.Errorf("interface %s is administratively down", s.Interface)
		case !s.Permanent && !l.up:
			return fmt.Errorf("interface %s is down", s.Interface)
		}
		link = &l
	}
	if !s.NextHop.IsValid() {
		return nil
	}
	if s.NextHop.Is6() && s.NextHop.IsLinkLocalUnicast() {
		if link == nil {
			return fmt.Errorf("link-local next hop %s needs an interface", s.NextHop)
		}
		return nil
	}
	best := -1
	for i, c := range v.conn {
		if c.prefix.Contains(s.NextHop) && (best < 0 || c.prefix.Bits() > v.conn[best].prefix.Bits()) {
			best = i
		}
	}
	if best < 0 {
		return fmt.Errorf("next hop %s is not on a connected network", s.NextHop)
	}
	if link != nil {
		for _, c := range v.conn {
			if c.prefix.Contains(s.NextHop) && c.link == link.index {
				return nil
			}
		}
		return fmt.Errorf("next hop %s is not on a network of %s", s.NextHop, s.Interface)
	}
	if l, ok := v.byIndex[v.conn[best].link]; !s.Permanent && (!ok || !l.up) {
		return fmt.Errorf("next hop %s: its interface is down", s.NextHop)
	}
	return nil
}

type connectedNet struct {
	prefix netip.Prefix
	link   int
}

// connected lists the connected networks: the routes of protocol kernel
// that lead straight to an interface (IPv4 scope link; IPv6 link-local
// networks left out), in the main table.
func (n *Netlink) connected() ([]connectedNet, error) {
	var out []connectedNet
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		filter := &netlink.Route{Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_KERNEL}
		rs, err := n.list(family, filter, netlink.RT_FILTER_TABLE|netlink.RT_FILTER_PROTOCOL)
		if err != nil {
			return nil, fmt.Errorf("listing connected networks: %w", err)
		}
		for _, r := range rs {
			if r.Dst == nil || r.Type != unix.RTN_UNICAST || r.Gw != nil || r.Protocol != unix.RTPROT_KERNEL ||
				(family == netlink.FAMILY_V4 && r.Scope != netlink.SCOPE_LINK) {
				continue
			}
			c := prefixOf(r.Dst)
			if !c.IsValid() || (c.Addr().Is6() && c.Addr().IsLinkLocalUnicast()) {
				continue
			}
			out = append(out, connectedNet{c.Masked(), r.LinkIndex})
		}
	}
	return out, nil
}

// Connected returns the connected networks (see [Netlink.Resolve]).
func (n *Netlink) Connected() ([]netip.Prefix, error) {
	v, err := n.snapshot()
	if err != nil {
		return nil, err
	}
	return v.Connected()
}
