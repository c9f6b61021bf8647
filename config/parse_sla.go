package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipslad/ipslad/sla"
	"github.com/miekg/dns"
)

// Operation types IOS has besides dns (cisco-semantics §1.3); those in
// typeLines are implemented.
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
	case "logging":
		// ip sla logging traps: reaction traps become log lines.
		if p.kw(3) != "traps" || len(p.args) > 4 {
			p.errorf(p.at(w), "ip sla logging: expected traps")
			return
		}
		p.b.sla.logTraps = !p.neg && !p.def
	case "enable":
		if p.kw(3) == "reaction-alerts" && len(p.args) == 4 {
			p.b.sla.logTraps = !p.neg && !p.def // the older form of ip sla logging traps
			return
		}
		if !p.neg {
			p.warnf(p.at(w), "ip sla enable: ignored")
		}
	case "responder":
		if !p.neg {
			p.warnf(p.at(w), "ip sla %s: ignored (ipslad is not an IP SLA responder)", kw)
		}
	case "reaction-configuration":
		p.reactionConfiguration()
	case "reaction-trigger":
		p.reactionTrigger()
	case "restart":
		p.warnf(p.at(w), "ip sla restart: a command, not configuration: ignored in a file")
	case "group":
		p.groupSchedule()
	case "reset":
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
	case op.DNS != nil:
		// IOS goes straight back to the type's sub-mode.
		p.enter(&dnsMode{op: op, indent: p.ln.indent})
	case op.HasType():
		p.enter(&opMode{op: op, indent: p.ln.indent})
	default:
		p.enter(&slaMode{op: op, indent: p.ln.indent})
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
	case typeLines[kw] != nil:
		if p.neg || p.def {
			p.errorf(p.ln.pos, "no %s: the type of an operation cannot be removed; use \"no ip sla %d\"", kw, m.op.ID)
			p.b.broken[m.op.ID] = true
		} else if !typeLines[kw](p, m.op) {
			p.b.broken[m.op.ID] = true
		}
		p.replace(&opMode{op: m.op, indent: m.indent})
	case otherTypes[kw]:
		p.errorf(p.ln.pos, "%s: operation type not supported yet (dns, icmp-echo, tcp-connect, udp-echo and http are)", kw)
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
	t, ok := p.expect("dns", "a target host name or IPv4/IPv6 address")
	if !ok {
		return false
	}
	if err := checkTarget(t.text); err != nil {
		p.errorf(p.at(t), "dns: %v", err)
		return false
	}
	d := sla.DNS{Target: t.text}
	if !p.expectWord("dns", "name-server") {
		return false
	}
	w, ok := p.address("name-server")
	if !ok {
		return false
	}
	d.NameServer, _ = parseAddr(w.text)
	ok = p.options("dns", func(kw string, w word) (ok bool) {
		switch kw {
		case "source-ip":
			d.SourceIP, ok = p.sourceIP(d.NameServer, "name-server ")
			return ok
		case "source-port":
			d.SourcePort, ok = p.sourcePort()
			return ok
		case "source-ipaddr":
			p.errorf(p.at(w), "dns: unexpected %q (that is the old \"type dns\" form; use source-ip)", w.text)
		default:
			p.errorf(p.at(w), "dns: expected source-ip or source-port, got %q", w.text)
		}
		return false
	})
	if !ok {
		return false
	}
	op.DNS = &d
	return true
}

