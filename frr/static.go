package frr

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Static is one FRR static route path: `ip route PREFIX {NH [IF] | IF}
// [tag T] [DIST]` (or `ipv6 route`), as staticd takes and prints it.
type Static struct {
	Prefix    netip.Prefix
	NextHop   netip.Addr // invalid: interface only
	Interface string     // "": next hop only
	Distance  int        // 1-255; 0 means 1
	Tag       uint32     // 0: none
}

// Tags is the range of route tags whose FRR statics ipslad owns.
type Tags struct{ Low, High uint32 }

// DefaultTags is the tag range ipslad owns unless configured otherwise.
var DefaultTags = Tags{Low: 64000, High: 64999}

// Owns reports whether a static with tag t is ipslad's.
func (t Tags) Owns(tag uint32) bool { return tag != 0 && tag >= t.Low && tag <= t.High }

// Check refuses an empty or reversed range, or one with tag 0.
func (t Tags) Check() error {
	if t.Low == 0 || t.High < t.Low {
		return fmt.Errorf("tag range %d-%d: want 1 <= LOW <= HIGH", t.Low, t.High)
	}
	return nil
}

func (t Tags) String() string { return fmt.Sprintf("%d-%d", t.Low, t.High) }

func (s Static) distance() int {
	if s.Distance == 0 {
		return 1
	}
	return s.Distance
}

// Check validates every value that goes into the command.
func (s Static) Check() error {
	switch {
	case !s.Prefix.IsValid():
		return fmt.Errorf("invalid prefix")
	case s.Prefix != s.Prefix.Masked():
		return fmt.Errorf("prefix %s has host bits set", s.Prefix)
	case s.Prefix.Addr().Is4In6() || s.Prefix.Addr().Zone() != "":
		return fmt.Errorf("prefix %s: plain IPv4 or IPv6 only", s.Prefix)
	case !s.NextHop.IsValid() && s.Interface == "":
		return fmt.Errorf("%s: no next hop or interface", s.Prefix)
	case s.NextHop.IsValid() && (s.NextHop.Is4() != s.Prefix.Addr().Is4() || s.NextHop.Zone() != "" || s.NextHop.Is4In6()):
		return fmt.Errorf("%s: next hop %s is not of the prefix's address family", s.Prefix, s.NextHop)
	case s.Distance < 0 || s.Distance > 255:
		return fmt.Errorf("%s: distance %d out of range 1-255", s.Prefix, s.Distance)
	}
	if s.Interface != "" {
		if len(s.Interface) > 15 {
			return fmt.Errorf("interface %q longer than 15 characters", s.Interface)
		}
		if err := checkWord(s.Interface, "interface"); err != nil {
			return err
		}
		if keywords[s.Interface] {
			// staticd would read it as a keyword (a blackhole or reject
			// route), which ipslad could never parse back and own.
			return fmt.Errorf("interface %q is a keyword of FRR's ip route", s.Interface)
		}
	}
	return nil
}

// Command renders s as staticd's configuration line, in FRR's own order:
// "ip route 192.0.2.53/32 10.0.0.10 eth0 tag 64001 5". It validates s first.
func (s Static) Command() (string, error) {
	if err := s.Check(); err != nil {
		return "", err
	}
	return s.String(), nil
}

// String is s as FRR prints it in its running configuration; use Command,
// which validates, for anything sent to FRR.
func (s Static) String() string {
	var b strings.Builder
	if s.Prefix.Addr().Is4() {
		b.WriteString("ip route ")
	} else {
		b.WriteString("ipv6 route ")
	}
	b.WriteString(s.Prefix.String())
	if s.NextHop.IsValid() {
		b.WriteString(" " + s.NextHop.String())
	}
	if s.Interface != "" {
		b.WriteString(" " + s.Interface)
	}
	if s.Tag != 0 {
		b.WriteString(" tag " + strconv.FormatUint(uint64(s.Tag), 10))
	}
	if d := s.distance(); d != 1 {
		b.WriteString(" " + strconv.Itoa(d))
	}
	return b.String()
}

