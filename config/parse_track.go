package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ipslad/ipslad/track"
)

// Limits of the track sub-commands.
var (
	limWeight      = limit{"weight", 1, 255}
	limWeightUp    = limit{"weight", 1, 255}
	limWeightDown  = limit{"weight", 0, 254}
	limPercentUp   = limit{"percentage", 1, 100}
	limPercentDown = limit{"percentage", 0, 99}
	limMetricUp    = limit{"metric", 0, 254}
	limMetricDown  = limit{"metric", 1, 255}
	limHysteresis  = limit{"results", 1, 100}
	limHalfLife    = limit{"seconds", 1, 30}
	limPenalty     = limit{"penalty", 1, 20000}
	limMaxSuppress = limit{"seconds", 1, 255}
)

// track handles `track N <type ...>`, which enters track mode, `track N`
// (re-enters it) and `no track N`. The types:
//
//	track N ip sla M [state | reachability]
//	track N interface IF {line-protocol | ip routing}
//	track N ip route {A.B.C.D M.M.M.M | A.B.C.D/LEN} {reachability | metric threshold}
//	track N ipv6 route X:X::X/LEN {reachability | metric threshold}
//	track N list boolean {and | or}
//	track N list threshold {weight | percentage}
//	track N stub-object
func (p *parser) track() {
	p.i = 1
	switch kw := p.kw(1); kw {
	case "timer", "resolution":
		p.errorf(p.at(p.args[1]), "track %s: not supported yet", kw)
		return
	}
	n, _, ok := p.number("track", limTrack)
	if !ok {
		p.fail()
		return
	}
	id := int(n)
	if p.neg || p.def {
		p.b.deleteTrack(id)
		return
	}
	obj := p.b.tracks[id]
	if !p.more() {
		if obj == nil {
			p.errorf(p.eol(), "track %d: expected ip sla, interface, ip route, ipv6 route, list or stub-object, got end of line", id)
			p.fail()
			return
		}
		p.enter(&trackMode{obj: obj, indent: p.ln.indent})
		return
	}
	def, ok := p.trackType(id)
	if !ok {
		p.fail()
		return
	}
	if obj != nil && !sameKind(*obj, def) {
		p.errorf(p.at(p.args[2]), "track %d: already defined as %s at line %d; remove it first with \"no track %d\"",
			id, obj.Describe(), p.b.pos.track[id].Line, id)
		p.fail()
		return
	}
	if obj == nil {
		obj = &track.Object{ID: id}
		p.b.tracks[id], p.b.pos.track[id] = obj, p.ln.pos
	}
	// Re-entering with the same type keeps the sub-commands, as on IOS,
	// except those the new form cannot have.
	if def.List != obj.List {
		obj.ThresholdUp, obj.ThresholdDown = 0, 0
		for i := range obj.Members {
			obj.Members[i].Weight = 0
		}
	}
	if def.Mode != track.ModeMetricThreshold {
		obj.MetricUp, obj.MetricDown = 0, 0
	}
	if def.Prefix.Addr().Is6() {
		obj.VRF = ""
	}
	obj.Type, obj.Mode, obj.SLA, obj.Interface, obj.Prefix, obj.List =
		def.Type, def.Mode, def.SLA, def.Interface, def.Prefix, def.List
	if def.Type == track.TypeSLA {
		p.b.pos.trackRef[id] = p.at(p.args[4])
	}
	p.enter(&trackMode{obj: obj, indent: p.ln.indent})
}

// sameKind reports whether a and b are the same type of object (a list
// stays a list of its kind), so that a later line re-enters it.
func sameKind(a, b track.Object) bool {
	if a.Type != b.Type {
		return false
	}
	if a.Type == track.TypeList {
		return a.List.Threshold() == b.List.Threshold()
	}
	return true
}