// The sub-commands of config-ip-sla-dns (cisco-semantics §1.2), and
// ipslad's extensions (dnsExtensions).
var dnsCommands = map[string]bool{
	"frequency": true, "timeout": true, "threshold": true, "owner": true, "tag": true,
	"vrf": true, "history": true,
	"query-type": true, "accept-rcode": true, "expect-answer": true, "recursion-desired": true,
	"transport": true, "tcp-fallback": true, "edns": true,
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
	if p.commonSubcommand(op) {
		return true
	}
	switch kw := p.kw(0); {
	case dnsExtensions[kw]:
		d := op.DNS
		if d == nil {
			d = &sla.DNS{} // the type line was refused: check the line, keep nothing
		}
		p.dnsExtension(kw, d)
	case dnsCommands[kw]:
		// The no form asks for the default, which is what ipslad does.
		if !p.neg && !p.def {
			p.errorf(p.ln.pos, "%s: not supported yet", kw)
		}
	case notForDNS[kw]:
		p.errorf(p.ln.pos, "%s: not valid for a dns operation", kw)
	case kw == "dns" || otherTypes[kw]:
		p.errorf(p.ln.pos, "%s: ip sla %d already has its type (%s); to change it, delete it with \"no ip sla %d\" first",
			kw, op.ID, op.TypeName(), op.ID)
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
	if !p.scheduleWords(s) {
		return false
	}
	if err := checkRecurring(*s); err != nil {
		p.errorf(p.ln.pos, "ip sla schedule: %v", err)
		return false
	}
	return true
}

// checkRecurring checks IOS's rules for recurring (cisco-semantics §2.1):
// the entry must live less than a day and survive, with its ageout, until
// the next run.
func checkRecurring(s sla.Schedule) error {
	if !s.Recurring {
		return nil
	}
	day := 24 * time.Hour
	switch {
	case s.Forever || s.Life >= day:
		return fmt.Errorf("recurring needs a life shorter than 86400 seconds")
	case s.Life+s.Ageout <= day:
		return fmt.Errorf("recurring needs life + ageout above 86400 seconds (life %d, ageout %d), or the entry ages out before its next run",
			s.Life/time.Second, s.Ageout/time.Second)
	}
	return nil
}

func (p *parser) scheduleWords(s *sla.Schedule) bool {
	return p.scheduleWordsWith(s, "ip sla schedule", nil)
}

// scheduleWordsWith reads the schedule options; extra handles words of the
// group form first (handled false: not its word).
func (p *parser) scheduleWordsWith(s *sla.Schedule, what string, extra func(kw string, w word) (handled, ok bool)) bool {
	return p.options(what, func(kw string, w word) bool {
		if extra != nil {
			if handled, ok := extra(kw, w); handled {
				return ok
			}
		}
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
			v, ok := p.expect("start-time", startTimes+", random MS or hh:mm[:ss] [month day]")
			if !ok {
				return false
			}
			if strings.EqualFold(v.text, "random") {
				n, _, ok := p.number("start-time random", limRandom)
				if !ok {
					return false
				}
				s.Start, s.Random = sla.StartRandom, time.Duration(n)*time.Millisecond
				return true
			}
			if strings.Contains(v.text, ":") {
				return p.absoluteStart(v, s)
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
			n, _, ok := p.number("ageout", limAgeout)
			if !ok {
				return false
			}
			s.Ageout = time.Duration(n) * time.Second
		case "recurring":
			if extra != nil {
				p.errorf(p.at(w), "%s: recurring is only for a single operation's schedule", what)
				return false
			}
			s.Recurring = true
		default:
			if extra != nil {
				p.errorf(p.at(w), "%s: expected schedule-period, frequency, life, start-time or ageout, got %q", what, w.text)
				return false
			}
			p.errorf(p.at(w), "ip sla schedule: expected life, start-time, ageout or recurring, got %q", w.text)
			return false
		}
		return true
	})
}

// Extension limits.
var (
	limFrequencyMsec = limit{"milliseconds", 100, 604800000}
	limEDNSBuffer    = limit{"bytes", 512, 65535}
)

// dnsExtensions are ipslad's sub-commands of a dns operation beyond IOS
// (see the package documentation). Each has a no form that restores IOS's
// behaviour.
var dnsExtensions = map[string]bool{
	"query-type": true, "accept-rcode": true, "expect-answer": true, "recursion-desired": true,
	"transport": true, "tcp-fallback": true, "edns": true,
}

// dnsExtension reads one of
//
//	query-type TYPE
//	accept-rcode RCODE [RCODE...]
//	expect-answer {ADDR | regexp RE}
//	[no] recursion-desired
//	transport {udp | tcp}
//	[no] tcp-fallback
//	edns buffer-size BYTES
func (p *parser) dnsExtension(kw string, d *sla.DNS) {
	p.i = 1
	reset := p.neg || p.def
	switch kw {
	case "query-type":
		if reset {
			d.QueryType = 0
			return
		}
		w, ok := p.expect(kw, "a record type (A, AAAA, PTR, SOA, TXT, NS, MX, ...)")
		if !ok {
			return
		}
		t, known := dns.StringToType[strings.ToUpper(w.text)]
		if !known || t == dns.TypeOPT || t == dns.TypeANY || t == dns.TypeAXFR || t == dns.TypeIXFR {
			p.errorf(p.at(w), "query-type: expected a record type (A, AAAA, PTR, SOA, TXT, NS, MX, ...), got %q", w.text)
			return
		}
		if p.done(kw) {
			d.QueryType = t
		}
	case "accept-rcode":
		if reset {
			d.Rcodes = 0
			return
		}
		if !p.more() {
			p.errorf(p.eol(), "accept-rcode: expected an RCODE (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ...), got end of line")
			return
		}
		var set uint16
		for p.more() {
			w := p.next()
			rc, known := dns.StringToRcode[strings.ToUpper(w.text)]
			if !known || rc > 15 {
				p.errorf(p.at(w), "accept-rcode: expected an RCODE (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ...), got %q", w.text)
				return
			}
			set |= 1 << rc
		}
		d.Rcodes = set
	case "expect-answer":
		if reset {
			d.Expect, d.ExpectRegexp = "", false
			return
		}
		w, ok := p.expect(kw, "an address or regexp")
		if !ok {
			return
		}
		if strings.EqualFold(w.text, "regexp") {
			re, ok := p.expect("expect-answer regexp", "a regular expression")
			if !ok || !p.done(kw) {
				return
			}
			if _, err := regexp.Compile(re.text); err != nil {
				p.errorf(p.at(re), "expect-answer regexp: %v", err)
				return
			}
			if needsQuotes(re.text) && strings.Contains(re.text, `"`) {
				p.errorf(p.at(re), "expect-answer regexp: %q cannot be written in IOS syntax (it needs quotes and contains one)", re.text)
				return
			}
			d.Expect, d.ExpectRegexp = re.text, true
			return
		}
		a, err := parseAddr(w.text)
		if err != nil {
			p.errorf(p.at(w), "expect-answer: expected an IPv4 or IPv6 address or \"regexp RE\", got %q", w.text)
			return
		}
		if p.done(kw) {
			d.Expect, d.ExpectRegexp = a.String(), false
		}
	case "recursion-desired":
		if p.done(kw) {
			d.NoRecursion = p.neg
		}
	case "tcp-fallback":
		if p.done(kw) {
			d.TCPFallback = !reset
		}
	case "transport":
		if reset {
			d.TCP = false
			return
		}
		w, ok := p.expect(kw, "udp or tcp")
		if !ok {
			return
		}
		switch strings.ToLower(w.text) {
		case "udp", "tcp":
			if p.done(kw) {
				d.TCP = strings.EqualFold(w.text, "tcp")
			}
		default:
			p.errorf(p.at(w), "transport: expected udp or tcp, got %q", w.text)
		}
	case "edns":
		if reset && !p.more() {
			d.EDNSBufSize = 0
			return
		}
		if !p.expectWord(kw, "buffer-size") {
			return
		}
		if reset {
			d.EDNSBufSize = 0
			return
		}
		if n, _, ok := p.number("edns buffer-size", limEDNSBuffer); ok && p.done(kw) {
			d.EDNSBufSize = uint16(n)
		}
	}
}

// formatDNSExtensions writes the extension lines of d that differ from
// IOS's behaviour, in the order of the package documentation.
func formatDNSExtensions(b *strings.Builder, d *sla.DNS) {
	if d.QueryType != 0 {
		fmt.Fprintf(b, " query-type %s\n", dns.TypeToString[d.QueryType])
	}
	if d.Rcodes != 0 {
		b.WriteString(" accept-rcode")
		for rc := range 16 {
			if d.Rcodes&(1<<rc) != 0 {
				b.WriteString(" " + dns.RcodeToString[rc])
			}
		}
		b.WriteByte('\n')
	}
	switch {
	case d.ExpectRegexp:
		re := d.Expect
		if needsQuotes(re) || strings.Contains(re, " ") {
			re = `"` + re + `"`
		}
		fmt.Fprintf(b, " expect-answer regexp %s\n", re)
	case d.Expect != "":
		fmt.Fprintf(b, " expect-answer %s\n", d.Expect)
	}
	if d.NoRecursion {
		b.WriteString(" no recursion-desired\n")
	}
	if d.TCP {
		b.WriteString(" transport tcp\n")
	}
	if d.TCPFallback {
		b.WriteString(" tcp-fallback\n")
	}
	if d.EDNSBufSize != 0 {
		fmt.Fprintf(b, " edns buffer-size %d\n", d.EDNSBufSize)
	}
}

// typeLines read the type lines of the operation types other than dns.
var typeLines = map[string]func(*parser, *sla.Operation) bool{
	"icmp-echo":   (*parser).icmpEchoType,
	"tcp-connect": (*parser).tcpConnectType,
	"udp-echo":    (*parser).udpEchoType,
	"http":        (*parser).httpType,
}

// icmpEchoType reads `icmp-echo ADDR [source-ip A | source-interface IF]`.
func (p *parser) icmpEchoType(op *sla.Operation) bool {
	p.i = 1
	w, ok := p.address("icmp-echo")
	if !ok {
		return false
	}
	e := sla.ICMPEcho{}
	e.Target, _ = parseAddr(w.text)
	for p.more() {
		w := p.next()
		switch kw := strings.ToLower(w.text); {
		case kw == "source-ip" && !e.SourceIP.IsValid() && e.SourceInterface == "":
			a, ok := p.address("source-ip")
			if !ok {
				return false
			}
			e.SourceIP, _ = parseAddr(a.text)
			if e.SourceIP.Is4() != e.Target.Is4() {
				p.errorf(p.at(a), "source-ip: %s is not of the same address family as %s", e.SourceIP, e.Target)
				return false
			}
		case kw == "source-interface" && !e.SourceIP.IsValid() && e.SourceInterface == "":
			ifw, ok := p.expect("source-interface", "an interface name")
			if !ok {
				return false
			}
			if len(ifw.text) > 15 {
				p.errorf(p.at(ifw), "source-interface: expected a Linux interface name (at most 15 characters), got %q", ifw.text)
				return false
			}
			e.SourceInterface = ifw.text
		default:
			p.errorf(p.at(w), "icmp-echo: expected source-ip or source-interface (one of them), got %q", w.text)
			return false
		}
	}
	op.ICMPEcho = &e
	return true
}

// endpoint reads `ADDR PORT [source-ip A] [source-port P] [control {enable|disable}]`
// for tcp-connect and udp-echo.
func (p *parser) endpoint(what string) (target netip.Addr, port uint16, src netip.Addr, sport uint16, ok bool) {
	p.i = 1
	w, ok := p.address(what)
	if !ok {
		return
	}
	target, _ = parseAddr(w.text)
	n, _, ok := p.number(what+" port", limPort)
	if !ok {
		return
	}
	port = uint16(n)
	ok = p.options(what, func(kw string, w word) (ok bool) {
		switch kw {
		case "source-ip":
			src, ok = p.sourceIP(target, "")
			return ok
		case "source-port":
			sport, ok = p.sourcePort()
			return ok
		case "control":
			c, ok := p.expect("control", "enable or disable")
			if !ok {
				return false
			}
			switch strings.ToLower(c.text) {
			case "disable":
				return true
			case "enable":
				p.errorf(p.at(c), "control enable: the IP SLA control protocol (an IOS responder) is not supported; use control disable")
			default:
				p.errorf(p.at(c), "control: expected enable or disable, got %q", c.text)
			}
		default:
			p.errorf(p.at(w), "%s: expected source-ip, source-port or control, got %q", what, w.text)
		}
		return false
	})
	return target, port, src, sport, ok
}

// tcpConnectType reads `tcp-connect ADDR PORT [source-ip A] [source-port P] [control disable]`
// and sets IOS's tcp-connect default timeout, 60000 ms.
func (p *parser) tcpConnectType(op *sla.Operation) bool {
	t, port, src, sport, ok := p.endpoint("tcp-connect")
	if ok {
		op.TCPConnect = &sla.TCPConnect{Target: t, Port: port, SourceIP: src, SourcePort: sport}
		op.Timeout = sla.DefaultTCPConnectTimeout
	}
	return ok
}

// udpEchoType reads `udp-echo ADDR PORT [source-ip A] [source-port P] [control disable]`.
func (p *parser) udpEchoType(op *sla.Operation) bool {
	t, port, src, sport, ok := p.endpoint("udp-echo")
	if ok {
		op.UDPEcho = &sla.UDPEcho{Target: t, Port: port, SourceIP: src, SourcePort: sport}
	}
	return ok
}

// httpType reads
//
//	http {get|raw} URL [name-server A] [version {1.0|1.1}] [source-ip A] [source-port P]
//	     [cache {enable|disable}] [proxy URL]
//
// (options in any order) and sets the http default timeout, 60000 ms.
func (p *parser) httpType(op *sla.Operation) bool {
	p.i = 1
	m, ok := p.expect("http", "get or raw")
	if !ok {
		return false
	}
	h := sla.HTTP{}
	switch strings.ToLower(m.text) {
	case "get":
	case "raw":
		h.Raw = true
	default:
		p.errorf(p.at(m), "http: expected get or raw, got %q", m.text)
		return false
	}
	what := "http " + strings.ToLower(m.text)
	u, ok := p.expect(what, "a URL")
	if !ok {
		return false
	}
	if !httpURL(u.text) {
		p.errorf(p.at(u), "%s: expected an http:// or https:// URL, got %q", what, u.text)
		return false
	}
	h.URL = u.text
	ok = p.options("http", func(kw string, w word) bool {
		switch kw {
		case "name-server":
			a, ok := p.address("name-server")
			if !ok {
				return false
			}
			h.NameServer, _ = parseAddr(a.text)
		case "source-ip":
			a, ok := p.address("source-ip")
			if !ok {
				return false
			}
			h.SourceIP, _ = parseAddr(a.text)
		case "source-port":
			var ok bool
			if h.SourcePort, ok = p.sourcePort(); !ok {
				return false
			}
		case "version":
			v, ok := p.expect("version", "1.0 or 1.1")
			if !ok {
				return false
			}
			if v.text != "1.0" && v.text != "1.1" {
				p.errorf(p.at(v), "version: expected 1.0 or 1.1, got %q", v.text)
				return false
			}
			if h.Raw {
				p.warnf(p.at(w), "http raw: version is not used: the request line is the http-raw-request's")
			}
			h.Version = v.text
		case "cache":
			c, ok := p.expect("cache", "enable or disable")
			if !ok {
				return false
			}
			switch strings.ToLower(c.text) {
			case "enable":
				h.NoCache = false
			case "disable":
				h.NoCache = true
				if h.Raw {
					p.warnf(p.at(w), "http raw: cache disable adds no header to a raw request; write Cache-Control: no-cache in it")
				}
			default:
				p.errorf(p.at(c), "cache: expected enable or disable, got %q", c.text)
				return false
			}
		case "proxy":
			pu, ok := p.expect("proxy", "a proxy URL")
			if !ok {
				return false
			}
			if !httpURL(pu.text) || strings.HasPrefix(strings.ToLower(pu.text), "https:") {
				p.errorf(p.at(pu), "proxy: expected an http:// URL, got %q", pu.text)
				return false
			}
			h.Proxy = pu.text
		default:
			p.errorf(p.at(w), "http: expected name-server, version, source-ip, source-port, cache or proxy, got %q", w.text)
			return false
		}
		return true
	})
	if !ok {
		return false
	}
	if h.SourceIP.IsValid() && h.NameServer.IsValid() && h.SourceIP.Is4() != h.NameServer.Is4() {
		p.errorf(p.ln.pos, "http: source-ip %s is not of the same address family as name-server %s", h.SourceIP, h.NameServer)
		return false
	}
	op.HTTP = &h
	op.Timeout = sla.DefaultHTTPTimeout
	return true
}

// httpURL reports whether s is an http:// or https:// URL with a host.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// rawRequestMode is IOS's http-raw-request sub-mode (config-ip-sla-http-rr):
// each line is request text, its escapes (\r, \n, \t, \\) resolved and
// nothing added between lines, until a line "exit". The request is sent
// verbatim. A line at or left of the http-raw-request line's indentation
// that is one of ipslad's global commands (ip sla ..., ip route, track, end)
// also ends it, so a forgotten exit does not swallow the rest of the file.
type rawRequestMode struct {
	op     *sla.Operation
	indent int
	text   strings.Builder
}

func (m *rawRequestMode) command(p *parser) bool {
	if len(p.ln.words) == 1 && strings.EqualFold(p.ln.words[0].text, "exit") {
		p.exit()
		return true
	}
	if p.ln.indent <= m.indent && p.own(false) {
		return false
	}
	p.skipped = true // the text is not a command: no lexical errors (quotes, "!")
	line := strings.TrimRight(p.ln.text[p.ln.indent:], " \t")
	s, err := unescapeRaw(line)
	if err != nil {
		p.errorf(p.ln.pos, "http-raw-request: %v", err)
		return true
	}
	m.text.WriteString(s)
	if h := m.op.HTTP; h != nil && h.Raw {
		h.RawRequest = m.text.String()
	}
	return true
}

// unescapeRaw resolves IOS's escapes in a raw request line.
func unescapeRaw(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("a lone \\ at the end of the line (write \\\\ for a backslash)")
		}
		i++
		switch s[i] {
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case '\\':
			b.WriteByte('\\')
		case 'x':
			// ipslad extension: any byte, for what a line cannot hold
			// as it is (Format writes leading and trailing blanks so).
			v, err := strconv.ParseUint(s[i+1:min(i+3, len(s))], 16, 8)
			if err != nil || i+3 > len(s) {
				return "", fmt.Errorf("\\x must be followed by two hexadecimal digits")
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			return "", fmt.Errorf("unknown escape \\%c (\\r, \\n, \\t, \\\\ and \\xHH are)", s[i])
		}
	}
	return b.String(), nil
}

