//go:build linux

package route

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
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

	mu sync.Mutex // protects the following fields
	// IPv6 gateway routes this Netlink installed itself, by key, with the
	// next hops it installed: only those may be replaced (see change6),
	// and List reports them behind another protocol's first ECMP sibling
	// (see listHidden).
	mine map[key][]NextHop
	// Deletions of routes of ours that a change makes, by key, which
	// Watch does not report (see delOwn).
	ownDels map[key]int
	// Keys where this Netlink added a route exclusively (nothing else was
	// there) while Watch ran, and Watch has seen no route of another
	// protocol added since: change4 needs no lookup there.
	clean map[key]bool
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
//
// An IPv6 ECMP route is one route per next hop to the kernel, each with a
// protocol of its own, and an administrator's gateway route with our prefix
// and metric joins ours as one of them; but a dump shows the whole ECMP
// route with the protocol of its first next hop only. So the administrator's
// next hop is listed as ours while ours is first (Delete still leaves it:
// it deletes by next hop and protocol), and ours are listed only as far as
// this Netlink remembers them while the administrator's is first (see
// listHidden).
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
			norm := r.normalize()
			// A next hop repeated (a transitional route a change left)
			// weighs double: rewrite it when desired.
			norm.split = norm.split || len(norm.NextHops) < len(r.NextHops)
			byKey[r.key()] = norm
		}
	}
	if err := n.listHidden(byKey, names); err != nil {
		return nil, err
	}
	return sortedRoutes(byKey), nil
}

// listHidden adds to byKey the IPv6 next hops of ours that the dump of our
// protocol did not show: an administrator's gateway route with the prefix
// and metric of ours is an ECMP sibling of it, and once that sibling is
// the first (ours before it deleted, or added after it), the dump shows
// the whole ECMP route with its protocol, so the kernel's filter (or ours)
// drops it. The kernel cannot say which sibling is whose; only what this
// Netlink remembers can (mine, the next hops it installed): for each key
// it remembers that the dump did not show, the kernel's route at that
// prefix and metric is looked up (one RTM_GETROUTE; where the lookup finds
// another route, one dump of the IPv6 table for all such keys), and the
// remembered next hops it still holds are listed as ours. A key whose next
// hops are all gone is forgotten.
//
// After a restart nothing is remembered: next hops of ours behind an
// administrator's first sibling are then not listed, so not adopted nor
// flushed. One that is still desired is found when the Manager installs it
// (see claimHidden6) and managed from then on; one that is not (its track
// went down while ipslad was stopped) stays in the kernel. Deletes stay
// safe: they match protocol and next hop, so a sibling of another protocol
// is never deleted.
func (n *Netlink) listHidden(byKey map[key]Route, names map[int]string) error {
	n.mu.Lock()
	var hidden []Route
	for k, hops := range n.mine {
		if _, ok := byKey[k]; !ok && len(hops) > 0 && k.prefix.Addr().Is6() {
			hidden = append(hidden, Route{Prefix: k.prefix, Metric: k.metric, NextHops: slices.Clone(hops)})
		}
	}
	n.mu.Unlock()
	if len(hidden) == 0 {
		return nil
	}
	held := make(map[key][]netlink.Route) // the kernel's routes at each key
	var rest map[key]bool
	for _, r := range hidden {
		if g, ok := n.fibMatch(r); ok {
			held[r.key()] = []netlink.Route{g}
			continue
		}
		if rest == nil {
			rest = make(map[key]bool)
		}
		rest[r.key()] = true
	}
	if len(rest) > 0 {
		filter := &netlink.Route{Table: unix.RT_TABLE_MAIN}
		var err error
		for range dumpRetries {
			for k := range rest {
				delete(held, k)
			}
			err = n.h.RouteListFilteredIter(netlink.FAMILY_V6, filter, netlink.RT_FILTER_TABLE, func(nr netlink.Route) bool {
				if k := (key{dstOf(nr), nr.Priority}); rest[k] {
					held[k] = append(held[k], nr)
				}
				return true
			})
			if !errors.Is(err, netlink.ErrDumpInterrupted) {
				break
			}
		}
		if err != nil {
			return err
		}
	}
	for _, r := range hidden {
		var there []NextHop
		for _, nr := range held[r.key()] {
			kr, err := n.fromNetlink(nr, netlink.FAMILY_V6, names)
			if err != nil {
				return err
			}
			there = append(there, kr.NextHops...)
		}
		var ours []NextHop
		for _, h := range r.NextHops {
			if i := slices.IndexFunc(there, h.same); i >= 0 && there[i].Gateway.IsValid() {
				ours = append(ours, there[i])
			}
		}
		if len(ours) == 0 {
			n.forgetHops(r.key(), r.NextHops)
			continue
		}
		r.NextHops = ours
		byKey[r.key()] = r.normalize()
	}
	return nil
}

