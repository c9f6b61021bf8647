package route

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// fakeResolver resolves every next hop except those in down, and lists
// connected as the host's connected networks.
type fakeResolver struct {
	down      map[netip.Addr]bool
	devDown   map[string]bool
	connected []netip.Prefix
	calls     int
}

func (f *fakeResolver) Resolve(s Static) error {
	f.calls++
	if s.Interface != "" && f.devDown[s.Interface] && !s.Permanent {
		return errors.New("interface " + s.Interface + " is down")
	}
	if f.down[s.NextHop] {
		return errors.New("next hop " + s.NextHop.String() + " is not on a connected network")
	}
	return nil
}

func (f *fakeResolver) Connected() ([]netip.Prefix, error) { return f.connected, nil }

func TestEvaluate(t *testing.T) {
	a := Static{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.0.10"), Distance: 1, Track: 1}
	b := Static{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.1.10"), Distance: 1, Track: 2}
	f := Static{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.2.10"), Distance: 10}
	d := Static{Prefix: pfx("203.0.113.0/24"), Interface: "eth1", Distance: 1}
	p := Static{Prefix: pfx("198.51.100.0/24"), Interface: "eth1", Distance: 1, Permanent: true}
	lan := Static{Prefix: pfx("10.0.0.128/25"), NextHop: addr("10.0.1.10"), Distance: 1, Track: 1}
	all := []Static{a, b, f, d, p, lan}
	hop := func(gw string) NextHop { return NextHop{Gateway: addr(gw)} }
	tests := []struct {
		name   string
		up     []int
		res    *fakeResolver
		want   []Route
		active []bool // per static of all
		reason map[int]string
	}{
		{
			name:   "no resolver: like Desired",
			up:     []int{1, 2},
			want:   Desired(all, upSet(1, 2)),
			active: []bool{true, true, false, true, true, true},
		},
		{
			name: "ECMP, floating backup loses",
			up:   []int{1, 2},
			res:  &fakeResolver{},
			want: []Route{
				{Prefix: pfx("10.0.0.128/25"), Metric: 1, NextHops: []NextHop{hop("10.0.1.10")}},
				{Prefix: pfx("192.0.2.53/32"), Metric: 1, NextHops: []NextHop{hop("10.0.0.10"), hop("10.0.1.10")}},
				{Prefix: pfx("198.51.100.0/24"), Metric: 1, NextHops: []NextHop{{Interface: "eth1"}}},
				{Prefix: pfx("203.0.113.0/24"), Metric: 1, NextHops: []NextHop{{Interface: "eth1"}}},
			},
			active: []bool{true, true, false, true, true, true},
			reason: map[int]string{2: "distance 10 loses to 1"},
		},
		{
			name: "unreachable next hop drops out of ECMP",
			up:   []int{1, 2},
			res:  &fakeResolver{down: map[netip.Addr]bool{addr("10.0.1.10"): true}},
			want: []Route{
				{Prefix: pfx("192.0.2.53/32"), Metric: 1, NextHops: []NextHop{hop("10.0.0.10")}},
				{Prefix: pfx("198.51.100.0/24"), Metric: 1, NextHops: []NextHop{{Interface: "eth1"}}},
				{Prefix: pfx("203.0.113.0/24"), Metric: 1, NextHops: []NextHop{{Interface: "eth1"}}},
			},
			active: []bool{true, false, false, true, true, false},
			reason: map[int]string{1: "next hop 10.0.1.10 is not on a connected network"},
		},
		{
			name: "floating static takes over from unreachable primaries",
			up:   []int{1, 2},
			res:  &fakeResolver{down: map[netip.Addr]bool{addr("10.0.0.10"): true, addr("10.0.1.10"): true}},
			want: []Route{
				{Prefix: pfx("192.0.2.53/32"), Metric: 10, NextHops: []NextHop{hop("10.0.2.10")}},
				{Prefix: pfx("198.51.100.0/24"), Metric: 1, NextHops: []NextHop{{Interface: "eth1"}}},
				{Prefix: pfx("203.0.113.0/24"), Metric: 1, NextHops: []NextHop{{Interface: "eth1"}}},
			},
			active: []bool{false, false, true, true, true, false},
		},
		{
			name: "interface down: permanent stays",
			up:   []int{2},
			res:  &fakeResolver{devDown: map[string]bool{"eth1": true}},
			want: []Route{
				{Prefix: pfx("192.0.2.53/32"), Metric: 1, NextHops: []NextHop{hop("10.0.1.10")}},
				{Prefix: pfx("198.51.100.0/24"), Metric: 1, NextHops: []NextHop{{Interface: "eth1"}}},
			},
			active: []bool{false, true, false, false, true, false},
			reason: map[int]string{0: "track 1 is down", 3: "interface eth1 is down", 5: "track 1 is down"},
		},
		{
			name: "tracked prefix inside a connected network is refused",
			up:   []int{1},
			res:  &fakeResolver{connected: []netip.Prefix{pfx("10.0.0.0/24"), pfx("fd00::/64")}},
			want: []Route{
				{Prefix: pfx("192.0.2.53/32"), Metric: 1, NextHops: []NextHop{hop("10.0.0.10")}},
				{Prefix: pfx("198.51.100.0/24"), Metric: 1, NextHops: []NextHop{{Interface: "eth1"}}},
				{Prefix: pfx("203.0.113.0/24"), Metric: 1, NextHops: []NextHop{{Interface: "eth1"}}},
			},
			active: []bool{true, false, false, true, true, false},
			reason: map[int]string{5: "refused: 10.0.0.128/25 would shadow connected network 10.0.0.0/24"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res Resolver
			if tt.res != nil {
				res = tt.res
			}
			got, st := Evaluate(all, upSet(tt.up...), res)
			if !slices.EqualFunc(got, tt.want, Route.equal) {
				t.Errorf("routes\n%v\nwant\n%v", got, tt.want)
			}
			for i, s := range st {
				if s.Static != all[i] {
					t.Errorf("status %d is for %v, want %v", i, s.Static, all[i])
				}
				if s.Active != tt.active[i] {
					t.Errorf("%v: active %v, want %v (reason %q)", s.Static, s.Active, tt.active[i], s.Reason)
				}
				if want, ok := tt.reason[i]; ok && s.Reason != want {
					t.Errorf("%v: reason %q, want %q", s.Static, s.Reason, want)
				}
				if s.Active && s.Reason != "" {
					t.Errorf("%v: active with reason %q", s.Static, s.Reason)
				}
				if !s.Active && s.Reason == "" {
					t.Errorf("%v: inactive without a reason", s.Static)
				}
			}
			// One Resolve per distinct next hop.
			if tt.res != nil && tt.res.calls > 5 {
				t.Errorf("%d Resolve calls for 5 distinct next hops", tt.res.calls)
			}
		})
	}
}

// TestEvaluateWithoutResolverIsDesired: with every next hop reachable,
// Evaluate decides exactly as Desired, for random route sets.
func TestEvaluateWithoutResolverIsDesired(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	prefixes := []netip.Prefix{pfx("192.0.2.53/32"), pfx("198.51.100.0/24"), pfx("2001:db8::53/128")}
	for i := range 2000 {
		var statics []Static
		for range rng.IntN(8) {
			p := prefixes[rng.IntN(len(prefixes))]
			s := Static{Prefix: p, Distance: []int{0, 1, 1, 5, 255}[rng.IntN(5)], Track: rng.IntN(4)}
			if p.Addr().Is4() {
				s.NextHop = netip.AddrFrom4([4]byte{10, 0, 0, byte(rng.IntN(4))})
			} else {
				s.NextHop = netip.AddrFrom16([16]byte{0xfd, 15: byte(rng.IntN(4))})
			}
			if rng.IntN(3) == 0 {
				s.Interface = "eth" + string(rune('0'+rng.IntN(2)))
			}
			statics = append(statics, s)
		}
		up := upSet(1 + rng.IntN(3))
		got, _ := Evaluate(statics, up, nil)
		want := Desired(statics, up)
		if !slices.EqualFunc(got, want, Route.equal) {
			t.Fatalf("case %d: %v\nEvaluate %v\nDesired  %v", i, statics, got, want)
		}
	}
}