// escapeRaw writes a raw request back as http-raw-request lines, one per
// LF-terminated piece, so that reading them gives the request back: blanks
// at either end of a line, a leading "!", a line "exit" and control bytes
// are written as \\xHH.
func escapeRaw(s string) []string {
	var lines []string
	for len(s) > 0 {
		piece := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			piece = s[:i+1]
		}
		s = s[len(piece):]
		body := strings.TrimSuffix(piece, "\n")
		lead, end := len(body)-len(strings.TrimLeft(body, " ")), len(strings.TrimRight(body, " \t"))
		var b strings.Builder
		for i := 0; i < len(body); i++ {
			c := body[i]
			edge := i < lead || i >= end
			switch {
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c == '\\':
				b.WriteString(`\\`)
			case c < 0x20 || c >= 0x7f || edge || (i == 0 && c == '!'):
				fmt.Fprintf(&b, `\x%02x`, c)
			default:
				b.WriteByte(c)
			}
		}
		line := b.String()
		if strings.EqualFold(line, "exit") {
			line = fmt.Sprintf(`\x%02x`, line[0]) + line[1:]
		}
		if len(piece) > len(body) {
			line += `\n`
		}
		lines = append(lines, line)
	}
	return lines
}

// dataPattern reads `data-pattern HEX`: 1 to 8 hexadecimal digits (IOS's
// range 0-FFFFFFFF), kept in upper case; the default ABCDABCD is kept as "".
func (p *parser) dataPattern(op *sla.Operation) {
	p.i = 1
	if p.neg || p.def {
		op.DataPattern = ""
		return
	}
	w, ok := p.expect("data-pattern", "a hexadecimal pattern (1-8 digits)")
	if !ok || !p.done("data-pattern") {
		return
	}
	h, err := checkDataPattern(w.text)
	if err != nil {
		p.errorf(p.at(w), "data-pattern: %v", err)
		return
	}
	op.DataPattern = h
}