// trackType reads the type words after `track N`.
func (p *parser) trackType(id int) (track.Object, bool) {
	o := track.Object{ID: id}
	t := p.next()
	typ := strings.ToLower(t.text)
	if typ == "ip" || typ == "ipv6" {
		if !p.more() {
			p.errorf(p.eol(), "track %d %s: expected sla or route, got end of line", id, typ)
			return o, false
		}
		typ += " " + strings.ToLower(p.next().text)
	}
	what := fmt.Sprintf("track %d %s", id, typ)
	switch typ {
	case "ip sla":
		m, _, ok := p.number(what, limOperation)
		if !ok {
			return o, false
		}
		o.SLA, o.Mode = int(m), track.ModeState
		what = fmt.Sprintf("%s %d", what, m)
		if p.more() {
			switch w := p.next(); strings.ToLower(w.text) {
			case "state":
			case "reachability":
				o.Mode = track.ModeReachability
			default:
				p.errorf(p.at(w), "%s: expected state or reachability, got %q", what, w.text)
				return o, false
			}
		}
	case "interface":
		o.Type = track.TypeInterface
		w, ok := p.expect(what, "an interface name")
		if !ok {
			return o, false
		}
		if err := checkInterface(w.text); err != nil {
			p.errorf(p.at(w), "%s: %v", what, err)
			return o, false
		}
		o.Interface = w.text
		what += " " + w.text
		m, ok := p.expect(what, "line-protocol or ip routing")
		if !ok {
			return o, false
		}
		switch strings.ToLower(m.text) {
		case "line-protocol":
			o.Mode = track.ModeLineProtocol
		case "ip":
			if !p.expectWord(what+" ip", "routing") {
				return o, false
			}
			o.Mode = track.ModeIPRouting
		case "ipv6":
			p.errorf(p.at(m), "%s ipv6 routing: not supported yet", what)
			return o, false
		default:
			p.errorf(p.at(m), "%s: expected line-protocol or ip routing, got %q", what, m.text)
			return o, false
		}
	case "ip route", "ipv6 route":
		o.Type = track.TypeRoute
		w, ok := p.expect(what, "a prefix")
		if !ok {
			return o, false
		}
		v6 := typ == "ipv6 route"
		if !v6 && strings.Contains(w.text, "/") {
			pfx, err := parsePrefix(w.text)
			if err == nil && !pfx.Addr().Is4() {
				err = fmt.Errorf("expected an IPv4 prefix, got %q", w.text)
			}
			if err != nil {
				p.errorf(p.at(w), "%s: %v", what, err)
				return o, false
			}
			o.Prefix = pfx
		} else if o.Prefix, ok = p.prefix(what, w, v6); !ok {
			return o, false
		}
		m, ok := p.expect(what, "reachability or metric threshold")
		if !ok {
			return o, false
		}
		switch strings.ToLower(m.text) {
		case "reachability":
			o.Mode = track.ModeReachability
		case "metric":
			if !p.expectWord(what+" metric", "threshold") {
				return o, false
			}
			o.Mode = track.ModeMetricThreshold
		default:
			p.errorf(p.at(m), "%s: expected reachability or metric threshold, got %q", what, m.text)
			return o, false
		}
	case "list":
		o.Type = track.TypeList
		k, ok := p.expect(what, "boolean or threshold")
		if !ok {
			return o, false
		}
		kind := strings.ToLower(k.text)
		var want map[string]track.ListKind
		switch kind {
		case "boolean":
			want = map[string]track.ListKind{"and": track.ListAnd, "or": track.ListOr}
		case "threshold":
			want = map[string]track.ListKind{"weight": track.ListWeight, "percentage": track.ListPercentage}
		default:
			p.errorf(p.at(k), "%s: expected boolean or threshold, got %q", what, k.text)
			return o, false
		}
		expected := map[string]string{"boolean": "and or or", "threshold": "weight or percentage"}[kind]
		w, ok := p.expect(what+" "+kind, expected)
		if !ok {
			return o, false
		}
		l, found := want[strings.ToLower(w.text)]
		if !found {
			p.errorf(p.at(w), "%s %s: expected %s, got %q", what, kind, expected, w.text)
			return o, false
		}
		o.List = l
	case "stub-object", "stub":
		o.Type = track.TypeStub
	case "application":
		p.errorf(p.at(t), "%s: not supported yet", what)
		return o, false
	default:
		p.errorf(p.at(t), "track %d: expected ip sla, interface, ip route, ipv6 route, list or stub-object, got %q", id, strings.TrimPrefix(typ, " "))
		return o, false
	}
	return o, p.done(what)
}

// trackMode is config-track.
type trackMode struct {
	obj    *track.Object
	indent int
}