func (s Static) norm() Static {
	s.Distance = s.distance()
	return s
}

func compareStatic(a, b Static) int {
	return cmp.Or(
		a.Prefix.Addr().Compare(b.Prefix.Addr()),
		cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()),
		cmp.Compare(a.distance(), b.distance()),
		a.NextHop.Compare(b.NextHop),
		strings.Compare(a.Interface, b.Interface),
		cmp.Compare(a.Tag, b.Tag),
	)
}

// ParseStatics returns the static routes of the default VRF in FRR's
// running configuration (`show running-config`): the top-level `ip route`
// and `ipv6 route` lines. Lines inside `vrf` blocks, and lines with words
// it does not know (label, table, onlink, nexthop-vrf, blackhole ...), are
// left out: ipslad never writes those, so they are never its own.
func ParseStatics(config string) []Static {
	var out []Static
	for _, line := range strings.Split(config, "\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue // inside a block
		}
		f := strings.Fields(line)
		if len(f) < 4 || f[1] != "route" || (f[0] != "ip" && f[0] != "ipv6") {
			continue
		}
		s, ok := parseStatic(f)
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// noArg are the keywords of FRR's ip route that take no value.
var noArg = map[string]bool{"blackhole": true, "reject": true, "Null0": true, "onlink": true, "bfd": true}

// unparsedPaths returns the prefix and distance of every static route line
// ParseStatics could not read (blackhole, reject, label, bfd, ...). Those
// statics are not ipslad's, and staticd would retag them if ipslad added a
// next hop on their path, so their paths count as foreign.
func unparsedPaths(config string) []pathKey {
	var out []pathKey
	for _, line := range strings.Split(config, "\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || f[1] != "route" || (f[0] != "ip" && f[0] != "ipv6") {
			continue
		}
		if _, ok := parseStatic(f); ok {
			continue
		}
		p, err := netip.ParsePrefix(f[2])
		if err != nil {
			continue
		}
		k := pathKey{prefix: p.Masked(), distance: 1}
		// The distance is the bare number among the options; numbers that
		// follow a keyword (tag 5, label 16, table 10) are the keyword's.
		for i := 3; i < len(f); i++ {
			if keywords[f[i]] && i+1 < len(f) && !noArg[f[i]] {
				i++
				continue
			}
			if d, err := strconv.Atoi(f[i]); err == nil && d >= 1 && d <= 255 {
				k.distance = d
			}
		}
		out = append(out, k)
	}
	return out
}

func parseStatic(f []string) (Static, bool) {
	var s Static
	p, err := netip.ParsePrefix(f[2])
	if err != nil || p != p.Masked() || p.Addr().Is4() != (f[0] == "ip") {
		return s, false
	}
	s.Prefix = p
	i := 3
	if a, err := netip.ParseAddr(f[i]); err == nil {
		s.NextHop = a
		i++
	}
	if i < len(f) && f[i] != "tag" && !isDigits(f[i]) {
		if checkWord(f[i], "interface") != nil || keywords[f[i]] {
			return s, false
		}
		s.Interface = f[i]
		i++
	}
	for i < len(f) {
		switch {
		case f[i] == "tag" && i+1 < len(f):
			t, err := strconv.ParseUint(f[i+1], 10, 32)
			if err != nil {
				return s, false
			}
			s.Tag = uint32(t)
			i += 2
		case isDigits(f[i]):
			d, err := strconv.Atoi(f[i])
			if err != nil || d < 1 || d > 255 {
				return s, false
			}
			s.Distance = d
			i++
		default:
			return s, false
		}
	}
	if !s.NextHop.IsValid() && s.Interface == "" {
		return s, false
	}
	return s.norm(), true
}