// checkDataPattern validates a data-pattern and returns its canonical
// form ("" for IOS's default).
func checkDataPattern(s string) (string, error) {
	if len(s) == 0 || len(s) > 8 || strings.Trim(strings.ToLower(s), "0123456789abcdef") != "" {
		return "", fmt.Errorf("expected 1-8 hexadecimal digits (0-FFFFFFFF), got %q", s)
	}
	s = strings.ToUpper(s)
	if s == sla.DefaultDataPattern {
		s = ""
	}
	return s, nil
}

// opMode is the sub-mode of the types other than dns (config-ip-sla-echo,
// -tcp, -udp, -http).
type opMode struct {
	op     *sla.Operation
	indent int
}

// Limits of the common sub-commands (cisco-semantics §1.4).
var (
	limTOS         = limit{"TOS", 0, 255}
	limEchoData    = limit{"bytes", 28, 16384}
	limUDPEchoData = limit{"bytes", 4, 1500}
)

func (m *opMode) command(p *parser) bool {
	op := m.op
	reset := p.neg || p.def
	if p.commonSubcommand(op) {
		return true
	}
	switch kw := p.kw(0); {
	case kw == "tos":
		p.i = 1
		if reset {
			op.TOS = 0
		} else if n, _, ok := p.number("tos", limTOS); ok && p.done("tos") {
			op.TOS = uint8(n)
		}
	case kw == "request-data-size" && (op.ICMPEcho != nil || op.UDPEcho != nil):
		p.i = 1
		lim := limEchoData
		if op.UDPEcho != nil {
			lim = limUDPEchoData
		}
		if reset {
			op.DataSize = 0
		} else if n, _, ok := p.number(kw, lim); ok && p.done(kw) {
			op.DataSize = int(n)
			if op.DataSize == op.EffectiveDataSizeDefault() {
				op.DataSize = 0
			}
		}
	case kw == "verify-data" && (op.ICMPEcho != nil || op.UDPEcho != nil):
		p.i = 1
		if p.done(kw) {
			op.VerifyData = !reset
		}
	case kw == "request-data-size" || kw == "verify-data":
		p.errorf(p.ln.pos, "%s: not valid for a %s operation", kw, op.TypeName())
	case kw == "data-pattern" && (op.ICMPEcho != nil || op.UDPEcho != nil):
		p.dataPattern(op)
	case kw == "data-pattern":
		p.errorf(p.ln.pos, "%s: not valid for a %s operation", kw, op.TypeName())
	case kw == "http-raw-request":
		p.i = 1
		if !p.done(kw) {
			return true
		}
		raw := op.HTTP != nil && op.HTTP.Raw
		if op.HasType() && !raw {
			p.errorf(p.ln.pos, "%s: only for an http raw operation", kw)
		}
		if reset {
			if raw {
				op.HTTP.RawRequest = ""
			}
			return true
		}
		if raw {
			op.HTTP.RawRequest = ""
		}
		// The lines are read (and dropped, when refused) in any case, so
		// that request text is not taken for commands.
		p.enter(&rawRequestMode{op: op, indent: p.ln.indent})
	case kw == "dns" || otherTypes[kw]:
		p.errorf(p.ln.pos, "%s: ip sla %d already has its type (%s); to change it, delete it with \"no ip sla %d\" first",
			kw, op.ID, op.TypeName(), op.ID)
	case kw == "exit":
		p.exit()
	default:
		return p.unknownSub("ip sla "+op.TypeName(), m.indent)
	}
	return true
}

