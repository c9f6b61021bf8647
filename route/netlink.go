//go:build linux

package route

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// DefaultProtocol is the route protocol number ipslad stamps on its routes.
// It is none of the kernel's, none FRR owns or ignores, and not 4 (static,
// what `ip route add` uses), so zebra shows our routes as kernel routes and
// can redistribute them.
const DefaultProtocol = 200

// Netlink is the Linux kernel's main routing table, seen through one
// netlink handle and limited to one route protocol: it lists, replaces and
// deletes only routes carrying that protocol.
type Netlink struct {
	h     *netlink.Handle
	proto netlink.RouteProtocol
	owned bool            // h was made by OpenNetlink or NewNetlinkAt
	ns    *netns.NsHandle // namespace for Watch; nil: the current one
	get   *netlink.Handle // without strict checking, for IPv6 lookups; may be nil

	// While Watch runs, Snapshot keeps its reading until Watch passes on
	// a change: gen counts the changes, cache holds the reading and the
	// generation it was made at.
	watching atomic.Int32
	gen      atomic.Uint64
	cache    atomic.Pointer[cachedView]
}

type cachedView struct {
	gen uint64
	v   *kernelView
}

var _ Kernel = (*Netlink)(nil)

// NewNetlink returns the kernel routing table behind h (which may belong to
// another network namespace, see netlink.NewHandleAt), for routes of the
// given protocol.
//
// It turns on strict checking of get requests on h's sockets
// (NETLINK_GET_STRICT_CHK, Linux 4.20), so that the kernel itself drops
// other protocols' routes from List's dumps: with a full BGP table beside
// ours, that is the difference between reading a few routes and reading a
// million. On older kernels the filtering happens here instead.
func NewNetlink(h *netlink.Handle, protocol int) *Netlink {
	_ = h.SetStrictCheck(true) // best effort, see above
	return &Netlink{h: h, proto: netlink.RouteProtocol(protocol)}
}

// OpenNetlink returns the main routing table of the current network
// namespace, through a netlink handle of its own; Close releases it.
func OpenNetlink(protocol int) (*Netlink, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("opening netlink: %w", err)
	}
	n := NewNetlink(h, protocol)
	n.owned = true
	if g, err := netlink.NewHandle(unix.NETLINK_ROUTE); err == nil {
		n.get = g
	}
	return n, nil
}

// Close releases the handles if OpenNetlink or NewNetlinkAt made them; a
// handle passed to NewNetlink stays the caller's to close.
func (n *Netlink) Close() error {
	if n.owned {
		n.h.Close()
	}
	if n.get != nil {
		n.get.Close()
	}
	return nil
}

// dumpRetries is how often a dump interrupted by a concurrent change is
// retried before List gives up.
const dumpRetries = 5

// list dumps the main table of one family, filtered by filter and mask.
func (n *Netlink) list(family int, filter *netlink.Route, mask uint64) ([]netlink.Route, error) {
	var err error
	for range dumpRetries {
		var rs []netlink.Route
		rs, err = n.h.RouteListFiltered(family, filter, mask)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return rs, err
		}
	}
	return nil, err
}

// List returns the routes of our protocol in the main table, IPv4 and IPv6.
// Every next hop carries the name of the interface the kernel uses, even
// when the route was installed with only a gateway.
//
// Routes listed separately under one prefix and metric are merged into one
// Route. Linux dumps an ECMP route as one multipath route, IPv6 too since
// 4.11; before that IPv6 dumped each sibling (always one with a gateway) on
// its own, and those merge back into the ECMP route they are. Any other
// repeat (`ip route append`, IPv6 device-only routes, which the kernel
// never joins into ECMP) is not ECMP: only the first route is used, so the
// merged Route is marked to be rewritten when it is desired.
func (n *Netlink) List() ([]Route, error) {
	names := make(map[int]string)
	byKey := make(map[key]Route)
	for _, family := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		filter := &netlink.Route{Protocol: n.proto, Table: unix.RT_TABLE_MAIN}
		rs, err := n.list(family, filter, netlink.RT_FILTER_PROTOCOL|netlink.RT_FILTER_TABLE)
		if err != nil {
			return nil, err
		}
		for _, nr := range rs {
			r, err := n.fromNetlink(nr, family, names)
			if err != nil {
				return nil, err
			}
			if old, ok := byKey[r.key()]; ok {
				r.split = old.split || family == netlink.FAMILY_V4 ||
					!allGateways(old) || !allGateways(r) || len(r.NextHops) != 1
				r.NextHops = append(old.NextHops, r.NextHops...)
			}
			byKey[r.key()] = r.normalize()
		}
	}
	return sortedRoutes(byKey), nil
}

