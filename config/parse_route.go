package config

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ipslad/ipslad/route"
)

// route handles
//
//	ip route PREFIX MASK {NH | IF [NH]} [DISTANCE] [tag T] [name N] [permanent | track K]
//	ipv6 route PREFIX/LEN {NH | IF [NH]} [DISTANCE] [tag T] [name N] [permanent | track K]
//
// with the optional items in any order, and the no forms.
func (p *parser) route(v6 bool) {
	what := "ip route"
	if v6 {
		what = "ipv6 route"
	}
	p.i = 2
	w, ok := p.expect(what, "a prefix")
	if !ok {
		return
	}
	if strings.EqualFold(w.text, "vrf") {
		p.errorf(p.at(w), "%s vrf: not supported yet", what)
		return
	}
	r := route.Static{Distance: route.DefaultDistance}
	if r.Prefix, ok = p.prefix(what, w, v6); !ok {
		return
	}
	if (p.neg || p.def) && !p.more() {
		p.b.deleteRoutes(r)
		return
	}
	if !p.gateway(what, &r) {
		return
	}
	if p.neg || p.def {
		p.b.deleteRoutes(r)
		return
	}
	ref, ok := p.routeOptions(what, &r)
	if ok {
		p.b.addRoute(r, p.ln.pos, ref)
	}
}

// prefix reads PREFIX/LEN (IPv6) or PREFIX MASK (IPv4), starting at w.
func (p *parser) prefix(what string, w word, v6 bool) (netip.Prefix, bool) {
	if v6 {
		pfx, err := parsePrefix(w.text)
		if err == nil && !pfx.Addr().Is6() {
			err = fmt.Errorf("expected an IPv6 prefix, got %q", w.text)
		}
		if err != nil {
			p.errorf(p.at(w), "%s: %v", what, err)
			return pfx, false
		}
		return pfx, true
	}
	a, err := parseIPv4(w.text)
	if err != nil {
		p.errorf(p.at(w), "%s: %v", what, err)
		return netip.Prefix{}, false
	}
	mw, ok := p.expect(what, "a mask")
	if !ok {
		return netip.Prefix{}, false
	}
	bits, err := parseMask(mw.text)
	if err != nil {
		p.errorf(p.at(mw), "%s: %v", what, err)
		return netip.Prefix{}, false
	}
	pfx, err := masked(netip.PrefixFrom(a, bits), w.text+" "+mw.text)
	if err != nil {
		p.errorf(p.at(w), "%s: %v", what, err)
		return pfx, false
	}
	return pfx, true
}

// gateway reads {NH | IF [NH]}.
func (p *parser) gateway(what string, r *route.Static) bool {
	w, ok := p.expect(what, "a next hop address or an interface")
	if !ok {
		return false
	}
	if !isAddr(w.text) {
		if checkInterface(w.text) != nil {
			p.errorf(p.at(w), "%s: expected a next hop address or an interface, got %q", what, w.text)
			return false
		}
		r.Interface = w.text
		if !p.more() || !isAddr(p.args[p.i].text) {
			return true
		}
		w = p.next()
	}
	nh, err := parseAddr(w.text)
	if err == nil {
		err = checkNextHop(r.Prefix, nh, r.Interface)
	}
	if err != nil {
		p.errorf(p.at(w), "%s: %v", what, err)
		return false
	}
	r.NextHop = nh
	return true
}

// routeOptions reads [DISTANCE] [tag T] [name N] [permanent | track K] in
// any order and returns the position of K.
func (p *parser) routeOptions(what string, r *route.Static) (Pos, bool) {
	var ref Pos
	seen := map[string]bool{}
	for p.more() {
		w := p.next()
		kw := strings.ToLower(w.text)
		if isDigits(kw) {
			kw = "distance"
			p.i-- // read it again as the value
		}
		if seen[kw] {
			p.errorf(p.at(w), "%s: %s given twice", what, kw)
			return ref, false
		}
		seen[kw] = true
		switch kw {
		case "distance":
			n, _, ok := p.number(what, limDistance)
			if !ok {
				return ref, false
			}
			r.Distance = int(n)
		case "tag":
			n, _, ok := p.number("tag", limTag)
			if !ok {
				return ref, false
			}
			r.Tag = uint32(n)
		case "name":
			v, ok := p.expect("name", "a name")
			if !ok {
				return ref, false
			}
			r.Name = v.text
			if err := checkWord(v.text); err != nil {
				p.errorf(p.at(v), "name: %v", err)
				return ref, false
			}
		case "permanent":
			r.Permanent = true
		case "track":
			n, v, ok := p.number("track", limTrack)
			if !ok {
				return ref, false
			}
			r.Track, ref = int(n), p.at(v)
		case "multicast", "unicast", "dhcp", "global", "metric", "admin-dist", "bfd":
			p.errorf(p.at(w), "%s %s: not supported yet", what, kw)
			return ref, false
		default:
			p.errorf(p.at(w), "%s: expected distance, tag, name, permanent or track, got %q", what, w.text)
			return ref, false
		}
		if r.Permanent && r.Track != 0 {
			p.errorf(p.at(w), "%s: permanent and track cannot be used together", what)
			return ref, false
		}
	}
	return ref, true
}
