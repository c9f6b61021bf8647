package route

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// WriteStaticRoutes prints `show ip static route` in the IOS-XE layout
// (cisco-semantics §5.3): one line per configured static, the prefix shown
// once per group, "[distance/0]", the next hop, and [A] when the route is
// active (its track is up or it has none, and the kernel holds it: installed
// is read back from the kernel) or [N] when not.
func WriteStaticRoutes(w io.Writer, statics []Static, up func(track int) bool, installed []Route) {
	fmt.Fprint(w, `Codes: M - Manual static, A - AAA download, N - IP NAT, D - DHCP,
   G - GPRS, V - Crypto VPN, C - CASA, P - Channel interface processor,
   B - BootP, S - Service selection gateway
   DN - Default Network, T - Tracking object
   L - TL1, E - OER, I - iEdge
   D1 - Dot1x Vlan Network, K - MWAM Route
   PP - PPP default route, MR - MRIPv6, SS - SSLVPN
   H - IPe Host, ID - IPe Domain Broadcast
   U - User GPRS, TE - MPLS Traffic-eng, LI - LIIN
   IR - ICMP Redirect
Codes in []: A - active, N - non-active, B - BFD-tracked, D - Not Tracked, P - permanent
Static local RIB for default
`)
	sorted := slices.Clone(statics)
	slices.SortStableFunc(sorted, func(a, b Static) int {
		return cmp.Or(comparePrefix(a.Prefix.Masked(), b.Prefix.Masked()), cmp.Compare(a.AdminDistance(), b.AdminDistance()))
	})
	for i, s := range sorted {
		p := s.Prefix.Masked().String()
		if i > 0 && sorted[i-1].Prefix.Masked() == s.Prefix.Masked() {
			p = strings.Repeat(" ", len(p))
		}
		via := strings.TrimSpace(s.Interface + " " + addrOrEmpty(s))
		state := "N"
		if s.Active(up, installed) {
			state = "A"
		}
		fmt.Fprintf(w, "M  %s [%d/0] via %s [%s]\n", p, s.AdminDistance(), via, state)
	}
}

// Active reports whether s is in use: its track is up (or it has none) and
// a kernel route in installed carries it.
func (s Static) Active(up func(track int) bool, installed []Route) bool {
	return (s.Track == 0 || (up != nil && up(s.Track))) && isInstalled(s, installed)
}

// AdminDistance is the route's distance, DefaultDistance when not set.
func (s Static) AdminDistance() int {
	if s.Distance == 0 {
		return DefaultDistance
	}
	return s.Distance
}

func addrOrEmpty(s Static) string {
	if s.NextHop.IsValid() {
		return s.NextHop.String()
	}
	return ""
}

// isInstalled reports whether a kernel route carries s: same prefix and
// metric, with s's next hop among its next hops.
func isInstalled(s Static, installed []Route) bool {
	for _, r := range installed {
		if r.Prefix != s.Prefix.Masked() || r.Metric != s.AdminDistance() {
			continue
		}
		for _, h := range r.NextHops {
			if h.Gateway == s.NextHop && (s.Interface == "" || h.Interface == s.Interface) {
				return true
			}
		}
	}
	return false
}