// forgetHops forgets what this Netlink remembers at k if it is still hops.
// (List may run beside a change, from a metrics scrape: should the change
// have remembered the same hops again meanwhile, they are forgotten, which
// costs the next change of k its one-replace shortcut, and List its view
// of k until a change remembers it again.)
func (n *Netlink) forgetHops(k key, hops []NextHop) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if slices.Equal(n.mine[k], hops) {
		delete(n.mine, k)
	}
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

// Replace installs r with our protocol at a prefix and metric where the
// caller knows of no route of ours: it is added exclusively. If the prefix
// and metric are taken, the table is read (slow with a full BGP table, but
// rare: the Manager changes the routes it knows of with change, which
// never reads the table). A route of another protocol alone there (an
// administrator's `ip route add`, FRR's) is never touched, and that is an
// error (unless it is an IPv6 ECMP route that holds next hops of ours
// behind its first, see claimHidden6). A route of ours there is changed as
// change does; several routes of ours (`ip route append`, IPv6 device-only
// routes, which the kernel keeps apart) are deleted, each by its exact
// next hops, and r is added afresh.
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
		n.remember(r)
		if n.watching.Load() > 0 {
			n.mu.Lock()
			if n.clean == nil {
				n.clean = make(map[key]bool)
			}
			n.clean[r.key()] = true
			n.mu.Unlock()
		}
		return nil
	}
	if !errors.Is(err, unix.EEXIST) {
		return describe(r, err)
	}
	return n.replaceSlow(r, nr, false)
}

// replaceSlow installs r where something holds its prefix and metric
// already: it reads the table to find out what. When nested (called from a
// change that replaceSlow started) it does not change the route of ours in
// place again but deletes it and adds r: the recursion ends there.
func (n *Netlink) replaceSlow(r Route, nr *netlink.Route, nested bool) error {
	n.forget(r.key())
	existing, err := n.at(r)
	if err != nil {
		return fmt.Errorf("checking the existing route: %w", err)
	}
	var ours []netlink.Route
	var other *netlink.Route
	for i, e := range existing {
		if e.Protocol == n.proto {
			ours = append(ours, e)
		} else if other == nil {
			other = &existing[i]
		}
	}
	switch {
	case len(ours) == 0 && other != nil:
		if r.Prefix.Addr().Is6() && allGateways(r) {
			if ok, err := n.claimHidden6(r, existing); ok || err != nil {
				return err
			}
		}
		return fmt.Errorf("prefix and metric are taken by a route of protocol %v, which ipslad does not replace", other.Protocol)
	case len(ours) == 0: // gone since
		if err := n.h.RouteAdd(nr); err != nil {
			return describe(r, err)
		}
		n.remember(r)
		return nil
	case len(ours) == 1:
		old, err := n.fromNetlink(ours[0], familyOf(r.Prefix), make(map[int]string))
		if err != nil {
			return err
		}
		// As the kernel holds it, in its order and with any next hop
		// repeated (a transitional route change4 left): the exact delete
		// must match it, and the transitional route must differ from it.
		if len(old.NextHops) > 0 && !nested {
			return n.changeKnown(old, r, nr, true)
		}
	}
	for _, e := range ours {
		if err := n.deleteExact(r.Prefix, e); err != nil && !errors.Is(err, unix.ESRCH) {
			return err
		}
	}
	add := n.h.RouteAdd
	if other != nil {
		// Behind the other protocol's route (an exclusive add would
		// fail now, with ours deleted), never in front of it.
		add = n.h.RouteAppend
	}
	if err := add(nr); err != nil {
		return describe(r, err)
	}
	n.remember(r)
	return nil
}