// allGateways reports whether r has next hops and each has a gateway.
func allGateways(r Route) bool {
	for _, h := range r.NextHops {
		if !h.Gateway.IsValid() {
			return false
		}
	}
	return len(r.NextHops) > 0
}

// fromNetlink converts a listed route. A route that is not unicast (a
// blackhole, say) comes back with no next hops, so that it can be deleted.
func (n *Netlink) fromNetlink(nr netlink.Route, family int, names map[int]string) (Route, error) {
	var r Route
	if nr.Dst != nil {
		r.Prefix = prefixOf(nr.Dst)
		if !r.Prefix.IsValid() {
			return r, fmt.Errorf("route with bad destination %v", nr.Dst)
		}
	} else if family == netlink.FAMILY_V4 {
		r.Prefix = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	} else {
		r.Prefix = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	r.Metric = nr.Priority
	if nr.Type != unix.RTN_UNICAST {
		return r, nil
	}
	hop := func(gw net.IP, ifindex int) (NextHop, error) {
		var h NextHop
		if gw != nil {
			a, ok := netip.AddrFromSlice(gw)
			if !ok {
				return h, fmt.Errorf("route %v: bad gateway %v", r.Prefix, gw)
			}
			h.Gateway = a.Unmap()
		}
		if ifindex > 0 {
			name, ok := names[ifindex]
			if !ok {
				// An interface that vanished since the dump gets a
				// name no interface has, so List still works (and
				// Flush with it).
				name = "#" + strconv.Itoa(ifindex)
				if l, err := n.h.LinkByIndex(ifindex); err == nil {
					name = l.Attrs().Name
				}
				names[ifindex] = name
			}
			h.Interface = name
		}
		return h, nil
	}
	if len(nr.MultiPath) > 0 {
		for _, nh := range nr.MultiPath {
			h, err := hop(nh.Gw, nh.LinkIndex)
			if err != nil {
				return r, err
			}
			r.NextHops = append(r.NextHops, h)
		}
	} else if nr.Gw != nil || nr.LinkIndex > 0 {
		h, err := hop(nr.Gw, nr.LinkIndex)
		if err != nil {
			return r, err
		}
		r.NextHops = append(r.NextHops, h)
	}
	return r, nil
}

// toNetlink builds the netlink form of r: one next hop as a plain
// gateway/interface, several as a multipath route.
func (n *Netlink) toNetlink(r Route) (*netlink.Route, error) {
	if !r.Prefix.IsValid() {
		return nil, errors.New("invalid prefix")
	}
	if len(r.NextHops) == 0 {
		return nil, errors.New("no next hop")
	}
	if r.Metric < 0 || (r.Metric == 0 && r.Prefix.Addr().Is6()) {
		// The kernel turns IPv6 metric 0 into 1024, which would never
		// list as what we asked for.
		return nil, fmt.Errorf("metric %d not supported", r.Metric)
	}
	nr := &netlink.Route{
		Dst:      prefixIPNet(r.Prefix),
		Priority: r.Metric,
		Protocol: n.proto,
		Table:    unix.RT_TABLE_MAIN,
		Type:     unix.RTN_UNICAST,
	}
	if r.Prefix.Addr().Is6() && len(r.NextHops) > 1 && !allGateways(r) {
		// Linux says EINVAL "Device only routes can not be added for
		// IPv6 using the multipath API"; older kernels added them as
		// separate routes, of which only the first is used.
		return nil, errors.New("IPv6 ECMP needs a gateway on every next hop: Linux has no multipath route with a device-only IPv6 next hop")
	}
	for _, h := range r.NextHops {
		if h.Gateway.IsValid() && h.Gateway.Is4() != r.Prefix.Addr().Is4() {
			return nil, fmt.Errorf("gateway %v is not of the prefix's address family", h.Gateway)
		}
		nh := &netlink.NexthopInfo{}
		if h.Gateway.IsValid() {
			nh.Gw = net.IP(h.Gateway.AsSlice())
		}
		if h.Interface != "" {
			l, err := n.h.LinkByName(h.Interface)
			if err != nil {
				return nil, fmt.Errorf("interface %s: %w", h.Interface, err)
			}
			nh.LinkIndex = l.Attrs().Index
		}
		nr.MultiPath = append(nr.MultiPath, nh)
	}
	if len(nr.MultiPath) == 1 {
		nh := nr.MultiPath[0]
		nr.MultiPath = nil
		nr.Gw, nr.LinkIndex = nh.Gw, nh.LinkIndex
		if nr.Gw == nil && r.Prefix.Addr().Is4() {
			// `ip route add P dev X` makes a link-scope route.
			nr.Scope = netlink.SCOPE_LINK
		}
	}
	return nr, nil
}

// prefixOf converts a kernel destination; invalid if it is not an address.
func prefixOf(n *net.IPNet) netip.Prefix {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}
	}
	bits, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), bits)
}

func prefixIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{
		IP:   net.IP(p.Addr().AsSlice()),
		Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen()),
	}
}

// Replace installs r with our protocol. A new prefix and metric is added
// exclusively. If a route already holds that prefix and metric it is
// replaced in place (NLM_F_REPLACE, one RTM_NEWROUTE, no delete: dropping
// one next hop of an ECMP route does not disturb the others), but only if
// it is ours: the kernel's replace ignores the protocol, and a route of
// another protocol (an administrator's `ip route add`, FRR's) is never
// overwritten; that is an error.
//
// If several routes of ours hold the prefix and metric (`ip route append`,
// or IPv6 device-only routes, which the kernel keeps apart), a replace would
// swap only the first, so they are deleted and r is added afresh.
func (n *Netlink) Replace(r Route) error {
	if err := n.replace(r); err != nil {
		return fmt.Errorf("installing route %v: %w", r, err)
	}
	return nil
}

func (n *Netlink) replace(r Route) error {
	nr, err := n.toNetlink(r)
	if err != nil {
		return err
	}
	err = n.h.RouteAdd(nr)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EEXIST) {
		return describe(r, err)
	}
	if !r.split && n.onlyOurs(r) {
		if err := n.h.RouteReplace(nr); err != nil {
			return describe(r, err)
		}
		return nil
	}
	existing, err := n.at(r)
	if err != nil {
		return fmt.Errorf("checking the existing route: %w", err)
	}
	ours := 0
	for _, e := range existing {
		if e.Protocol != n.proto {
			return fmt.Errorf("prefix and metric are taken by a route of protocol %v, which ipslad does not replace", e.Protocol)
		}
		ours++
	}
	if ours > 1 {
		all := r
		all.split = true // delete every one of them
		if err := n.delete(all); err != nil {
			return err
		}
		if err := n.h.RouteAdd(nr); err != nil {
			return describe(r, err)
		}
		return nil
	}
	if err := n.h.RouteReplace(nr); err != nil {
		return describe(r, err)
	}
	return nil
}

// onlyOurs reports whether the route the kernel's FIB holds for r's prefix
// (RTM_GETROUTE with RTM_F_FIB_MATCH, one round trip however big the
// table) is in the main table, at r's prefix and metric, and ours: then a
// replace changes our route and nothing else. Anything else, or an error,
// says false and the caller reads the table (at). r must not be known to
// be split (several routes of ours at one key), which the lookup cannot
// see.
//
// IPv6 lookups go through a handle without strict checking (the kernel
// refuses the lookup flags netlink sends on a strict socket); without one
// (NewNetlink) IPv6 always says false.
func (n *Netlink) onlyOurs(r Route) bool {
	h := n.h
	if r.Prefix.Addr().Is6() {
		if n.get == nil {
			return false
		}
		h = n.get
	}
	rs, err := h.RouteGetWithOptions(net.IP(r.Prefix.Addr().AsSlice()), &netlink.RouteGetOptions{FIBMatch: true})
	if err != nil || len(rs) != 1 {
		return false
	}
	g := rs[0]
	return g.Dst != nil && prefixOf(g.Dst) == r.Prefix && g.Priority == r.Metric &&
		g.Protocol == n.proto && g.Table == unix.RT_TABLE_MAIN
}

