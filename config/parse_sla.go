package config

import (
	"strings"
	"time"

	"github.com/ipslad/ipslad/sla"
)

// Operation types IOS has besides dns (cisco-semantics §1.3).
var otherTypes = map[string]bool{
	"icmp-echo": true, "tcp-connect": true, "udp-echo": true, "udp-jitter": true, "http": true,
	"dhcp": true, "ftp": true, "icmp-jitter": true, "path-echo": true, "path-jitter": true,
	"ethernet": true, "mpls": true, "voip": true, "udp-application": true,
}

// ipSLA dispatches `ip sla ...` global commands.
func (p *parser) ipSLA() {
	kw := p.kw(2)
	w := word{}
	if len(p.args) > 2 {
		w = p.args[2]
	}
	switch kw {
	case "schedule":
		p.schedule()
	case "responder", "logging", "enable":
		if !p.neg {
			p.warnf(p.at(w), "ip sla %s: ignored (ipslad is not an IP SLA responder and sends no traps)", kw)
		}
	case "reaction-configuration", "reaction-trigger", "group", "restart", "reset":
		p.errorf(p.at(w), "ip sla %s: not supported yet", kw)
	case "monitor", "auto", "key-chain", "server", "profile", "endpoint-list":
		p.errorf(p.at(w), "ip sla %s: not supported yet", kw)
		p.fail()
	default:
		p.operation()
	}
}

// operation handles `ip sla N`, which enters (or re-enters) an operation.
func (p *parser) operation() {
	p.i = 2
	n, _, ok := p.number("ip sla", limOperation)
	if !ok || !p.done("ip sla") {
		p.fail()
		return
	}
	id := int(n)
	if p.neg || p.def {
		p.b.deleteOperation(id)
		return
	}
	op := p.b.ops[id]
	switch {
	case op == nil:
		o := sla.NewOperation(id)
		op = &o
		p.b.ops[id], p.b.pos.op[id] = op, p.ln.pos
		p.enter(&slaMode{op: op, indent: p.ln.indent})
	case p.b.broken[id]:
		p.fail()
	case op.Schedule.Scheduled:
		// IOS freezes a scheduled entry (cisco-semantics §1.1).
		p.errorf(p.ln.pos, "ip sla %d: Entry already running and cannot be modified "+
			"(scheduled at line %d; unschedule it first with \"no ip sla schedule %d\")",
			id, p.b.pos.schedule[id].Line, id)
		p.fail()
	case op.DNS == nil:
		p.enter(&slaMode{op: op, indent: p.ln.indent})
	default:
		// IOS goes straight back to the type's sub-mode.
		p.enter(&dnsMode{op: op, indent: p.ln.indent})
	}
}

// slaMode is config-ip-sla: a new operation waiting for its type line.
type slaMode struct {
	op     *sla.Operation
	indent int
}

func (m *slaMode) command(p *parser) bool {
	switch kw := p.kw(0); {
	case kw == "dns":
		if !p.dnsType(m.op) {
			// Still read the sub-commands, so their errors are reported
			// in the same run; the operation itself is dropped.
			p.b.broken[m.op.ID] = true
		}
		p.replace(&dnsMode{op: m.op, indent: m.indent})
	case otherTypes[kw]:
		p.errorf(p.ln.pos, "%s: operation type not supported yet (only dns)", kw)
		p.b.broken[m.op.ID] = true
		p.replace(&skipMode{indent: m.indent, known: true, failed: true})
	case dnsCommands[kw]:
		p.errorf(p.ln.pos, "%s: the operation type must come first (e.g. \"dns NAME name-server ADDR\")", kw)
	case kw == "exit":
		p.exit()
	default:
		return p.unknownSub("ip sla", m.indent)
	}
	return true
}

// dnsType reads the type line
//
//	dns TARGET name-server ADDR [source-ip A] [source-port P]
//
// into op and reports whether it was valid.
func (p *parser) dnsType(op *sla.Operation) bool {
	if p.neg || p.def {
		p.errorf(p.ln.pos, "no dns: the type of an operation cannot be removed; use \"no ip sla %d\"", op.ID)
		return false
	}
	p.i = 1
	t, ok := p.expect("dns", "a target host name or IPv4 address")
	if !ok {
		return false
	}
	if err := checkTarget(t.text); err != nil {
		p.errorf(p.at(t), "dns: %v", err)
		return false
	}
	d := sla.DNS{Target: t.text}
	if w, ok := p.expect("dns", "name-server"); !ok {
		return false
	} else if !strings.EqualFold(w.text, "name-server") {
		p.errorf(p.at(w), "dns: expected name-server, got %q", w.text)
		return false
	}
	w, ok := p.address("name-server")
	if !ok {
		return false
	}
	d.NameServer, _ = parseAddr(w.text)
	seen := map[string]bool{}
	for p.more() {
		w := p.next()
		kw := strings.ToLower(w.text)
		if seen[kw] {
			p.errorf(p.at(w), "dns: %s given twice", kw)
			return false
		}
		seen[kw] = true
		switch kw {
		case "source-ip":
			a, ok := p.address("source-ip")
			if !ok {
				return false
			}
			d.SourceIP, _ = parseAddr(a.text)
			if err := checkSameFamily(d.SourceIP, d.NameServer); err != nil {
				p.errorf(p.at(a), "source-ip: %v", err)
				return false
			}
		case "source-port":
			n, _, ok := p.number("source-port", limPort)
			if !ok {
				return false
			}
			d.SourcePort = uint16(n)
		case "source-ipaddr":
			p.errorf(p.at(w), "dns: unexpected %q (that is the old \"type dns\" form; use source-ip)", w.text)
			return false
		default:
			p.errorf(p.at(w), "dns: expected source-ip or source-port, got %q", w.text)
			return false
		}
	}
	op.DNS = &d
	return true
}