// claimHidden6 installs r, an IPv6 gateway route, where the kernel dumps
// the ECMP route at its prefix and metric with another protocol, and
// reports whether it did. That route may still hold next hops of ours
// behind the other protocol's first sibling (see listHidden), which a new
// Netlink (after a restart) cannot tell apart: each of r's next hops that
// the route holds is deleted by our protocol and exact gateway and
// interface, which only a next hop of ours matches, and, if it went,
// appended again at once (the other next hops carry the prefix meanwhile;
// it stays behind the other protocol's, where it was). If none of them was
// ours, r is not installed (the caller refuses, as for any route of
// another protocol). Else the key is ours as well: the rest of r's next
// hops are appended, and the ones this Netlink installed remembered.
// A next hop of another protocol with r's gateway serves as ours, as in
// appendHops.
func (n *Netlink) claimHidden6(r Route, existing []netlink.Route) (bool, error) {
	names := make(map[int]string)
	var there []NextHop
	for _, e := range existing {
		kr, err := n.fromNetlink(e, netlink.FAMILY_V6, names)
		if err != nil {
			return false, err
		}
		there = append(there, kr.NextHops...)
	}
	var ours, add []NextHop
	for _, h := range r.NextHops {
		i := slices.IndexFunc(there, h.same)
		if i < 0 || !there[i].Gateway.IsValid() {
			add = append(add, h)
			continue
		}
		gone, err := n.deleteHops(r, []NextHop{there[i]}, true)
		if err != nil {
			return false, err
		}
		if gone == 0 {
			continue // another protocol's
		}
		ok, err := n.appendHops(r, []NextHop{there[i]})
		if err != nil {
			return false, err
		}
		ours = append(ours, ok...)
	}
	if len(ours) == 0 {
		return false, nil
	}
	var err error
	if len(add) > 0 {
		var added []NextHop
		added, err = n.appendHops(r, add)
		ours = append(ours, added...)
	}
	mine := r
	mine.NextHops = ours
	n.remember(mine)
	return true, err
}

// change installs r in place of old, the route of ours that the kernel
// holds at r's prefix and metric (as far as the caller knows: the Manager
// passes what it installed or listed). It never overwrites or deletes a
// route of another protocol, and the prefix is never without a route while
// it works.
//
// The kernel's own in-place change, RTM_NEWROUTE with NLM_F_REPLACE, is
// not safe by itself: it ignores the protocol. IPv4 replaces the first
// route with the prefix, tos and metric (fib_table_insert), which is an
// administrator's after `ip route prepend`; a FIB lookup cannot tell, as
// it skips a route whose next hops are dead or linkdown. IPv6 replaces the
// first gateway route with the metric and drops all its ECMP siblings
// (fib6_add_rt2node), and an administrator's gateway route with our
// prefix and metric IS one of those siblings: Linux joins every
// same-metric gateway route into one ECMP route, whatever the protocol.
// What change does instead is in change4 and change6.
//
// The kernel takes each message on its own. The replace that ends an IPv4
// change, and the one an IPv6 change makes when it found only its own next
// hops, rely on what the message before found or made: a route of another
// protocol added with the same prefix and metric in between (a window of
// tens of microseconds, against an administrator's command) would be
// replaced. Nothing closes that window short of a lock the kernel does not
// offer; it is much narrower than a listing would leave.
func (n *Netlink) change(old, r Route) error {
	if err := n.changeRoute(old, r); err != nil {
		return fmt.Errorf("installing route %v: %w", r, err)
	}
	return nil
}

func (n *Netlink) changeRoute(old, r Route) error {
	nr, err := n.toNetlink(r)
	if err != nil {
		return err
	}
	if old.split || r.split || old.key() != r.key() || len(old.NextHops) == 0 {
		return n.replaceSlow(r, nr, false)
	}
	return n.changeKnown(old, r, nr, false)
}

func (n *Netlink) changeKnown(old, r Route, nr *netlink.Route, nested bool) error {
	if r.Prefix.Addr().Is4() {
		return n.change4(old, r, nr, nested)
	}
	return n.change6(old, r, nr, nested)
}