func (m *trackMode) command(p *parser) bool {
	o := m.obj
	here := fmt.Sprintf("track %d %s", o.ID, o.TypeWords())
	switch kw := p.kw(0); kw {
	case "delay":
		p.delay(o)
	case "default-state":
		if o.Type != track.TypeStub {
			p.warnf(p.ln.pos, "default-state: applies to stub objects; ignored under %s", here)
			break
		}
		p.defaultState(o)
	case "object":
		if o.Type != track.TypeList {
			p.errorf(p.ln.pos, "object: not valid under %s", here)
			break
		}
		p.member(o)
	case "threshold":
		p.threshold(o, here)
	case "ip":
		if p.kw(1) != "vrf" {
			return p.unknownSub("track", m.indent)
		}
		if o.Type != track.TypeRoute || o.Prefix.Addr().Is6() {
			p.errorf(p.ln.pos, "ip vrf: not valid under %s", here)
			break
		}
		p.trackVRF(o)
	case "hysteresis":
		if o.Type != track.TypeSLA {
			p.errorf(p.ln.pos, "hysteresis: only for ip sla objects (it counts results; other objects change on events, use delay)")
			break
		}
		p.hysteresis(o)
	case "dampening":
		p.dampening(o)
	case "carrier-delay":
		if o.Type == track.TypeInterface {
			p.errorf(p.ln.pos, "carrier-delay: not supported yet")
			break
		}
		p.errorf(p.ln.pos, "carrier-delay: not valid under %s", here)
	case "exit":
		p.exit()
	default:
		return p.unknownSub("track", m.indent)
	}
	return true
}

// delay handles `delay {up S [down S] | down S [up S]}`; each delay line
// replaces both values, and the no and default forms clear them.
func (p *parser) delay(obj *track.Object) {
	p.i = 1
	if p.neg || p.def {
		obj.DelayUp, obj.DelayDown = 0, 0
		return
	}
	up, down, ok := p.upDown("delay", limDelay, limDelay)
	if !ok {
		return
	}
	obj.DelayUp, obj.DelayDown = time.Duration(up)*time.Second, time.Duration(down)*time.Second
}

// upDown reads `{up U [down D] | down D [up U]}` from p.i; a value not
// given is -1 in the result, then replaced by 0.
func (p *parser) upDown(what string, limUp, limDown limit) (up, down int, ok bool) {
	u, d, ok := p.upDownRaw(what, limUp, limDown)
	return max(u, 0), max(d, 0), ok
}

func (p *parser) upDownRaw(what string, limUp, limDown limit) (up, down int, ok bool) {
	up, down = -1, -1
	if !p.more() {
		p.errorf(p.eol(), "%s: expected up or down, got end of line", what)
		return up, down, false
	}
	for p.more() {
		w := p.next()
		kw := strings.ToLower(w.text)
		d, lim := &up, limUp
		switch kw {
		case "up":
		case "down":
			d, lim = &down, limDown
		default:
			p.errorf(p.at(w), "%s: expected up or down, got %q", what, w.text)
			return up, down, false
		}
		if *d != -1 {
			p.errorf(p.at(w), "%s: %s given twice", what, kw)
			return up, down, false
		}
		n, _, ok := p.number(what+" "+kw, lim)
		if !ok {
			return up, down, false
		}
		*d = int(n)
	}
	return up, down, true
}

// defaultState handles `default-state {up|down}` of a stub object.
func (p *parser) defaultState(o *track.Object) {
	p.i = 1
	if p.neg || p.def {
		o.DefaultState = track.Down
		return
	}
	w, ok := p.expect("default-state", "up or down")
	if !ok {
		return
	}
	switch strings.ToLower(w.text) {
	case "up":
		o.DefaultState = track.Up
	case "down":
		o.DefaultState = track.Down
	default:
		p.errorf(p.at(w), "default-state: expected up or down, got %q", w.text)
		return
	}
	p.done("default-state")
}