// vrf reads `vrf NAME`: the probe's sockets are bound to the Linux VRF
// device NAME.
func (p *parser) vrf(op *sla.Operation) {
	p.i = 1
	if p.neg || p.def {
		op.VRF = ""
		return
	}
	w, ok := p.expect("vrf", "a VRF name")
	if !ok || !p.done("vrf") {
		return
	}
	if len(w.text) > 15 || strings.ContainsAny(w.text, "/ ") {
		p.errorf(p.at(w), "vrf: expected the name of a Linux VRF device (at most 15 characters), got %q", w.text)
		return
	}
	op.VRF = w.text
}

// formatOtherType writes the type line of the types other than dns and the
// common sub-commands that differ from their defaults.
func formatOtherType(b *strings.Builder, op *sla.Operation) {
	endpoint := func(src netip.Addr, sport uint16) {
		if src.IsValid() {
			fmt.Fprintf(b, " source-ip %s", src)
		}
		if sport != 0 {
			fmt.Fprintf(b, " source-port %d", sport)
		}
	}
	switch {
	case op.ICMPEcho != nil:
		e := op.ICMPEcho
		fmt.Fprintf(b, " icmp-echo %s", e.Target)
		endpoint(e.SourceIP, 0)
		if e.SourceInterface != "" {
			fmt.Fprintf(b, " source-interface %s", e.SourceInterface)
		}
	case op.TCPConnect != nil:
		t := op.TCPConnect
		fmt.Fprintf(b, " tcp-connect %s %d", t.Target, t.Port)
		endpoint(t.SourceIP, t.SourcePort)
	case op.UDPEcho != nil:
		u := op.UDPEcho
		fmt.Fprintf(b, " udp-echo %s %d", u.Target, u.Port)
		endpoint(u.SourceIP, u.SourcePort)
	case op.HTTP != nil:
		h := op.HTTP
		method := "get"
		if h.Raw {
			method = "raw"
		}
		fmt.Fprintf(b, " http %s %s", method, h.URL)
		if h.NameServer.IsValid() {
			fmt.Fprintf(b, " name-server %s", h.NameServer)
		}
		if h.Version != "" {
			fmt.Fprintf(b, " version %s", h.Version)
		}
		endpoint(h.SourceIP, h.SourcePort)
		if h.NoCache {
			b.WriteString(" cache disable")
		}
		if h.Proxy != "" {
			fmt.Fprintf(b, " proxy %s", h.Proxy)
		}
		if h.Raw && h.RawRequest != "" {
			b.WriteString("\n http-raw-request")
			for _, l := range escapeRaw(h.RawRequest) {
				fmt.Fprintf(b, "\n  %s", l)
			}
			b.WriteString("\n  exit")
		}
	default:
		return
	}
	b.WriteByte('\n')
	if op.DataPattern != "" {
		fmt.Fprintf(b, " data-pattern %s\n", op.DataPattern)
	}
	if op.DataSize != 0 {
		fmt.Fprintf(b, " request-data-size %d\n", op.DataSize)
	}
	if op.TOS != 0 {
		fmt.Fprintf(b, " tos %d\n", op.TOS)
	}
	if op.VerifyData {
		b.WriteString(" verify-data\n")
	}
}

// formatVRF writes the vrf and history lines, for every type.
func formatVRF(b *strings.Builder, op *sla.Operation) {
	if op.VRF != "" {
		fmt.Fprintf(b, " vrf %s\n", op.VRF)
	}
	formatHistory(b, op.History)
}

var limRandom = limit{"milliseconds", 500, 10000}

var months = map[string]time.Month{
	"january": time.January, "february": time.February, "march": time.March, "april": time.April,
	"may": time.May, "june": time.June, "july": time.July, "august": time.August,
	"september": time.September, "october": time.October, "november": time.November, "december": time.December,
}

// month accepts a month name or its first three letters or more, as IOS.
func month(w string) (time.Month, bool) {
	w = strings.ToLower(w)
	if len(w) < 3 {
		return 0, false
	}
	for name, m := range months {
		if strings.HasPrefix(name, w) {
			return m, true
		}
	}
	return 0, false
}

// absoluteStart reads `hh:mm[:ss] [month day | day month]` after start-time.
func (p *parser) absoluteStart(v word, s *sla.Schedule) bool {
	text := v.text
	if strings.Count(text, ":") == 1 {
		text += ":00"
	}
	d, err := parseHMS(text)
	if err != nil {
		p.errorf(p.at(v), "start-time: expected hh:mm[:ss], got %q", v.text)
		return false
	}
	s.Start, s.After, s.Month, s.Day = sla.StartAt, d, 0, 0
	if !p.more() {
		return true
	}
	a := p.args[p.i]
	m, isMonth := month(a.text)
	_, dayErr := limDay.parse(a.text)
	if !isMonth && dayErr != nil {
		return true // no date: the next word is another option
	}
	p.i++
	b, ok := p.expect("start-time", "a month and a day")
	if !ok {
		return false
	}
	dayWord := b
	if !isMonth {
		if m, isMonth = month(b.text); !isMonth {
			p.errorf(p.at(b), "start-time: expected a month name, got %q", b.text)
			return false
		}
		dayWord = a
	}
	n, err := limDay.parse(dayWord.text)
	if err != nil || time.Date(2024, m, int(n), 0, 0, 0, 0, time.UTC).Month() != m {
		p.errorf(p.at(dayWord), "start-time: expected a day of %s, got %q", m, dayWord.text)
		return false
	}
	s.Month, s.Day = m, int(n)
	return true
}