// change4 changes an IPv4 route in three steps, none of which can touch
// another protocol's route:
//
//  1. Prepend (NLM_F_CREATE alone) a transitional route T of ours: r's
//     next hops, repeated until T has more next hops than the old route
//     and than r (a next hop twice is just a double weight). The kernel
//     puts T in front of every route with the prefix and metric, so it
//     forwards from now on, as r will; being longer than the old route,
//     the delete below cannot match it; being unlike r, the replace below
//     is not a no-op. (The old next hops cannot be in T: the one that went
//     is often unreachable now, which the kernel would refuse.)
//  2. Delete the old route by protocol and exact next hops (RTA_MULTIPATH:
//     fib_table_delete matches the protocol, and fib_nh_match a route with
//     at most that many next hops, equal one by one). Only ours can match.
//  3. Replace T with r: NLM_F_REPLACE replaces the first route with the
//     prefix and metric, which is T, ours, since step 1.
//
// The last kernel message about the prefix is a replace, so zebra (FRR
// 8.4), which treats a delete of a multipath kernel route as the delete of
// whatever kernel route it has at that prefix and metric, ends up with r.
//
// Order: after a change ours is the first route with the prefix and metric.
// If an administrator's route there forwards the prefix now (a FIB lookup
// finds it, i.e. it is in front of ours and usable), that would take the
// prefix from it, so then the old route is deleted as in step 2 and r
// appended behind the administrator's (NLM_F_APPEND), which keeps
// forwarding; ours stays behind it, and zebra sees an add last. (zebra
// may still lose track of ours; it cannot tell two kernel routes with one
// prefix and metric apart anyway.)
// An administrator's route in front of ours that is not usable (next hop
// dead, or linkdown with ignore_routes_with_linkdown) ends up behind ours.
// The lookup is skipped where Watch knows that no other route was added
// since ours was (see clean): then there is none to be in front (one added
// a moment ago, whose notification Watch has not read yet, ends up behind
// ours).
func (n *Netlink) change4(old, r Route, nr *netlink.Route, nested bool) error {
	oldSpec, err := n.exactSpec(old)
	if err != nil {
		return n.replaceSlow(r, nr, nested)
	}
	if n.isClean(r.key()) {
		// Nothing else there: straight to step 1.
	} else if g, ok := n.fibMatch(r); ok && g.Protocol != n.proto {
		// The old route goes first, then r is appended. The other way
		// round, with the old route gone already (deleted by hand, or a
		// change cut short) and r's next hops a leading part of the old
		// ones ({A, B} to {A}), the exact delete would match r, just
		// appended (fib_nh_match takes a route with at most as many next
		// hops), and nothing of ours would be left. The prefix has no gap
		// meanwhile: the other protocol's route forwards it.
		if err := n.delOwn(r.key(), oldSpec); err != nil && !errors.Is(err, unix.ESRCH) {
			return err
		}
		if err := n.h.RouteAppend(nr); err != nil {
			if errors.Is(err, unix.EEXIST) {
				return n.replaceSlow(r, nr, nested)
			}
			return describe(r, err)
		}
		return nil
	}
	t := *nr
	t.Gw, t.LinkIndex, t.Scope = nil, 0, netlink.SCOPE_UNIVERSE
	hops := nexthops(nr)
	t.MultiPath = nil
	for i := 0; len(t.MultiPath) <= max(len(oldSpec.MultiPath), len(hops)); i++ {
		h := *hops[i%len(hops)]
		t.MultiPath = append(t.MultiPath, &h)
	}
	if err := n.h.RouteAddEcmp(&t); err != nil { // NLM_F_CREATE: prepend
		if errors.Is(err, unix.EEXIST) {
			return n.replaceSlow(r, nr, nested)
		}
		return describe(r, err)
	}
	if err := n.delOwn(r.key(), oldSpec); err != nil && !errors.Is(err, unix.ESRCH) {
		return err
	}
	if err := n.h.RouteReplace(nr); err != nil {
		return describe(r, err)
	}
	return nil
}

