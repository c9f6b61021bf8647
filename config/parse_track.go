package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/ipslad/ipslad/track"
)

// track handles `track N ip sla M [state|reachability]`, which enters
// track mode, `track N` (re-enters it) and `no track N`.
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
			p.errorf(p.eol(), "track %d: expected ip sla, got end of line", id)
			p.fail()
			return
		}
		p.enter(&trackMode{obj: obj, indent: p.ln.indent})
		return
	}
	t := p.next()
	typ := strings.ToLower(t.text)
	if typ == "ip" && p.kw(p.i) == "sla" {
		p.i++
	} else {
		if typ == "ip" || typ == "ipv6" {
			typ += " " + p.kw(p.i)
		}
		switch typ {
		case "interface", "list", "stub-object", "ip route", "ipv6 route", "application":
			p.errorf(p.at(t), "track %d %s: not supported yet (only track N ip sla M)", id, typ)
		default:
			p.errorf(p.at(t), "track %d: expected ip sla, got %q", id, t.text)
		}
		p.fail()
		return
	}
	what := fmt.Sprintf("track %d ip sla", id)
	m, mw, ok := p.number(what, limOperation)
	if !ok {
		p.fail()
		return
	}
	mode := track.ModeState
	if p.more() {
		switch w := p.next(); strings.ToLower(w.text) {
		case "state":
		case "reachability":
			mode = track.ModeReachability
		default:
			p.errorf(p.at(w), "%s %d: expected state or reachability, got %q", what, m, w.text)
			p.fail()
			return
		}
	}
	if !p.done(what) {
		p.fail()
		return
	}
	if obj == nil {
		obj = &track.Object{ID: id}
		p.b.tracks[id], p.b.pos.track[id] = obj, p.ln.pos
	}
	obj.SLA, obj.Mode = int(m), mode
	p.b.pos.trackRef[id] = p.at(mw)
	p.enter(&trackMode{obj: obj, indent: p.ln.indent})
}

// trackMode is config-track for an ip sla track.
type trackMode struct {
	obj    *track.Object
	indent int
}

func (m *trackMode) command(p *parser) bool {
	switch kw := p.kw(0); kw {
	case "delay":
		p.delay(m.obj)
	case "default-state":
		p.warnf(p.ln.pos, "default-state: applies to stub objects; ignored under track %d ip sla", m.obj.ID)
	case "object", "threshold", "carrier-delay":
		p.errorf(p.ln.pos, "%s: not valid under track %d ip sla", kw, m.obj.ID)
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
	if !p.more() {
		p.errorf(p.eol(), "delay: expected up or down, got end of line")
		return
	}
	var up, down *time.Duration
	for p.more() {
		w := p.next()
		var d **time.Duration
		switch kw := strings.ToLower(w.text); kw {
		case "up":
			d = &up
		case "down":
			d = &down
		default:
			p.errorf(p.at(w), "delay: expected up or down, got %q", w.text)
			return
		}
		if *d != nil {
			p.errorf(p.at(w), "delay: %s given twice", strings.ToLower(w.text))
			return
		}
		n, _, ok := p.number("delay "+strings.ToLower(w.text), limDelay)
		if !ok {
			return
		}
		v := time.Duration(n) * time.Second
		*d = &v
	}
	obj.DelayUp, obj.DelayDown = 0, 0
	if up != nil {
		obj.DelayUp = *up
	}
	if down != nil {
		obj.DelayDown = *down
	}
}