var limDay = limit{"day", 1, 31}

// formatScheduleExtras writes the schedule options beyond life and the
// now/after start times, in IOS's order.
func formatScheduleExtras(b *strings.Builder, s sla.Schedule) {
	switch s.Start {
	case sla.StartRandom:
		fmt.Fprintf(b, " start-time random %d", s.Random.Milliseconds())
	case sla.StartAt:
		fmt.Fprintf(b, " start-time %s", formatHMS(s.After))
		if s.Month != 0 {
			fmt.Fprintf(b, " %s %d", s.Month.String()[:3], s.Day)
		}
	}
	if s.Ageout != 0 {
		fmt.Fprintf(b, " ageout %d", s.Ageout/time.Second)
	}
	if s.Recurring {
		b.WriteString(" recurring")
	}
}

// slaGlobals are the global ip sla settings a file may give.
type slaGlobals struct {
	logTraps  bool
	triggered map[int]bool // targets of reaction-trigger lines
}

// finishSLA copies the global ip sla settings into op.
func (b *builder) finishSLA(op *sla.Operation) {
	op.LogTraps = b.sla.logTraps
	for _, t := range op.Triggers {
		if b.sla.triggered == nil {
			b.sla.triggered = map[int]bool{}
		}
		b.sla.triggered[t] = true
	}
}

var (
	limReactCount = limit{"count", 1, 16}
	limReactMs    = limit{"milliseconds", 0, 2147483647}
)

// reactionConfiguration reads
//
//	ip sla reaction-configuration N react ELEMENT [threshold-type {never|immediate|consecutive [N]|xofy [X Y]|average [N]}]
//	                                [threshold-value UPPER LOWER] [action-type {none|trapOnly|triggerOnly|trapAndTrigger}]
//
// and its no form (all of N's reactions, or one element's).
func (p *parser) reactionConfiguration() {
	const what = "ip sla reaction-configuration"
	p.i = 3
	n, idw, ok := p.number(what, limOperation)
	if !ok {
		return
	}
	id := int(n)
	op := p.b.ops[id]
	if op == nil {
		if !p.neg && !p.def {
			p.errorf(p.at(idw), "%s: ip sla %d is not defined", what, id)
		}
		return
	}
	if !p.more() && (p.neg || p.def) {
		op.Reactions = nil
		return
	}
	if !p.expectWord(what, "react") {
		return
	}
	ew, ok := p.expect("react", "rtt, timeout, connectionLoss or verifyError")
	if !ok {
		return
	}
	el, known := sla.ParseReactElement(ew.text)
	if !known {
		p.errorf(p.at(ew), "react: expected rtt, timeout, connectionLoss or verifyError, got %q", ew.text)
		return
	}
	if p.neg || p.def {
		op.Reactions = slices.DeleteFunc(op.Reactions, func(r sla.Reaction) bool { return r.Element == el })
		return
	}
	r := sla.NewReaction(el)
	ok = p.options(what, func(kw string, w word) bool {
		switch kw {
		case "threshold-type":
			if !p.thresholdType(&r) {
				return false
			}
		case "threshold-value":
			if el != sla.ReactRTT {
				p.errorf(p.at(w), "threshold-value: only for react rtt (%s takes no values)", el)
				return false
			}
			u, _, ok := p.number("threshold-value", limReactMs)
			if !ok {
				return false
			}
			l, lw, ok := p.number("threshold-value", limReactMs)
			if !ok {
				return false
			}
			if l > u {
				p.errorf(p.at(lw), "threshold-value: the lower value %d is above the upper value %d", l, u)
				return false
			}
			r.Upper, r.Lower = time.Duration(u)*time.Millisecond, time.Duration(l)*time.Millisecond
		case "action-type":
			a, ok := p.expect("action-type", "none, trapOnly, triggerOnly or trapAndTrigger")
			if !ok {
				return false
			}
			found := false
			for _, act := range []sla.ActionType{sla.ActionNone, sla.ActionTrapOnly, sla.ActionTriggerOnly, sla.ActionTrapAndTrigger} {
				if strings.EqualFold(act.String(), a.text) {
					r.Action, found = act, true
				}
			}
			if !found {
				p.errorf(p.at(a), "action-type: expected none, trapOnly, triggerOnly or trapAndTrigger, got %q", a.text)
				return false
			}
		default:
			p.errorf(p.at(w), "%s: expected threshold-type, threshold-value or action-type, got %q", what, w.text)
			return false
		}
		return true
	})
	if !ok {
		return
	}
	op.Reactions = slices.DeleteFunc(op.Reactions, func(x sla.Reaction) bool { return x.Element == el })
	op.Reactions = append(op.Reactions, r)
	slices.SortFunc(op.Reactions, func(a, b sla.Reaction) int { return int(a.Element) - int(b.Element) })
}

// optionalCount reads a count if the next word is a number.
func (p *parser) optionalCount(what string, def int) (int, bool) {
	if !p.more() || !isDigits(p.args[p.i].text) {
		return def, true
	}
	n, _, ok := p.number(what, limReactCount)
	return int(n), ok
}

func (p *parser) thresholdType(r *sla.Reaction) bool {
	t, ok := p.expect("threshold-type", "never, immediate, consecutive, xofy or average")
	if !ok {
		return false
	}
	switch strings.ToLower(t.text) {
	case "never":
		r.Type = sla.ThresholdNever
	case "immediate":
		r.Type = sla.ThresholdImmediate
	case "consecutive":
		r.Type = sla.ThresholdConsecutive
		r.Count, ok = p.optionalCount("threshold-type consecutive", 5)
	case "xofy":
		r.Type = sla.ThresholdXofY
		r.Count, ok = p.optionalCount("threshold-type xofy", 5)
		if ok && p.more() && isDigits(p.args[p.i].text) {
			r.Of, ok = p.optionalCount("threshold-type xofy", 5)
		}
	case "average":
		if r.Element != sla.ReactRTT {
			p.errorf(p.at(t), "threshold-type average: only for react rtt")
			return false
		}
		r.Type = sla.ThresholdAverage
		r.Count, ok = p.optionalCount("threshold-type average", 5)
	default:
		p.errorf(p.at(t), "threshold-type: expected never, immediate, consecutive, xofy or average, got %q", t.text)
		return false
	}
	return ok
}