// change6 changes an IPv6 route. A replace is safe only while every
// gateway route with the prefix and metric is ours (see change). A FIB
// lookup shows the whole ECMP route, every next hop, but with the protocol
// of one of them only, and a listing shows it with the protocol of its
// first; so the next hops must also be ones this Netlink installed itself.
// Then one NLM_F_REPLACE does it, which zebra follows.
//
// Otherwise (an administrator's next hop joined ours, or ours came from a
// listing, after a restart) the next hops change one by one: new ones are
// added with NLM_F_APPEND (they join the ECMP route) and old ones deleted
// with RTA_MULTIPATH, which the kernel does hop by hop, each matched by
// protocol, gateway and interface, without the siblings a plain delete
// takes along. New ones come first if no old one stays, so that the prefix
// always has a route. zebra (FRR 8.4) takes the delete of one next hop for
// the delete of the whole route, and learns it back from an add, which
// shows all the siblings; so the last message must be an add or a replace:
//
//   - if a next hop is added while another stays, the old ones go first;
//   - else, if one next hop is left, and a lookup shows it alone, with our
//     protocol (one sibling: no doubt whose), it is replaced by itself;
//   - else one of the next hops left (more than one) is deleted and added
//     again: the others carry the prefix meanwhile.
//
// A device-only next hop is never an ECMP sibling: such a route is
// appended and the old one deleted by protocol and interface (zebra may
// then lose track of it).
func (n *Netlink) change6(old, r Route, nr *netlink.Route, nested bool) error {
	if allGateways(old) && allGateways(r) && n.ownsAll(old) {
		if err := n.h.RouteReplace(nr); err != nil {
			return describe(r, err)
		}
		n.remember(r)
		return nil
	}
	if !allGateways(old) || !allGateways(r) {
		if err := n.h.RouteAppend(nr); err != nil {
			if errors.Is(err, unix.EEXIST) {
				return n.replaceSlow(r, nr, nested)
			}
			return describe(r, err)
		}
		n.forget(r.key())
		if _, err := n.deleteHops(old, old.NextHops, true); err != nil {
			return err
		}
		n.remember(r)
		return nil
	}
	var add, del []NextHop
	for _, h := range r.NextHops {
		if !slices.ContainsFunc(old.NextHops, h.same) {
			add = append(add, h)
		}
	}
	for _, h := range old.NextHops {
		if !slices.ContainsFunc(r.NextHops, h.same) {
			del = append(del, h)
		}
	}
	// Ours for certain: what we had added before, and what we add now.
	known := make([]bool, len(r.NextHops))
	for i, h := range r.NextHops {
		known[i] = slices.ContainsFunc(n.mineAt(r.key()), h.same)
	}
	n.forget(r.key())
	stays := len(r.NextHops) > len(add)
	gone, err := 0, error(nil)
	if stays {
		if gone, err = n.deleteHops(old, del, true); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		ok, err := n.appendHops(r, add)
		if err != nil {
			return err
		}
		for i, h := range r.NextHops {
			if slices.ContainsFunc(ok, h.same) {
				known[i] = true
			}
		}
	}
	if !stays {
		if gone, err = n.deleteHops(old, del, true); err != nil {
			return err
		}
	}
	// A next hop "of ours" that was not (an administrator's, listed with
	// ours) is not deleted: if nothing went, nothing needs making up for.
	if gone > 0 && (!stays || len(add) == 0) {
		// The last message was a delete.
		if len(r.NextHops) == 1 {
			if g, ok := n.fibMatch(r); ok && g.Protocol == n.proto && n.holdsExactly(g, r) {
				if err := n.h.RouteReplace(nr); err != nil {
					return describe(r, err)
				}
				n.remember(r)
				return nil
			}
		} else {
			// One not known to be ours, if any: adding it again makes it
			// known, and a later change can be one replace.
			i := len(r.NextHops) - 1
			if j := slices.Index(known, false); j >= 0 {
				i = j
			}
			again := r.NextHops[i]
			if _, err := n.deleteHops(r, []NextHop{again}, true); err != nil {
				return err
			}
			ok, err := n.appendHops(r, []NextHop{again})
			if err != nil {
				return err
			}
			known[i] = len(ok) == 1
		}
	}
	if !slices.Contains(known, false) {
		n.remember(r)
	}
	return nil
}

