package route

import (
	"strings"
	"testing"
)

func TestDesired(t *testing.T) {
	tests := []struct {
		name    string
		statics []Static
		up      func(int) bool
		want    string // one Route.String per line
	}{
		{name: "nothing"},
		{
			name:    "untracked",
			statics: []Static{plain},
			want:    "198.51.100.0/24 metric 1 nexthop via 10.0.0.254 dev eth0",
		},
		{
			name:    "tracked up",
			statics: []Static{primaryA},
			up:      upSet(1),
			want:    "192.0.2.53/32 metric 1 nexthop via 10.0.0.10",
		},
		{
			name:    "tracked down",
			statics: []Static{primaryA},
			up:      upSet(2),
		},
		{
			name:    "nil up counts tracks down",
			statics: []Static{primaryA, plain},
			want:    "198.51.100.0/24 metric 1 nexthop via 10.0.0.254 dev eth0",
		},
		{
			name:    "same distance is ecmp",
			statics: []Static{primaryB, primaryA},
			up:      upSet(1, 2),
			want:    "192.0.2.53/32 metric 1 nexthop via 10.0.0.10 nexthop via 10.0.1.10",
		},
		{
			name:    "each ecmp next hop follows its own track",
			statics: []Static{primaryA, primaryB},
			up:      upSet(2),
			want:    "192.0.2.53/32 metric 1 nexthop via 10.0.1.10",
		},
		{
			name:    "floating static hidden while primary up",
			statics: []Static{backup, primaryA},
			up:      upSet(1),
			want:    "192.0.2.53/32 metric 1 nexthop via 10.0.0.10",
		},
		{
			name:    "floating static used while primary down",
			statics: []Static{backup, primaryA},
			up:      upSet(),
			want:    "192.0.2.53/32 metric 10 nexthop via 10.0.1.20",
		},
		{
			name: "lowest of three distances that are up",
			statics: []Static{
				{Prefix: anycast, NextHop: addr("10.0.0.1"), Distance: 1, Track: 1},
				{Prefix: anycast, NextHop: addr("10.0.0.2"), Distance: 2, Track: 2},
				{Prefix: anycast, NextHop: addr("10.0.0.3"), Distance: 3},
				{Prefix: anycast, NextHop: addr("10.0.0.4"), Distance: 2},
			},
			up:   upSet(2),
			want: "192.0.2.53/32 metric 2 nexthop via 10.0.0.2 nexthop via 10.0.0.4",
		},
		{
			name: "distance 0 is the default, 255 never installed",
			statics: []Static{
				{Prefix: anycast, NextHop: addr("10.0.0.1")},
				{Prefix: pfx("192.0.2.54/32"), NextHop: addr("10.0.0.1"), Distance: 255},
			},
			want: "192.0.2.53/32 metric 1 nexthop via 10.0.0.1",
		},
		{
			name: "duplicate statics give one next hop",
			statics: []Static{
				{Prefix: anycast, NextHop: addr("10.0.0.1"), Distance: 1, Name: "a"},
				{Prefix: anycast, NextHop: addr("10.0.0.1"), Distance: 1, Name: "b"},
			},
			want: "192.0.2.53/32 metric 1 nexthop via 10.0.0.1",
		},
		{
			name: "interface and gateway forms",
			statics: []Static{
				{Prefix: anycast, Interface: "eth1", Distance: 1},
				{Prefix: anycast, NextHop: addr("10.0.0.1"), Interface: "eth0", Distance: 1},
				{Prefix: anycast, NextHop: addr("10.0.0.2"), Distance: 1},
			},
			want: "192.0.2.53/32 metric 1 nexthop dev eth1 nexthop via 10.0.0.1 dev eth0 nexthop via 10.0.0.2",
		},
		{
			name: "unmasked prefix is masked",
			statics: []Static{
				{Prefix: pfx("198.51.100.7/24"), NextHop: addr("10.0.0.1"), Distance: 1},
			},
			want: "198.51.100.0/24 metric 1 nexthop via 10.0.0.1",
		},
		{
			name: "no next hop or invalid prefix ignored",
			statics: []Static{
				{Prefix: anycast, Distance: 1},
				{NextHop: addr("10.0.0.1"), Distance: 1},
			},
		},
		{
			name:    "sorted, ipv4 first",
			statics: []Static{v6A, devOnly, plain, primaryA},
			up:      upSet(1, 3),
			want: "192.0.2.53/32 metric 1 nexthop via 10.0.0.10\n" +
				"198.51.100.0/24 metric 1 nexthop via 10.0.0.254 dev eth0\n" +
				"203.0.113.0/24 metric 5 nexthop dev eth1\n" +
				"2001:db8::53/128 metric 1 nexthop via fd00::10",
		},
		{
			name: "default routes",
			statics: []Static{
				{Prefix: pfx("0.0.0.0/0"), NextHop: addr("10.0.0.1"), Distance: 1},
				{Prefix: pfx("::/0"), NextHop: addr("fd00::1"), Distance: 1},
			},
			want: "0.0.0.0/0 metric 1 nexthop via 10.0.0.1\n::/0 metric 1 nexthop via fd00::1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []string
			for _, r := range Desired(tt.statics, tt.up) {
				lines = append(lines, r.String())
			}
			if got := strings.Join(lines, "\n"); got != tt.want {
				t.Errorf("Desired() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
