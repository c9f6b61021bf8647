// Package route turns tracked static routes into the kernel's routing table.
// It is the only package that talks netlink.
package route

import "net/netip"

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