// same reports whether two IPv6 gateway next hops are one: the same
// gateway, and the same interface if both name one (a next hop that names
// only a gateway is on the interface the kernel found for it).
func (h NextHop) same(o NextHop) bool {
	return h.Gateway == o.Gateway && (h.Interface == "" || o.Interface == "" || h.Interface == o.Interface)
}

// appendHops adds next hops to the IPv6 ECMP route r, as routes of ours
// (NLM_F_APPEND), and returns the ones it added. One the kernel has already
// (an administrator's route through the same gateway, whose next hop then
// serves as ours) is skipped.
func (n *Netlink) appendHops(r Route, hops []NextHop) ([]NextHop, error) {
	part := r
	part.NextHops = hops
	nr, err := n.toNetlink(part)
	if err != nil {
		return nil, err
	}
	err = n.h.RouteAppend(nr)
	switch {
	case err == nil:
		return hops, nil
	case !errors.Is(err, unix.EEXIST):
		return nil, describe(r, err)
	case len(hops) == 1:
		return nil, nil
	}
	var added []NextHop
	for _, h := range hops { // the kernel undid them all: one by one
		ok, err := n.appendHops(r, []NextHop{h})
		if err != nil {
			return added, err
		}
		added = append(added, ok...)
	}
	return added, nil
}

// deleteHops deletes next hops of r, an IPv6 route, each by protocol and
// exact gateway and interface. A next hop that is not there (or not ours)
// is not an error. With own (a change: the prefix keeps a route of ours)
// Watch does not report the deletions, and each next hop goes in a message
// of its own, so that they can be counted; it returns how many went.
func (n *Netlink) deleteHops(r Route, hops []NextHop, own bool) (int, error) {
	gone := 0
	if len(hops) == 0 {
		return 0, nil
	}
	batches := [][]NextHop{hops}
	if own {
		batches = nil
		for _, h := range hops {
			batches = append(batches, []NextHop{h})
		}
	}
	for _, b := range batches {
		part := r
		part.NextHops = b
		spec, err := n.exactSpec(part)
		if err != nil {
			return gone, err
		}
		if own {
			err = n.delOwn(r.key(), spec)
		} else {
			err = n.h.RouteDel(spec)
		}
		switch {
		case err == nil:
			gone += len(b)
		case !errors.Is(err, unix.ESRCH):
			return gone, err
		}
	}
	return gone, nil
}

// delOwn deletes spec, a route of ours at k (or one next hop of it) that a
// change replaces, telling Watch not to report it as RouteGone: the prefix
// keeps a route of ours, and a RouteGone would make the Manager forget it.
func (n *Netlink) delOwn(k key, spec *netlink.Route) error {
	counted := n.watching.Load() > 0
	if counted {
		n.expectDel(k, 1)
	}
	err := n.h.RouteDel(spec)
	if err != nil && counted {
		n.expectDel(k, -1)
	}
	return err
}

func (n *Netlink) expectDel(k key, d int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ownDels == nil {
		n.ownDels = make(map[key]int)
	}
	if n.ownDels[k] += d; n.ownDels[k] <= 0 {
		delete(n.ownDels, k)
	}
}

// ownDeletion reports whether the deletion of a route of ours at k that
// Watch sees is one that delOwn announced, and takes it off the count.
func (n *Netlink) ownDeletion(k key) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ownDels[k] <= 0 {
		return false
	}
	if n.ownDels[k]--; n.ownDels[k] == 0 {
		delete(n.ownDels, k)
	}
	return true
}

// watchStarted forgets what an earlier Watch saw, or did not: the
// deletions announced to it, and the keys it kept clean.
func (n *Netlink) watchStarted() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ownDels = nil
	n.clean = nil
}