// member handles `object M [not] [weight W]` and `no object M`.
func (p *parser) member(o *track.Object) {
	p.i = 1
	n, nw, ok := p.number("object", limTrack)
	if !ok {
		return
	}
	m := track.Member{ID: int(n)}
	idx := -1
	for i, x := range o.Members {
		if x.ID == m.ID {
			idx = i
		}
	}
	if p.neg || p.def {
		if idx >= 0 {
			o.Members = append(o.Members[:idx], o.Members[idx+1:]...)
		}
		return
	}
	if m.ID == o.ID {
		p.errorf(p.at(nw), "object %d: a list cannot contain itself", m.ID)
		return
	}
	for p.more() {
		w := p.next()
		switch kw := strings.ToLower(w.text); {
		case kw == "not" && !o.List.Threshold():
			m.Not = true
		case kw == "not":
			p.errorf(p.at(w), "object %d not: not allowed in threshold lists", m.ID)
			return
		case kw == "weight" && o.List == track.ListWeight:
			v, _, ok := p.number(fmt.Sprintf("object %d weight", m.ID), limWeight)
			if !ok {
				return
			}
			m.Weight = int(v)
		case kw == "weight":
			p.errorf(p.at(w), "object %d weight: only in threshold weight lists", m.ID)
			return
		default:
			p.errorf(p.at(w), "object %d: unexpected %q", m.ID, w.text)
			return
		}
	}
	if m.Weight == track.DefaultWeight {
		m.Weight = 0 // the default, kept canonical
	}
	if idx >= 0 {
		o.Members[idx] = m
	} else {
		o.Members = append(o.Members, m)
	}
	p.b.pos.member[[2]int{o.ID, m.ID}] = p.at(nw)
}

// threshold handles `threshold weight ...`, `threshold percentage ...`
// (threshold lists) and `threshold metric ...` (metric threshold routes).
func (p *parser) threshold(o *track.Object, here string) {
	p.i = 1
	w, ok := p.expect("threshold", "weight, percentage or metric")
	if !ok {
		return
	}
	kw := strings.ToLower(w.text)
	what := "threshold " + kw
	var limUp, limDown limit
	switch {
	case kw == "metric" && o.Type == track.TypeRoute && o.Mode == track.ModeMetricThreshold:
		limUp, limDown = limMetricUp, limMetricDown
	case kw == "weight" && o.Type == track.TypeList && o.List == track.ListWeight:
		limUp, limDown = limWeightUp, limWeightDown
	case kw == "percentage" && o.Type == track.TypeList && o.List == track.ListPercentage:
		limUp, limDown = limPercentUp, limPercentDown
	case kw == "metric" || kw == "weight" || kw == "percentage":
		p.errorf(p.at(w), "%s: not valid under %s", what, here)
		return
	default:
		p.errorf(p.at(w), "threshold: expected weight, percentage or metric, got %q", w.text)
		return
	}
	if p.neg || p.def {
		if kw == "metric" {
			o.MetricUp, o.MetricDown = 0, 0
		} else {
			o.ThresholdUp, o.ThresholdDown = 0, 0
		}
		return
	}
	up, down, ok := p.upDownRaw(what, limUp, limDown)
	if !ok {
		return
	}
	if kw == "metric" {
		if up < 0 {
			up = track.DefaultMetricUp
		}
		if down < 0 {
			down = track.DefaultMetricDown
		}
	} else {
		if up < 0 {
			up = track.DefaultThresholdUp
		}
		if down < 0 {
			down = track.DefaultThresholdDwn
		}
	}
	if down <= up && kw == "metric" || down >= up && kw != "metric" {
		rel := "less"
		if kw == "metric" {
			rel = "greater"
		}
		p.errorf(p.ln.pos, "%s: down %d must be %s than up %d", what, down, rel, up)
		return
	}
	if kw == "metric" {
		o.MetricUp, o.MetricDown = up, down
		if up == track.DefaultMetricUp && down == track.DefaultMetricDown {
			o.MetricUp, o.MetricDown = 0, 0
		}
	} else {
		o.ThresholdUp, o.ThresholdDown = up, down
		if up == track.DefaultThresholdUp && down == track.DefaultThresholdDwn {
			o.ThresholdUp, o.ThresholdDown = 0, 0
		}
	}
}

// trackVRF handles `ip vrf NAME` under an ip route object.
func (p *parser) trackVRF(o *track.Object) {
	p.i = 2
	if p.neg || p.def {
		o.VRF = ""
		return
	}
	w, ok := p.expect("ip vrf", "a VRF name")
	if !ok {
		return
	}
	if err := checkWord(w.text); err != nil {
		p.errorf(p.at(w), "ip vrf: %v", err)
		return
	}
	if p.done("ip vrf") {
		o.VRF = w.text
	}
}