// reactionTrigger reads `ip sla reaction-trigger N TARGET` and its no form.
func (p *parser) reactionTrigger() {
	const what = "ip sla reaction-trigger"
	p.i = 3
	n, idw, ok := p.number(what, limOperation)
	if !ok {
		return
	}
	t, tw, ok := p.number(what, limOperation)
	if !ok || !p.done(what) {
		return
	}
	op := p.b.ops[int(n)]
	switch {
	case op == nil && (p.neg || p.def):
	case op == nil:
		p.errorf(p.at(idw), "%s: ip sla %d is not defined", what, n)
	case p.neg || p.def:
		op.Triggers = slices.DeleteFunc(op.Triggers, func(x int) bool { return x == int(t) })
	case int(t) == op.ID:
		p.errorf(p.at(tw), "%s: ip sla %d cannot trigger itself", what, t)
	case !slices.Contains(op.Triggers, int(t)):
		op.Triggers = append(op.Triggers, int(t))
		slices.Sort(op.Triggers)
	}
}

// formatReactions writes op's reaction-configuration and reaction-trigger
// lines, only what differs from the defaults.
func formatReactions(b *strings.Builder, op *sla.Operation) {
	for _, r := range op.Reactions {
		fmt.Fprintf(b, "ip sla reaction-configuration %d react %s", op.ID, r.Element)
		switch r.Type {
		case sla.ThresholdImmediate:
			b.WriteString(" threshold-type immediate")
		case sla.ThresholdConsecutive:
			fmt.Fprintf(b, " threshold-type consecutive %d", r.Count)
		case sla.ThresholdXofY:
			fmt.Fprintf(b, " threshold-type xOfy %d %d", r.Count, r.Of)
		case sla.ThresholdAverage:
			fmt.Fprintf(b, " threshold-type average %d", r.Count)
		}
		if def := sla.NewReaction(r.Element); r.Element == sla.ReactRTT && (r.Upper != def.Upper || r.Lower != def.Lower) {
			fmt.Fprintf(b, " threshold-value %d %d", r.Upper.Milliseconds(), r.Lower.Milliseconds())
		}
		if r.Action != sla.ActionNone {
			fmt.Fprintf(b, " action-type %s", r.Action)
		}
		b.WriteByte('\n')
	}
	for _, t := range op.Triggers {
		fmt.Fprintf(b, "ip sla reaction-trigger %d %d\n", op.ID, t)
	}
}

var (
	limLivesKept   = limit{"lives", 0, 2}
	limBucketsKept = limit{"buckets", 1, 60}
)

// history reads `history lives-kept N`, `history buckets-kept N`,
// `history filter {none|all|overThreshold|failures}`, `history
// hours-of-statistics-kept N`, `history distributions-of-statistics-kept N`
// and `history statistics-distribution-interval MS`, and their no forms.
func (p *parser) history(op *sla.Operation) {
	p.i = 1
	reset := p.neg || p.def
	w, ok := p.expect("history", "lives-kept, buckets-kept, filter, hours-of-statistics-kept, distributions-of-statistics-kept or statistics-distribution-interval")
	if !ok {
		return
	}
	h := &op.History
	switch kw := strings.ToLower(w.text); kw {
	case "lives-kept":
		if reset {
			h.LivesKept = 0
		} else if n, _, ok := p.number("history lives-kept", limLivesKept); ok && p.done("history") {
			h.LivesKept = int(n)
		}
	case "buckets-kept":
		if reset {
			h.BucketsKept = 0
		} else if n, _, ok := p.number("history buckets-kept", limBucketsKept); ok && p.done("history") {
			h.BucketsKept = int(n)
			if h.BucketsKept == sla.DefaultBucketsKept {
				h.BucketsKept = 0
			}
		}
	case "filter":
		if reset {
			h.Filter = sla.HistoryNone
			return
		}
		f, ok := p.expect("history filter", "none, all, overThreshold or failures")
		if !ok || !p.done("history") {
			return
		}
		for _, x := range []sla.HistoryFilter{sla.HistoryNone, sla.HistoryAll, sla.HistoryOverThreshold, sla.HistoryFailures} {
			if strings.EqualFold(x.String(), f.text) {
				h.Filter = x
				return
			}
		}
		p.errorf(p.at(f), "history filter: expected none, all, overThreshold or failures, got %q", f.text)
	case "hours-of-statistics-kept", "distributions-of-statistics-kept", "statistics-distribution-interval":
		if reset {
			setDistHistory(h, kw, -1)
		} else if n, _, ok := p.number("history "+kw, distLimits[kw]); ok && p.done("history") {
			setDistHistory(h, kw, int(n))
		}
	case "enhanced":
		if !reset {
			p.errorf(p.at(w), "history %s: not supported yet", kw)
		}
	default:
		p.errorf(p.at(w), "history: expected lives-kept, buckets-kept, filter, hours-of-statistics-kept, distributions-of-statistics-kept or statistics-distribution-interval, got %q", w.text)
	}
}

// formatHistory writes the history lines that differ from the defaults.
func formatHistory(b *strings.Builder, h sla.History) {
	if h.LivesKept != 0 {
		fmt.Fprintf(b, " history lives-kept %d\n", h.LivesKept)
	}
	if h.BucketsKept != 0 {
		fmt.Fprintf(b, " history buckets-kept %d\n", h.BucketsKept)
	}
	if h.Filter != sla.HistoryNone {
		fmt.Fprintf(b, " history filter %s\n", h.Filter)
	}
	if h.HoursKept != 0 {
		fmt.Fprintf(b, " history hours-of-statistics-kept %d\n", h.Hours())
	}
	if h.DistKept != 0 {
		fmt.Fprintf(b, " history distributions-of-statistics-kept %d\n", h.DistKept)
	}
	if h.DistInterval != 0 {
		fmt.Fprintf(b, " history statistics-distribution-interval %d\n", h.DistInterval)
	}
}

var limGroup = limit{"group number", 1, 65535}