// exactSpec returns the delete request for exactly r, a route of ours: the
// prefix, metric, protocol and every next hop in RTA_MULTIPATH, which the
// kernel matches one by one (IPv4: a route with at most that many next
// hops, each equal; IPv6: each next hop on its own, without its ECMP
// siblings). The next hops are in r's order, which is the kernel's for a
// route ipslad installed (sorted). IPv4 metric 0 is a wildcard to the
// kernel: the first route of ours that matches, metric 0's come first.
func (n *Netlink) exactSpec(r Route) (*netlink.Route, error) {
	if !r.Prefix.IsValid() || len(r.NextHops) == 0 {
		return nil, errors.New("no next hop to match")
	}
	spec := &netlink.Route{
		Dst:      prefixIPNet(r.Prefix),
		Priority: r.Metric,
		Protocol: n.proto,
		Table:    unix.RT_TABLE_MAIN,
		Scope:    netlink.SCOPE_NOWHERE, // any scope
	}
	for _, h := range r.NextHops {
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
		spec.MultiPath = append(spec.MultiPath, nh)
	}
	return spec, nil
}

// deleteExact deletes e, a route of ours at p as the kernel listed it, by
// its exact next hops (IPv6: one by one); one without next hops (a
// blackhole, say) by protocol. A route of ours takes its place.
func (n *Netlink) deleteExact(p netip.Prefix, e netlink.Route) error {
	k := key{p, e.Priority}
	hops := nexthops(&e)
	if p.Addr().Is6() && len(hops) > 0 {
		r, err := n.fromNetlink(e, netlink.FAMILY_V6, make(map[int]string))
		if err != nil {
			return err
		}
		r.Prefix = p
		_, err = n.deleteHops(r, r.NextHops, true)
		return err
	}
	spec := &netlink.Route{
		Dst:       prefixIPNet(p),
		Priority:  e.Priority,
		Protocol:  n.proto,
		Table:     unix.RT_TABLE_MAIN,
		Scope:     netlink.SCOPE_NOWHERE,
		Type:      e.Type,
		MultiPath: hops,
	}
	return n.delOwn(k, spec)
}

// nexthops returns the next hops of nr as RTA_MULTIPATH entries.
func nexthops(nr *netlink.Route) []*netlink.NexthopInfo {
	if len(nr.MultiPath) > 0 {
		hs := make([]*netlink.NexthopInfo, len(nr.MultiPath))
		for i, h := range nr.MultiPath {
			hs[i] = &netlink.NexthopInfo{Gw: h.Gw, LinkIndex: h.LinkIndex}
		}
		return hs
	}
	if nr.Gw == nil && nr.LinkIndex == 0 {
		return nil
	}
	return []*netlink.NexthopInfo{{Gw: nr.Gw, LinkIndex: nr.LinkIndex}}
}

// remember records that every next hop of r, an IPv6 gateway route, is a
// route this Netlink installed; for other routes it forgets the key.
func (n *Netlink) remember(r Route) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !r.Prefix.Addr().Is6() || !allGateways(r) {
		delete(n.mine, r.key())
		return
	}
	if n.mine == nil {
		n.mine = make(map[key][]NextHop)
	}
	n.mine[r.key()] = slices.Clone(r.NextHops)
}

func (n *Netlink) forget(k key) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.mine, k)
	delete(n.clean, k)
}

// isClean reports whether Watch runs and knows of no route of another
// protocol at k since this Netlink added its own there exclusively.
func (n *Netlink) isClean(k key) bool {
	if n.watching.Load() == 0 {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.clean[k]
}

// foreignAdded tells the Netlink that Watch saw a route of another
// protocol added at k.
func (n *Netlink) foreignAdded(k key) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.clean, k)
}

func (n *Netlink) mineAt(k key) []NextHop {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.mine[k]
}

// ownsAll reports whether old, an IPv6 gateway route, is exactly the next
// hops this Netlink installed at its prefix and metric, and a FIB lookup
// finds a route with that prefix and metric, our protocol and exactly
// those next hops: then no other protocol's route is an ECMP sibling of it.
func (n *Netlink) ownsAll(old Route) bool {
	mine := n.mineAt(old.key())
	if mine == nil || !slices.Equal(mine, old.NextHops) {
		return false
	}
	g, ok := n.fibMatch(old)
	return ok && g.Protocol == n.proto && n.holdsExactly(g, old)
}