// hysteresis handles the extension `hysteresis {up N [down M] | down M
// [up N]}`: N consecutive Up results before the object goes Up, M Down
// results before it goes Down.
func (p *parser) hysteresis(o *track.Object) {
	p.i = 1
	if p.neg || p.def {
		o.HysteresisUp, o.HysteresisDown = 0, 0
		return
	}
	up, down, ok := p.upDown("hysteresis", limHysteresis, limHysteresis)
	if !ok {
		return
	}
	if up == 1 {
		up = 0
	}
	if down == 1 {
		down = 0
	}
	o.HysteresisUp, o.HysteresisDown = up, down
}

// dampening handles the extension `dampening [HALF-LIFE [REUSE SUPPRESS
// [MAX-SUPPRESS]]]` (IOS interface dampening's syntax and defaults: 5 s,
// 1000, 2000, 4 × half-life).
func (p *parser) dampening(o *track.Object) {
	p.i = 1
	if p.neg || p.def {
		o.Dampening = track.Dampening{}
		return
	}
	d := track.Dampening{Enabled: true}
	if p.more() {
		v, _, ok := p.number("dampening half-life", limHalfLife)
		if !ok {
			return
		}
		d.HalfLife = time.Duration(v) * time.Second
	}
	if p.more() {
		r, _, ok := p.number("dampening reuse", limPenalty)
		if !ok {
			return
		}
		s, _, ok := p.number("dampening suppress", limPenalty)
		if !ok {
			return
		}
		if s <= r {
			p.errorf(p.ln.pos, "dampening: suppress %d must be greater than reuse %d", s, r)
			return
		}
		d.Reuse, d.Suppress = int(r), int(s)
	}
	if p.more() {
		v, _, ok := p.number("dampening max-suppress", limMaxSuppress)
		if !ok {
			return
		}
		d.MaxSuppress = time.Duration(v) * time.Second
	}
	if !p.done("dampening") {
		return
	}
	o.Dampening = d
}

// validateTracks checks what single track lines cannot: list members must
// exist, lists must not hold themselves through other lists, and a
// threshold must be reachable.
func (b *builder) validateTracks(c *Config) {
	byID := map[int]track.Object{}
	for _, t := range c.Tracks {
		byID[t.ID] = t
	}
	for _, t := range c.Tracks {
		if t.Type != track.TypeList {
			continue
		}
		if len(t.Members) == 0 {
			b.warns.Add(b.pos.track[t.ID], "track %d list: no objects; it stays Down", t.ID)
		}
		total := 0
		for _, m := range t.Members {
			if _, ok := byID[m.ID]; !ok {
				b.errs.Add(b.pos.member[[2]int{t.ID, m.ID}], "object %d: track %d is not defined", m.ID, m.ID)
			}
			if m.Weight == 0 {
				total += track.DefaultWeight
			} else {
				total += m.Weight
			}
		}
		if t.List == track.ListWeight && len(t.Members) > 0 && t.ThresholdUp > total {
			b.warns.Add(b.pos.track[t.ID], "track %d: threshold weight up %d is more than all objects' weights together (%d); the list never goes Up",
				t.ID, t.ThresholdUp, total)
		}
	}
	// Cycles: depth-first search over list -> member edges.
	const (
		unseen = iota
		active
		finished
	)
	color := map[int]int{}
	var path []int
	var visit func(id int) bool
	visit = func(id int) bool {
		color[id] = active
		path = append(path, id)
		for _, m := range byID[id].Members {
			switch color[m.ID] {
			case active:
				i := slices.Index(path, m.ID)
				var ids []string
				for _, x := range append(slices.Clone(path[i:]), m.ID) {
					ids = append(ids, fmt.Sprint(x))
				}
				b.errs.Add(b.pos.member[[2]int{id, m.ID}], "object %d: reference cycle between lists (track %s)", m.ID, strings.Join(ids, " -> "))
				return true
			case unseen:
				if visit(m.ID) {
					return true
				}
			}
		}
		path = path[:len(path)-1]
		color[id] = finished
		return false
	}
	for _, t := range c.Tracks {
		if color[t.ID] == unseen && visit(t.ID) {
			return // one cycle report is enough
		}
	}
}
