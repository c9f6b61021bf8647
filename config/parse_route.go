package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

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

// RouteBackend is where ipslad puts its routes: the Linux kernel (the
// default) or FRR's staticd. It is set by the ipslad extension line
//
//	ipslad route backend kernel
//	ipslad route backend frr [tags LOW-HIGH] [pathspace NAME]
//
// (not IOS: IOS has only its own RIB). With frr, ipslad owns exactly the
// FRR statics whose tag is in LOW-HIGH (default 64000-64999); every
// `ip route` of the configuration then needs a tag in that range (the tag
// is what `redistribute static route-map` matches with `match tag`).
// NAME is FRR's pathspace (vtysh -N NAME).
type RouteBackend struct {
	FRR       bool
	TagLow    uint32 // with FRR; 0 until set
	TagHigh   uint32
	Pathspace string
}

// Default FRR tag range owned by ipslad.
const (
	DefaultFRRTagLow  = 64000
	DefaultFRRTagHigh = 64999
)

// backendLine handles `ipslad route backend ...` and its no form.
func (p *parser) backendLine() {
	const what = "ipslad route backend"
	if p.kw(1) != "route" || p.kw(2) != "backend" {
		p.errorf(p.at(p.args[0]), "ipslad: expected `ipslad route backend kernel|frr`")
		return
	}
	p.i = 3
	if p.neg || p.def {
		p.b.backend = RouteBackend{}
		return
	}
	w, ok := p.expect(what, "kernel or frr")
	if !ok {
		return
	}
	var be RouteBackend
	switch strings.ToLower(w.text) {
	case "kernel":
		if p.more() {
			v := p.next()
			p.errorf(p.at(v), "%s kernel: unexpected %q", what, v.text)
			return
		}
		p.b.backend = be
		return
	case "frr":
		be = RouteBackend{FRR: true, TagLow: DefaultFRRTagLow, TagHigh: DefaultFRRTagHigh}
	default:
		p.errorf(p.at(w), "%s: expected kernel or frr, got %q", what, w.text)
		return
	}
	for p.more() {
		v := p.next()
		switch strings.ToLower(v.text) {
		case "tags":
			r, ok := p.expect(what+" frr tags", "a range LOW-HIGH")
			if !ok {
				return
			}
			lo, hi, found := strings.Cut(r.text, "-")
			l, err1 := strconv.ParseUint(lo, 10, 32)
			h, err2 := strconv.ParseUint(hi, 10, 32)
			if !found || err1 != nil || err2 != nil || l == 0 || h < l {
				p.errorf(p.at(r), "%s frr tags: expected LOW-HIGH with 1 <= LOW <= HIGH <= 4294967295, got %q", what, r.text)
				return
			}
			be.TagLow, be.TagHigh = uint32(l), uint32(h)
		case "pathspace":
			n, ok := p.expect(what+" frr pathspace", "a name")
			if !ok {
				return
			}
			if !frrWord(n.text) {
				p.errorf(p.at(n), "%s frr pathspace: invalid name %q (letters, digits and _.:@- only)", what, n.text)
				return
			}
			be.Pathspace = n.text
		default:
			p.errorf(p.at(v), "%s frr: expected tags or pathspace, got %q", what, v.text)
			return
		}
	}
	p.b.backend = be
}

// String is the configuration line, "" for the default (kernel).
func (be RouteBackend) String() string {
	if !be.FRR {
		return ""
	}
	s := "ipslad route backend frr"
	if be.TagLow != DefaultFRRTagLow || be.TagHigh != DefaultFRRTagHigh {
		s += fmt.Sprintf(" tags %d-%d", be.TagLow, be.TagHigh)
	}
	if be.Pathspace != "" {
		s += " pathspace " + be.Pathspace
	}
	return s
}

// frrWord reports whether s is a name the FRR backend puts into a vtysh
// command or argument as one word (package frr's rule): letters, digits
// and "_.:@-", 1-64 characters, not starting with "-"; and not "." or
// "..", which as a pathspace would name another directory.
func frrWord(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '-' || s == "." || s == ".." {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_.:@-", c)) {
			return false
		}
	}
	return true
}

// checkBackend refuses, with the FRR backend, a route whose tag is outside
// the owned range (ipslad would not recognise it as its own in FRR), or
// whose interface name FRR's backend would refuse at run time.
func (b *builder) checkBackend() {
	if !b.backend.FRR {
		return
	}
	for i, r := range b.routes {
		if r.Interface != "" && !frrWord(r.Interface) {
			b.errs.Add(b.pos.route[i], "%s route: interface %q: with `ipslad route backend frr` an interface name may hold only letters, digits and _.:@- (it goes into a vtysh command)",
				strings.Fields(r.String())[0], r.Interface)
		}
		if r.Tag < b.backend.TagLow || r.Tag > b.backend.TagHigh {
			b.errs.Add(b.pos.route[i], "%s: with `ipslad route backend frr` every route needs a tag in %d-%d (ipslad owns the FRR statics with those tags)",
				strings.Fields(r.String())[0]+" route", b.backend.TagLow, b.backend.TagHigh)
		}
	}
}

// routeBackend reads the YAML twin of `ipslad route backend`:
//
//	route-backend: {type: frr, tags: 64000-64999, pathspace: r1}
func (y *yamlParser) routeBackend(n *yaml.Node) {
	const what = "route-backend"
	f, ok := y.mapping(n, what, "type", "tags", "pathspace")
	if !ok {
		return
	}
	tn := f["type"]
	if tn == nil {
		y.errorf(n, "%s: missing type (kernel or frr)", what)
		return
	}
	typ, ok := y.scalar(deref(tn), what+" type", "kernel or frr")
	if !ok {
		return
	}
	switch typ {
	case "kernel":
		for _, k := range []string{"tags", "pathspace"} {
			if f[k] != nil {
				y.errorf(f[k], "%s: %s is for type frr", what, k)
				return
			}
		}
		y.b.backend = RouteBackend{}
		return
	case "frr":
	default:
		y.errorf(tn, "%s type: expected kernel or frr, got %q", what, typ)
		return
	}
	be := RouteBackend{FRR: true, TagLow: DefaultFRRTagLow, TagHigh: DefaultFRRTagHigh}
	if tn := f["tags"]; tn != nil {
		s, ok := y.scalar(deref(tn), what+" tags", "LOW-HIGH")
		if !ok {
			return
		}
		lo, hi, found := strings.Cut(s, "-")
		l, err1 := strconv.ParseUint(lo, 10, 32)
		h, err2 := strconv.ParseUint(hi, 10, 32)
		if !found || err1 != nil || err2 != nil || l == 0 || h < l {
			y.errorf(tn, "%s tags: expected LOW-HIGH with 1 <= LOW <= HIGH <= 4294967295, got %q", what, s)
			return
		}
		be.TagLow, be.TagHigh = uint32(l), uint32(h)
	}
	if pn := f["pathspace"]; pn != nil {
		s, ok := y.scalar(deref(pn), what+" pathspace", "a name")
		if !ok {
			return
		}
		if !frrWord(s) {
			y.errorf(pn, "%s pathspace: invalid name %q (letters, digits and _.:@- only)", what, s)
			return
		}
		be.Pathspace = s
	}
	y.b.backend = be
}