// groupSchedule reads
//
//	ip sla group schedule G OPLIST schedule-period S [frequency {S | range A-B}] [life {forever|S}] [start-time ...] [ageout S]
//
// OPLIST is like 1-10,15: the operations' starts are spread evenly over
// the schedule period, and they run at the group frequency (default: the
// period). With frequency range A-B (IOS's random scheduler) the starts
// are spread at random over the period and each run draws its next
// frequency within A-B. The no form (`no ip sla group schedule G`) unschedules the group.
func (p *parser) groupSchedule() {
	const what = "ip sla group schedule"
	if p.kw(3) != "schedule" {
		p.errorf(p.eol(), "ip sla group: expected schedule")
		return
	}
	p.i = 4
	g, _, ok := p.number(what, limGroup)
	if !ok {
		return
	}
	if p.neg || p.def {
		for id, op := range p.b.ops {
			if op.Schedule.Group == int(g) {
				op.Schedule = sla.Schedule{Life: sla.DefaultLife}
				delete(p.b.pos.schedule, id)
			}
		}
		return
	}
	lw, ok := p.expect(what, "a list of operations (e.g. 1-10,15)")
	if !ok {
		return
	}
	ids, err := parseOpList(lw.text)
	if err != nil {
		p.errorf(p.at(lw), "%s: %v", what, err)
		return
	}
	s := sla.Schedule{Scheduled: true, Life: sla.DefaultLife, Group: int(g)}
	ok = p.scheduleWordsWith(&s, what, func(kw string, w word) (bool, bool) {
		switch kw {
		case "schedule-period":
			n, _, ok := p.number("schedule-period", limFrequency)
			s.GroupPeriod = time.Duration(n) * time.Second
			return true, ok
		case "frequency":
			if p.kw(p.i) == "range" {
				p.i++
				rw, ok := p.expect("frequency range", "A-B (seconds, A <= B)")
				if !ok {
					return true, false
				}
				a, b, err := parseFrequencyRange(rw.text)
				if err != nil {
					p.errorf(p.at(rw), "frequency range: %v", err)
					return true, false
				}
				s.GroupFrequency, s.GroupFrequencyMax = a, b
				return true, true
			}
			n, _, ok := p.number("frequency", limFrequency)
			s.GroupFrequency = time.Duration(n) * time.Second
			return true, ok
		}
		return false, true
	})
	if !ok {
		return
	}
	if s.GroupPeriod == 0 {
		p.errorf(p.eol(), "%s: expected schedule-period S", what)
		return
	}
	if msg := rangeBelowPeriod(s); msg != "" {
		p.warnf(p.ln.pos, "%s", msg)
	}
	if err := p.b.scheduleGroup(what, ids, s, p.ln.pos); err != nil {
		p.errorf(p.at(lw), "%v", err)
	}
}

// parseOpList parses "1-3,5,7-8" into sorted distinct operation numbers.
func parseOpList(s string) ([]int, error) {
	var ids []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := limOperation.parse(lo)
		if err != nil {
			return nil, fmt.Errorf("expected a list of operations (e.g. 1-10,15), got %q", s)
		}
		b := a
		if isRange {
			if b, err = limOperation.parse(hi); err != nil || b < a || b-a >= 10000 {
				return nil, fmt.Errorf("expected a list of operations (e.g. 1-10,15), got %q", s)
			}
		}
		for id := a; id <= b; id++ {
			ids = append(ids, int(id))
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// formatGroups writes the ip sla group schedule lines of ops.
func formatGroups(b *strings.Builder, ops []sla.Operation) {
	groups := map[int][]int{}
	var order []int
	first := map[int]sla.Schedule{}
	for _, op := range ops {
		g := op.Schedule.Group
		if g == 0 || !op.Schedule.Scheduled {
			continue
		}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
			first[g] = op.Schedule
		}
		groups[g] = append(groups[g], op.ID)
	}
	slices.Sort(order)
	for _, g := range order {
		s := first[g]
		fmt.Fprintf(b, "ip sla group schedule %d %s schedule-period %d", g, sla.IDRanges(groups[g]), s.GroupPeriod/time.Second)
		if s.GroupFrequencyMax != 0 {
			fmt.Fprintf(b, " frequency range %s", formatFrequencyRange(s))
		} else if s.GroupFrequency != 0 {
			fmt.Fprintf(b, " frequency %d", s.GroupFrequency/time.Second)
		}
		formatScheduleOptions(b, s)
		b.WriteByte('\n')
	}
}

// options reads the rest of the line as keyword options in any order, each
// at most once ("what: kw given twice" otherwise). option handles one
// keyword and reports whether the line is still good; it stops at the
// first failure.
func (p *parser) options(what string, option func(kw string, w word) bool) bool {
	seen := map[string]bool{}
	for p.more() {
		w := p.next()
		kw := strings.ToLower(w.text)
		if seen[kw] {
			p.errorf(p.at(w), "%s: %s given twice", what, kw)
			return false
		}
		seen[kw] = true
		if !option(kw, w) {
			return false
		}
	}
	return true
}

// sourceIP reads the address after `source-ip`, which must be of the
// family of peer (the name server or target).
func (p *parser) sourceIP(peer netip.Addr, peerName string) (netip.Addr, bool) {
	a, ok := p.address("source-ip")
	if !ok {
		return netip.Addr{}, false
	}
	src, _ := parseAddr(a.text)
	if src.Is4() != peer.Is4() {
		p.errorf(p.at(a), "source-ip: %s is not of the same address family as %s%s", src, peerName, peer)
		return netip.Addr{}, false
	}
	return src, true
}

// sourcePort reads the port after `source-port`.
func (p *parser) sourcePort() (uint16, bool) {
	n, _, ok := p.number("source-port", limPort)
	return uint16(n), ok
}

// commonSubcommand handles the sub-commands every operation type has
// (cisco-semantics §1.4) and reports whether the line was one of them.
func (p *parser) commonSubcommand(op *sla.Operation) bool {
	switch kw := p.kw(0); {
	case kw == "frequency" && p.kw(1) == "msec":
		// Extension: sub-second frequency, in milliseconds.
		p.i = 2
		if p.neg || p.def {
			op.Frequency = sla.DefaultFrequency
		} else if n, _, ok := p.number("frequency msec", limFrequencyMsec); ok && p.done("frequency msec") {
			op.Frequency = time.Duration(n) * time.Millisecond
		}
	case kw == "frequency":
		p.duration(&op.Frequency, kw, limFrequency, time.Second, sla.DefaultFrequency)
	case kw == "timeout":
		p.duration(&op.Timeout, kw, limTimeout, time.Millisecond, op.DefaultTimeout())
	case kw == "threshold":
		p.duration(&op.Threshold, kw, limThreshold, time.Millisecond, sla.DefaultThreshold)
	case kw == "owner":
		p.text(&op.Owner, kw, maxOwner)
	case kw == "tag":
		p.text(&op.Tag, kw, maxTag)
	case kw == "vrf":
		p.vrf(op)
	case kw == "history":
		p.history(op)
	default:
		return false
	}
	return true
}