// at returns the routes of any protocol in the main table with r's prefix
// and metric.
func (n *Netlink) at(r Route) ([]netlink.Route, error) {
	family := netlink.FAMILY_V4
	if r.Prefix.Addr().Is6() {
		family = netlink.FAMILY_V6
	}
	// The kernel filters a dump by table, protocol, type and interface,
	// never by destination (and with strict checking refuses a request
	// that names one), so this reads the whole table.
	filter := &netlink.Route{Table: unix.RT_TABLE_MAIN}
	var at []netlink.Route
	var err error
	for range dumpRetries {
		at = at[:0]
		err = n.h.RouteListFilteredIter(family, filter, netlink.RT_FILTER_TABLE, func(nr netlink.Route) bool {
			if nr.Priority == r.Metric && nr.Dst != nil && prefixOf(nr.Dst) == r.Prefix {
				at = append(at, nr)
			}
			return true
		})
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return at, err
}

// describe explains the kernel's refusal of r.
func describe(r Route, err error) error {
	switch {
	case errors.Is(err, unix.ENETUNREACH), errors.Is(err, unix.EHOSTUNREACH):
		return fmt.Errorf("a gateway is not on a connected network: %w", err)
	case errors.Is(err, unix.EINVAL) && anyGateway(r):
		// Some kernels refuse an IPv4 gateway that is not on a connected
		// network with EINVAL "Nexthop has invalid gateway" (the message
		// is lost: netlink handles do not ask for extended acks).
		return fmt.Errorf("a gateway is not on a connected network, or another next hop is invalid: %w", err)
	case errors.Is(err, unix.ENODEV):
		return fmt.Errorf("no such interface, or it is down: %w", err)
	}
	return err
}

func anyGateway(r Route) bool {
	for _, h := range r.NextHops {
		if h.Gateway.IsValid() {
			return true
		}
	}
	return false
}

// Delete removes the route of our protocol with r's prefix and metric (all
// of its next hops). A route of another protocol with the same prefix and
// metric is left alone: the kernel matches the protocol on delete.
func (n *Netlink) Delete(r Route) error {
	if err := n.delete(r); err != nil {
		return fmt.Errorf("removing route %v: %w", r, err)
	}
	return nil
}

func (n *Netlink) delete(r Route) error {
	if !r.Prefix.IsValid() {
		return errors.New("invalid prefix")
	}
	nr := &netlink.Route{
		Dst:      prefixIPNet(r.Prefix),
		Priority: r.Metric,
		Protocol: n.proto,
		Table:    unix.RT_TABLE_MAIN,
		Scope:    netlink.SCOPE_NOWHERE, // any scope
	}
	// One prefix and metric can hold several routes of ours: IPv6 never
	// merges device-only routes into ECMP, and IPv4 keeps `ip route
	// append`ed ones apart. Delete until none is left; ESRCH on the first
	// try means it was already gone. Metric 0 is a wildcard to the kernel
	// (it would go on to our routes with other metrics), so it is deleted
	// once: the first route of ours in the kernel's order, metric 0's.
	for i := 0; ; i++ {
		err := n.h.RouteDel(nr)
		if errors.Is(err, unix.ESRCH) {
			return nil
		}
		if err != nil {
			return err
		}
		if r.Metric == 0 || !r.split {
			// Not known to be split (as List or the Manager saw it):
			// one delete takes it, without a second round trip to
			// find out. Should someone have added a twin since, the
			// next List sees it and it goes then.
			return nil
		}
		if i >= 64 {
			return fmt.Errorf("still present after %d deletes", i+1)
		}
	}
}
