// Package route turns tracked static routes into the kernel's routing table.
// It is the only package that talks netlink.
package route

import (
	"fmt"
	"net/netip"
	"strings"
)

// DefaultDistance is IOS's administrative distance of a static route.
const DefaultDistance = 1

// Static is one `ip route PREFIX MASK {NH | IF [NH]} [DIST] [tag T] [name N]
// [permanent | track K]` line (or its IPv6 twin).
type Static struct {
	Prefix    netip.Prefix // masked
	NextHop   netip.Addr   // invalid when the route names only an interface
	Interface string       // "" when the route names only a next hop
	Distance  int          // 1-255
	Tag       uint32
	Name      string
	Track     int // 0 = untracked
	Permanent bool
}

// String is the route as IOS prints it in running-config and in
// `show ip route track-table`, options in IOS's order: for IPv4 distance, tag,
// permanent, name, track; for IPv6 distance, tag, track, permanent, name
// (cisco-semantics §5.1).
func (r Static) String() string {
	var b strings.Builder
	if r.Prefix.Addr().Is4() {
		fmt.Fprintf(&b, "ip route %s %s", r.Prefix.Addr(), maskString(r.Prefix.Bits()))
	} else {
		fmt.Fprintf(&b, "ipv6 route %s", r.Prefix)
	}
	if r.Interface != "" {
		b.WriteString(" " + r.Interface)
	}
	if r.NextHop.IsValid() {
		b.WriteString(" " + r.NextHop.String())
	}
	if r.Distance > DefaultDistance {
		fmt.Fprintf(&b, " %d", r.Distance)
	}
	if r.Tag != 0 {
		fmt.Fprintf(&b, " tag %d", r.Tag)
	}
	track := ""
	if r.Track != 0 {
		track = fmt.Sprintf(" track %d", r.Track)
	}
	name := ""
	if r.Name != "" {
		name = " name " + r.Name
	}
	perm := ""
	if r.Permanent {
		perm = " permanent"
	}
	if r.Prefix.Addr().Is4() {
		b.WriteString(perm + name + track)
	} else {
		b.WriteString(track + perm + name)
	}
	return b.String()
}

// maskString returns the dotted mask of an IPv4 prefix length.
func maskString(bits int) string {
	v := ^uint32(0) << (32 - bits)
	if bits == 0 {
		v = 0
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}