// holdsExactly reports whether g, a route the kernel reported, has exactly
// r's next hops: as many, and each of r's matched by one of g's with its
// gateway, and its interface if it names one. Interface names are looked
// up only for that (a round trip each).
func (n *Netlink) holdsExactly(g netlink.Route, r Route) bool {
	hops := nexthops(&g)
	if len(hops) != len(r.NextHops) {
		return false
	}
	used := make([]bool, len(hops))
	for _, h := range r.NextHops {
		index := 0
		if h.Interface != "" {
			l, err := n.h.LinkByName(h.Interface)
			if err != nil {
				return false
			}
			index = l.Attrs().Index
		}
		found := false
		for i, gh := range hops {
			a, _ := netip.AddrFromSlice(gh.Gw)
			if used[i] || a.Unmap() != h.Gateway || (index != 0 && gh.LinkIndex != index) {
				continue
			}
			used[i], found = true, true
			break
		}
		if !found {
			return false
		}
	}
	return true
}

// onlyOurs reports whether the route the kernel's FIB holds for r's prefix
// (see fibMatch) is at r's prefix and metric, and ours. It cannot see a
// route in front of ours that the lookup passes over (dead or linkdown next
// hops), nor an IPv6 ECMP sibling of another protocol, so it never decides
// alone that a replace is safe.
func (n *Netlink) onlyOurs(r Route) bool {
	g, ok := n.fibMatch(r)
	return ok && g.Protocol == n.proto
}

// fibMatch returns the route the kernel's FIB holds for r's prefix
// (RTM_GETROUTE with RTM_F_FIB_MATCH, one round trip however big the
// table), if it is in the main table at r's prefix and metric.
//
// IPv6 lookups go through a handle without strict checking (the kernel
// refuses the lookup flags netlink sends on a strict socket); without one
// (NewNetlink) IPv6 always says false.
func (n *Netlink) fibMatch(r Route) (netlink.Route, bool) {
	h := n.h
	if r.Prefix.Addr().Is6() {
		if n.get == nil {
			return netlink.Route{}, false
		}
		h = n.get
	}
	rs, err := h.RouteGetWithOptions(net.IP(r.Prefix.Addr().AsSlice()), &netlink.RouteGetOptions{FIBMatch: true})
	if err != nil || len(rs) != 1 {
		return netlink.Route{}, false
	}
	g := rs[0]
	if g.Dst == nil || prefixOf(g.Dst) != r.Prefix || g.Priority != r.Metric || g.Table != unix.RT_TABLE_MAIN {
		return netlink.Route{}, false
	}
	return g, true
}

// dstOf returns the destination of a route the kernel reported, the
// default route's too (netlink leaves its Dst nil).
func dstOf(nr netlink.Route) netip.Prefix {
	switch {
	case nr.Dst != nil:
		return prefixOf(nr.Dst)
	case nr.Family == netlink.FAMILY_V6:
		return netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	return netip.PrefixFrom(netip.IPv4Unspecified(), 0)
}

func familyOf(p netip.Prefix) int {
	if p.Addr().Is6() {
		return netlink.FAMILY_V6
	}
	return netlink.FAMILY_V4
}

// at returns the routes of any protocol in the main table with r's prefix
// and metric.
func (n *Netlink) at(r Route) ([]netlink.Route, error) {
	family := familyOf(r.Prefix)
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
// metric is left alone: the kernel matches the protocol on delete. An IPv6
// route is deleted next hop by next hop (RTA_MULTIPATH, each matched by
// protocol, gateway and interface): a plain delete would take along every
// ECMP sibling of the route it matches, and an administrator's gateway
// route with the same prefix and metric is one (see change).
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
	n.forget(r.key())
	if r.Prefix.Addr().Is6() && len(r.NextHops) > 0 {
		return n.delete6(r)
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

// delete6 deletes the next hops of r, an IPv6 route, one by one. A next hop
// whose interface has gone is matched by gateway alone, or, without one,
// skipped: the kernel deleted its route with the interface.
func (n *Netlink) delete6(r Route) error {
	part := r
	part.NextHops = nil
	for _, h := range r.NextHops {
		if h.Interface != "" {
			if _, err := n.h.LinkByName(h.Interface); err != nil {
				if !h.Gateway.IsValid() {
					continue
				}
				h.Interface = ""
			}
		}
		part.NextHops = append(part.NextHops, h)
	}
	if len(part.NextHops) == 0 {
		return nil
	}
	_, err := n.deleteHops(part, part.NextHops, false)
	return err
}