// keywords are words of FRR's static route syntax that are not interface
// names; a line with any of them is not one ipslad writes.
var keywords = map[string]bool{
	"blackhole": true, "reject": true, "Null0": true, "label": true, "table": true,
	"onlink": true, "nexthop-vrf": true, "vrf": true, "color": true, "segments": true,
	"bfd": true, "tag": true,
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// pathKey is what staticd keys a path by: prefix and distance. The tag
// belongs to the path: all next hops of a path share it, and configuring a
// next hop with another tag retags the whole path.
type pathKey struct {
	prefix   netip.Prefix
	distance int
}

// hopKey is what staticd keys a next hop by within a path; the tag is not
// part of it (`no ip route P NH tag T` removes NH whatever the tag).
type hopKey struct {
	path    pathKey
	nextHop netip.Addr
	iface   string
}

func (s Static) path() pathKey { return pathKey{s.Prefix, s.distance()} }
func (s Static) hop() hopKey   { return hopKey{s.path(), s.NextHop, s.Interface} }

// Commands returns the configuration commands that turn the owned statics
// current (as FRR holds them) into desired, with staticd's semantics:
// next hops are added and removed one by one, and a path whose tag changes
// is retagged by configuring one of its next hops with the new tag. All
// additions come first, then the removals ("no ip route ..."), so that
// traffic always has a path (a floating static or a remaining ECMP next
// hop is in place before the other goes). Both inputs are sets; the result
// is sorted within each group, so the same input always gives the same
// commands. A desired static that does not validate, or that asks for a
// second tag on a path (staticd has one tag per prefix and distance), is
// reported and left out.
func Commands(current, desired []Static) ([]string, []error) {
	curHops := make(map[hopKey]Static, len(current))
	curTag := make(map[pathKey]uint32)
	for _, s := range current {
		s = s.norm()
		curHops[s.hop()] = s
		curTag[s.path()] = s.Tag
	}
	var errs []error
	wantHops := make(map[hopKey]Static, len(desired))
	wantTag := make(map[pathKey]uint32)
	for _, s := range desired {
		s = s.norm()
		if err := s.Check(); err != nil {
			errs = append(errs, err)
			continue
		}
		if t, ok := wantTag[s.path()]; ok && t != s.Tag {
			errs = append(errs, fmt.Errorf("%s: tag %d: FRR has one tag per prefix and distance, and this one has tag %d", s, s.Tag, t))
			continue
		}
		wantTag[s.path()] = s.Tag
		wantHops[s.hop()] = s
	}
	var add, del []Static
	retagged := make(map[pathKey]bool)
	for k, s := range wantHops {
		if c, ok := curHops[k]; !ok || c.Tag != s.Tag {
			if !ok {
				add = append(add, s)
				retagged[k.path] = true
			}
		}
	}
	// A path that keeps its next hops but changes its tag: configure its
	// first desired next hop again, with the new tag.
	var paths []Static
	for k, s := range wantHops {
		if t, ok := curTag[k.path]; ok && t != s.Tag && !retagged[k.path] {
			if _, have := curHops[k]; have {
				paths = append(paths, s)
			}
		}
	}
	slices.SortFunc(paths, compareStatic)
	for _, s := range paths {
		if !retagged[s.path()] {
			add = append(add, s)
			retagged[s.path()] = true
		}
	}
	for k, s := range curHops {
		if _, ok := wantHops[k]; !ok {
			del = append(del, s)
		}
	}
	slices.SortFunc(add, compareStatic)
	slices.SortFunc(del, compareStatic)
	var cmds []string
	for _, s := range add {
		cmds = append(cmds, s.String())
	}
	for _, s := range del {
		if s.Check() != nil {
			errs = append(errs, fmt.Errorf("not removing %q: it does not validate", s.String()))
			continue
		}
		cmds = append(cmds, "no "+s.String())
	}
	return cmds, errs
}
