package frr

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

// RIBEntry is one route of zebra's RIB for a prefix, from `show ip route
// PREFIX json` / `show ipv6 route PREFIX json`.
type RIBEntry struct {
	Protocol  string `json:"protocol"` // "static", "kernel", "bgp", "connected" ...
	Selected  bool   `json:"selected"` // zebra's best route for the prefix
	Installed bool   `json:"installed"`
	Distance  int    `json:"distance"`
	Tag       uint32 `json:"tag"`
	NextHops  []struct {
		IP        string `json:"ip"`
		Interface string `json:"interfaceName"`
		Active    bool   `json:"active"`
		FIB       bool   `json:"fib"`
	} `json:"nexthops"`
}

// ParseRIB decodes `show ip route [PREFIX] json`: routes by prefix.
func ParseRIB(data []byte) (map[netip.Prefix][]RIBEntry, error) {
	var raw map[string][]RIBEntry
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("decoding zebra's RIB: %w", err)
	}
	out := make(map[netip.Prefix][]RIBEntry, len(raw))
	for k, v := range raw {
		p, err := netip.ParsePrefix(k)
		if err != nil {
			return nil, fmt.Errorf("zebra's RIB: bad prefix %q", k)
		}
		out[p] = v
	}
	return out, nil
}

// ParseBGPAdvertised decodes `show bgp ipv4|ipv6 unicast PREFIX json` and
// reports whether bgpd has a best path for the prefix that it originated
// by redistribution (so it advertises it to its peers).
func ParseBGPAdvertised(data []byte) (bool, error) {
	var raw struct {
		Paths []struct {
			Origin   string `json:"origin"`
			BestPath *struct {
				Overall bool `json:"overall"`
			} `json:"bestpath"`
			Valid bool `json:"valid"`
			Peer  struct {
				PeerID string `json:"peerId"`
			} `json:"peer"`
		} `json:"paths"`
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return false, fmt.Errorf("decoding bgpd's path: %w", err)
	}
	for _, p := range raw.Paths {
		// A redistributed route is originated here: its peer is 0.0.0.0
		// or :: (bgpd's "local" source).
		local := p.Peer.PeerID == "0.0.0.0" || p.Peer.PeerID == "::"
		if local && p.Valid && p.BestPath != nil && p.BestPath.Overall {
			return true, nil
		}
	}
	return false, nil
}

// PrefixState is what FRR made of one tracked prefix.
type PrefixState struct {
	Prefix     netip.Prefix
	InRIB      bool   // zebra has a route of ipslad's (static in range, or kernel)
	Selected   bool   // that route is zebra's best for the prefix
	Installed  bool   // and is in the kernel's FIB
	Protocol   string // of that route
	Advertised bool   // bgpd originates it (redistributed) as its best path
}

// State reads, for each prefix, zebra's RIB and bgpd's table. A route
// counts as ipslad's when it is a static with a tag in b's range, or a
// kernel route (the kernel backend's routes show in zebra as kernel
// routes). bgpd not running is not an error: Advertised stays false.
func (b *Backend) State(ctx context.Context, prefixes []netip.Prefix) ([]PrefixState, error) {
	out := make([]PrefixState, 0, len(prefixes))
	for _, p := range prefixes {
		if !p.IsValid() || p != p.Masked() {
			return nil, fmt.Errorf("invalid prefix %v", p)
		}
		af := "ip"
		bgpAF := "ipv4"
		if p.Addr().Is6() {
			af, bgpAF = "ipv6", "ipv6"
		}
		st := PrefixState{Prefix: p}
		data, err := b.cli(ctx, "-c", fmt.Sprintf("show %s route %s json", af, p))
		if err != nil {
			return nil, err
		}
		rib, err := ParseRIB([]byte(data))
		if err != nil {
			return nil, err
		}
		for _, e := range rib[p] {
			ours := e.Protocol == "kernel" || (e.Protocol == "static" && b.tags.Owns(e.Tag))
			if !ours {
				continue
			}
			if !st.InRIB || e.Selected {
				st.InRIB, st.Selected, st.Installed, st.Protocol = true, e.Selected, e.Installed, e.Protocol
			}
		}
		if data, err := b.cli(ctx, "-c", fmt.Sprintf("show bgp %s unicast %s json", bgpAF, p)); err == nil {
			st.Advertised, _ = ParseBGPAdvertised([]byte(data))
		}
		out = append(out, st)
	}
	return out, nil
}