// The sub-commands of config-ip-sla-dns (cisco-semantics §1.2).
var dnsCommands = map[string]bool{
	"frequency": true, "timeout": true, "threshold": true, "owner": true, "tag": true,
	"vrf": true, "history": true,
}

// Commands IOS has in other operation types' sub-modes, but not for dns.
var notForDNS = map[string]bool{
	"tos": true, "request-data-size": true, "verify-data": true, "data-pattern": true,
	"control": true, "traffic-class": true, "flow-label": true,
}

// dnsMode is config-ip-sla-dns.
type dnsMode struct {
	op     *sla.Operation
	indent int
}

func (m *dnsMode) command(p *parser) bool {
	op := m.op
	switch kw := p.kw(0); {
	case kw == "frequency":
		p.duration(&op.Frequency, kw, limFrequency, time.Second, sla.DefaultFrequency)
	case kw == "timeout":
		p.duration(&op.Timeout, kw, limTimeout, time.Millisecond, sla.DefaultTimeout)
	case kw == "threshold":
		p.duration(&op.Threshold, kw, limThreshold, time.Millisecond, sla.DefaultThreshold)
	case kw == "owner":
		p.text(&op.Owner, kw, maxOwner)
	case kw == "tag":
		p.text(&op.Tag, kw, maxTag)
	case dnsCommands[kw]:
		// The no form asks for the default, which is what ipslad does.
		if !p.neg && !p.def {
			p.errorf(p.ln.pos, "%s: not supported yet", kw)
		}
	case notForDNS[kw]:
		p.errorf(p.ln.pos, "%s: not valid for a dns operation", kw)
	case kw == "dns" || otherTypes[kw]:
		p.errorf(p.ln.pos, "%s: ip sla %d already has its type (dns); to change it, delete it with \"no ip sla %d\" first",
			kw, op.ID, op.ID)
	case kw == "exit":
		p.exit()
	default:
		return p.unknownSub("ip sla dns", m.indent)
	}
	return true
}

// duration reads `what N` in unit, or sets def for the no form.
func (p *parser) duration(d *time.Duration, what string, lim limit, unit, def time.Duration) {
	p.i = 1
	if p.neg || p.def {
		*d = def
		return
	}
	if n, _, ok := p.number(what, lim); ok && p.done(what) {
		*d = time.Duration(n) * unit
	}
}

// text reads `what TEXT...`, or clears it for the no form.
func (p *parser) text(s *string, what string, max int) {
	p.i = 1
	if p.neg || p.def {
		*s = ""
		return
	}
	if !p.more() {
		p.errorf(p.eol(), "%s: expected text, got end of line", what)
		return
	}
	first := p.args[p.i]
	t := p.rest()
	if err := checkText(t, max); err != nil {
		p.errorf(p.at(first), "%s: %v", what, err)
		return
	}
	*s = t
}

// schedule handles
//
//	ip sla schedule N [life {forever|S}] [start-time {now|pending|after hh:mm:ss}] [ageout S] [recurring]
//
// and its no form, which unschedules and, as on IOS, resets life to 3600 s.
func (p *parser) schedule() {
	const what = "ip sla schedule"
	p.i = 3
	n, idw, ok := p.number(what, limOperation)
	if !ok {
		return
	}
	id := int(n)
	op := p.b.ops[id]
	if p.neg || p.def {
		if op != nil {
			op.Schedule = sla.Schedule{Life: sla.DefaultLife}
			delete(p.b.pos.schedule, id)
		}
		return
	}
	s := sla.Schedule{Scheduled: true, Life: sla.DefaultLife}
	if !p.scheduleOptions(&s) {
		return
	}
	switch {
	case op == nil:
		p.errorf(p.at(idw), "%s: ip sla %d is not defined", what, id)
	case p.b.broken[id]:
	case op.Schedule.Scheduled:
		p.errorf(p.ln.pos, "%s: ip sla %d is already scheduled at line %d (unschedule it first with \"no ip sla schedule %d\")",
			what, id, p.b.pos.schedule[id].Line, id)
	default:
		op.Schedule, p.b.pos.schedule[id] = s, p.ln.pos
	}
}

func (p *parser) scheduleOptions(s *sla.Schedule) bool {
	seen := map[string]bool{}
	for p.more() {
		w := p.next()
		kw := strings.ToLower(w.text)
		if seen[kw] {
			p.errorf(p.at(w), "ip sla schedule: %s given twice", kw)
			return false
		}
		seen[kw] = true
		switch kw {
		case "life":
			v, ok := p.expect("life", "forever or "+limLife.String())
			if !ok {
				return false
			}
			if err := parseLife(v.text, s); err != nil {
				p.errorf(p.at(v), "life: %v", err)
				return false
			}
		case "start-time":
			v, ok := p.expect("start-time", startTimes)
			if !ok {
				return false
			}
			what, arg, at := "start-time", "", v
			if strings.EqualFold(v.text, "after") {
				what = "start-time after"
				if at, ok = p.expect(what, "hh:mm:ss"); !ok {
					return false
				}
				arg = at.text
			}
			if err := parseStart(v.text, arg, s); err != nil {
				p.errorf(p.at(at), "%s: %v", what, err)
				return false
			}
		case "ageout":
			n, v, ok := p.number("ageout", limAgeout)
			if !ok {
				return false
			}
			if n != 0 {
				p.errorf(p.at(v), "ageout: a nonzero ageout is not supported yet")
				return false
			}
		case "recurring":
			p.errorf(p.at(w), "recurring: not supported yet")
			return false
		default:
			p.errorf(p.at(w), "ip sla schedule: expected life, start-time, ageout or recurring, got %q", w.text)
			return false
		}
	}
	return true
}
