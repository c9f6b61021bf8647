package frr

import (
	"net/netip"
	"slices"
	"testing"
)

// TestUnparsedStaticsAreForeign: a static line ipslad cannot parse (a
// blackhole, a labelled route) still marks its prefix and distance as
// foreign, so ipslad never adds a next hop there (staticd would retag the
// administrator's route with ipslad's tag).
func TestUnparsedStaticsAreForeign(t *testing.T) {
	conf := `frr version 8.4.4
ip route 192.0.2.0/24 blackhole 10
ip route 198.51.100.0/24 10.0.0.1 label 16 tag 7
ip route 203.0.113.0/24 reject
ip route 192.0.2.53/32 10.0.0.10 tag 64000
ipv6 route 2001:db8::/32 Null0 200
router bgp 65001
 ip route 1.2.3.0/24 10.0.0.1
`
	got := unparsedPaths(conf)
	want := []pathKey{
		{netip.MustParsePrefix("192.0.2.0/24"), 10},
		{netip.MustParsePrefix("198.51.100.0/24"), 1},
		{netip.MustParsePrefix("203.0.113.0/24"), 1},
		{netip.MustParsePrefix("2001:db8::/32"), 200},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("unparsedPaths = %v, want %v", got, want)
	}
	desired := []Static{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), NextHop: netip.MustParseAddr("10.0.0.1"), Distance: 10, Tag: 64000}}
	foreign := map[pathKey]uint32{}
	for _, k := range got {
		foreign[k] = 0
	}
	if ok, errs := refuseForeign(desired, foreign); len(ok) != 0 || len(errs) != 1 {
		t.Errorf("a static on the blackhole's path was not refused: ok %v errs %v", ok, errs)
	}
	for _, ifname := range []string{"Null0", "blackhole", "reject"} {
		s := Static{Prefix: netip.MustParsePrefix("192.0.2.53/32"), Interface: ifname, Tag: 64000}
		if err := s.Check(); err == nil {
			t.Errorf("interface %q accepted", ifname)
		}
	}
}
