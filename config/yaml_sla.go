package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"gopkg.in/yaml.v3"

	"github.com/ipslad/ipslad/sla"
)

// dnsExtensionKeys are the YAML keys of the dns operation's extensions
// beyond IOS, one for each IOS-style sub-command:
//
//	dns: {target: ..., name-server: ...,
//	      query-type: AAAA,                  # query-type AAAA
//	      accept-rcode: [NOERROR, NXDOMAIN], # accept-rcode NOERROR NXDOMAIN
//	      expect-answer: 192.0.2.53,         # expect-answer 192.0.2.53
//	      expect-answer-regexp: '^ns1\.',    # expect-answer regexp ^ns1\.
//	      recursion-desired: false,          # no recursion-desired
//	      transport: tcp,                    # transport tcp
//	      tcp-fallback: true,                # tcp-fallback
//	      edns-buffer-size: 1232}            # edns buffer-size 1232
var dnsExtensionKeys = []string{
	"query-type", "accept-rcode", "expect-answer", "expect-answer-regexp",
	"recursion-desired", "transport", "tcp-fallback", "edns-buffer-size",
}

// dnsExtensions reads the extension keys of a dns mapping into d.
func (y *yamlParser) dnsExtensions(f map[string]*yaml.Node, d *sla.DNS) bool {
	good := true
	if n := f["query-type"]; n != nil {
		v, ok := y.scalar(n, "query-type", "a record type")
		t, known := dns.StringToType[strings.ToUpper(v)]
		switch {
		case !ok:
			good = false
		case !known || t == dns.TypeOPT || t == dns.TypeANY || t == dns.TypeAXFR || t == dns.TypeIXFR:
			y.errorf(n, "query-type: expected a record type (A, AAAA, PTR, SOA, TXT, NS, MX, ...), got %q", v)
			good = false
		default:
			d.QueryType = t
		}
	}
	if n := f["accept-rcode"]; n != nil {
		items := []*yaml.Node{n}
		if n.Kind == yaml.SequenceNode {
			items = n.Content
		}
		for _, it := range items {
			v, ok := y.scalar(it, "accept-rcode", "an RCODE")
			rc, known := dns.StringToRcode[strings.ToUpper(v)]
			if ok && (!known || rc > 15) {
				y.errorf(it, "accept-rcode: expected an RCODE (NOERROR, NXDOMAIN, SERVFAIL, REFUSED, ...), got %q", v)
				ok = false
			}
			if !ok {
				good = false
				continue
			}
			d.Rcodes |= 1 << rc
		}
	}
	addr, re := f["expect-answer"], f["expect-answer-regexp"]
	switch {
	case addr != nil && re != nil:
		y.errorf(re, "expect-answer-regexp: give expect-answer or expect-answer-regexp, not both")
		good = false
	case addr != nil:
		a, ok := y.address(addr, "expect-answer")
		d.Expect, good = a.String(), ok && good
	case re != nil:
		v, ok := y.scalar(re, "expect-answer-regexp", "a regular expression")
		if ok {
			_, err := regexp.Compile(v)
			ok = y.check(re, "expect-answer-regexp", err)
		}
		if ok && needsQuotes(v) && strings.Contains(v, `"`) {
			y.errorf(re, "expect-answer-regexp: %q cannot be written in IOS syntax (it needs quotes and contains one)", v)
			ok = false
		}
		d.Expect, d.ExpectRegexp, good = v, true, ok && good
	}
	if n := f["recursion-desired"]; n != nil {
		v, ok := y.boolean(n, "recursion-desired")
		d.NoRecursion, good = !v, ok && good
	}
	if n := f["tcp-fallback"]; n != nil {
		v, ok := y.boolean(n, "tcp-fallback")
		d.TCPFallback, good = v, ok && good
	}
	if n := f["transport"]; n != nil {
		v, ok := y.scalar(n, "transport", "udp or tcp")
		switch {
		case !ok:
			good = false
		case strings.EqualFold(v, "tcp"):
			d.TCP = true
		case strings.EqualFold(v, "udp"):
		default:
			y.errorf(n, "transport: expected udp or tcp, got %q", v)
			good = false
		}
	}
	if n := f["edns-buffer-size"]; n != nil {
		v, ok := y.integer(n, "edns-buffer-size", limEDNSBuffer)
		d.EDNSBufSize, good = uint16(v), ok && good
	}
	return good
}

// opTypeKeys are the YAML keys of the operation types besides dns and of
// the common sub-commands:
//
//	icmp-echo: {target: 192.0.2.1, source-ip: A, source-interface: eth0}
//	tcp-connect: {target: 192.0.2.2, port: 443, source-ip: A, source-port: P}   # timeout default 60000
//	udp-echo: {target: 192.0.2.3, port: 7, source-ip: A, source-port: P}
//	http: {url: "http://192.0.2.4/health", source-ip: A, version: "1.1"}       # timeout default 60000
//	http: {url: "http://192.0.2.4/", name-server: A, source-port: P, cache: disable, proxy: "http://192.0.2.8:3128"}
//	http: {url: "http://192.0.2.4/", raw-request: "GET / HTTP/1.0\r\n\r\n"}   # http raw, the request verbatim
//	data-pattern: 0F0F0F0F                                                      # icmp-echo, udp-echo
//	vrf: MGMT
//	tos: 184
//	request-data-size: 100
//	verify-data: true
//	history: {lives-kept: 1, buckets-kept: 30, filter: failures}
//	history: {hours-of-statistics-kept: 4, distributions-of-statistics-kept: 5,
//	          statistics-distribution-interval: 10}
var opTypeKeys = []string{"icmp-echo", "tcp-connect", "udp-echo", "http", "vrf", "tos", "request-data-size", "verify-data", "data-pattern", "history"}

// otherType reads the type keys besides dns and the common keys into op.
// typed reports whether the entry has one of those types.
func (y *yamlParser) otherType(n *yaml.Node, f map[string]*yaml.Node, op *sla.Operation) (typed, good bool) {
	good = true
	var types []string
	for _, k := range []string{"dns", "icmp-echo", "tcp-connect", "udp-echo", "http"} {
		if f[k] != nil {
			types = append(types, k)
		}
	}
	if len(types) > 1 {
		y.errorf(n, "ip sla %d: one operation type, got %s", op.ID, strings.Join(types, " and "))
		return true, false
	}
	if g := y.commonKeys(f, op); !g {
		good = false
	}
	addr := func(m map[string]*yaml.Node, key string, required bool, what string) (a netip.Addr, ok bool) {
		if m[key] == nil {
			if required {
				y.errorf(f[what], "%s: missing %s", what, key)
				return a, false
			}
			return a, true
		}
		return y.address(m[key], key)
	}
	port := func(m map[string]*yaml.Node, key string, required bool, what string) (uint16, bool) {
		if m[key] == nil {
			if required {
				y.errorf(f[what], "%s: missing %s", what, key)
				return 0, false
			}
			return 0, true
		}
		v, ok := y.integer(m[key], key, limPort)
		return uint16(v), ok
	}
	switch {
	case f["icmp-echo"] != nil:
		m, ok := y.mapping(f["icmp-echo"], "icmp-echo", "target", "source-ip", "source-interface")
		if !ok {
			return true, false
		}
		var e sla.ICMPEcho
		var ok1, ok2 bool
		e.Target, ok1 = addr(m, "target", true, "icmp-echo")
		e.SourceIP, ok2 = addr(m, "source-ip", false, "icmp-echo")
		if v := m["source-interface"]; v != nil {
			if e.SourceIP.IsValid() {
				y.errorf(v, "icmp-echo: give source-ip or source-interface, not both")
				return true, false
			}
			s, ok := y.scalar(v, "source-interface", "an interface name")
			if !ok || len(s) > 15 {
				if ok {
					y.errorf(v, "source-interface: expected a Linux interface name (at most 15 characters), got %q", s)
				}
				return true, false
			}
			e.SourceInterface = s
		}
		op.ICMPEcho = &e
		return true, good && ok1 && ok2
	case f["tcp-connect"] != nil, f["udp-echo"] != nil:
		what := "tcp-connect"
		if f["udp-echo"] != nil {
			what = "udp-echo"
		}
		m, ok := y.mapping(f[what], what, "target", "port", "source-ip", "source-port")
		if !ok {
			return true, false
		}
		t, ok1 := addr(m, "target", true, what)
		p, ok2 := port(m, "port", true, what)
		src, ok3 := addr(m, "source-ip", false, what)
		sp, ok4 := port(m, "source-port", false, what)
		if what == "tcp-connect" {
			op.TCPConnect = &sla.TCPConnect{Target: t, Port: p, SourceIP: src, SourcePort: sp}
			if f["timeout"] == nil {
				op.Timeout = sla.DefaultTCPConnectTimeout
			}
		} else {
			op.UDPEcho = &sla.UDPEcho{Target: t, Port: p, SourceIP: src, SourcePort: sp}
		}
		return true, good && ok1 && ok2 && ok3 && ok4
	case f["http"] != nil:
		m, ok := y.mapping(f["http"], "http", "url", "raw-request", "name-server", "version", "source-ip", "source-port", "cache", "proxy")
		if !ok {
			return true, false
		}
		var h sla.HTTP
		if m["url"] == nil {
			y.errorf(f["http"], "http: missing url")
			return true, false
		}
		u, ok := y.scalar(m["url"], "url", "an http:// or https:// URL")
		if !ok {
			return true, false
		}
		if !httpURL(u) {
			y.errorf(m["url"], "url: expected an http:// or https:// URL, got %q", u)
			return true, false
		}
		h.URL = u
		if v := m["raw-request"]; v != nil {
			s, ok := y.scalar(v, "raw-request", "the request text")
			if !ok {
				return true, false
			}
			if s == "" {
				y.errorf(v, "raw-request: expected the request text, got an empty string")
				return true, false
			}
			h.Raw, h.RawRequest = true, s
		}
		var ok2, ok3, ok4 bool
		h.SourceIP, ok2 = addr(m, "source-ip", false, "http")
		h.NameServer, ok3 = addr(m, "name-server", false, "http")
		h.SourcePort, ok4 = port(m, "source-port", false, "http")
		if v := m["version"]; v != nil {
			s, ok := y.scalar(v, "version", "1.0 or 1.1")
			if !ok || (s != "1.0" && s != "1.1") {
				if ok {
					y.errorf(v, "version: expected 1.0 or 1.1, got %q", s)
				}
				return true, false
			}
			h.Version = s
		}
		if v := m["cache"]; v != nil {
			s, ok := y.scalar(v, "cache", "enable or disable")
			switch {
			case !ok:
				return true, false
			case strings.EqualFold(s, "disable"):
				h.NoCache = true
			case strings.EqualFold(s, "enable"):
			default:
				y.errorf(v, "cache: expected enable or disable, got %q", s)
				return true, false
			}
		}
		if v := m["proxy"]; v != nil {
			s, ok := y.scalar(v, "proxy", "an http:// URL")
			if !ok {
				return true, false
			}
			if !httpURL(s) || strings.HasPrefix(strings.ToLower(s), "https:") {
				y.errorf(v, "proxy: expected an http:// URL, got %q", s)
				return true, false
			}
			h.Proxy = s
		}
		if ok3 && h.SourceIP.IsValid() && h.NameServer.IsValid() && h.SourceIP.Is4() != h.NameServer.Is4() {
			y.errorf(m["source-ip"], "http: source-ip %s is not of the same address family as name-server %s", h.SourceIP, h.NameServer)
			return true, false
		}
		op.HTTP = &h
		if f["timeout"] == nil {
			op.Timeout = sla.DefaultHTTPTimeout
		}
		return true, good && ok2 && ok3 && ok4
	}
	return false, good
}

// commonKeys reads vrf, tos, request-data-size, verify-data and history.
func (y *yamlParser) commonKeys(f map[string]*yaml.Node, op *sla.Operation) bool {
	good := true
	if v := f["vrf"]; v != nil {
		s, ok := y.scalar(v, "vrf", "a VRF name")
		if ok && (len(s) > 15 || strings.ContainsAny(s, "/ ")) {
			y.errorf(v, "vrf: expected the name of a Linux VRF device (at most 15 characters), got %q", s)
			ok = false
		}
		op.VRF, good = s, ok && good
	}
	if v := f["tos"]; v != nil {
		n, ok := y.integer(v, "tos", limTOS)
		op.TOS, good = uint8(n), ok && good
	}
	if v := f["request-data-size"]; v != nil {
		lim := limEchoData
		if f["udp-echo"] != nil {
			lim = limUDPEchoData
		} else if f["icmp-echo"] == nil {
			y.errorf(v, "request-data-size: only for icmp-echo and udp-echo")
			return false
		}
		n, ok := y.integer(v, "request-data-size", lim)
		op.DataSize, good = int(n), ok && good
		if (f["udp-echo"] != nil && n == sla.DefaultUDPEchoDataSize) || (f["icmp-echo"] != nil && n == sla.DefaultEchoDataSize) {
			op.DataSize = 0
		}
	}
	if v := f["verify-data"]; v != nil {
		b, ok := y.boolean(v, "verify-data")
		op.VerifyData, good = b, ok && good
	}
	if v := f["data-pattern"]; v != nil {
		s, ok := y.scalar(v, "data-pattern", "1-8 hexadecimal digits")
		if ok && f["icmp-echo"] == nil && f["udp-echo"] == nil {
			y.errorf(v, "data-pattern: only for icmp-echo and udp-echo")
			return false
		}
		if ok {
			h, err := checkDataPattern(s)
			if err != nil {
				y.errorf(v, "data-pattern: %v", err)
				ok = false
			}
			op.DataPattern = h
		}
		good = ok && good
	}
	if v := f["history"]; v != nil {
		m, ok := y.mapping(v, "history", "lives-kept", "buckets-kept", "filter",
			"hours-of-statistics-kept", "distributions-of-statistics-kept", "statistics-distribution-interval")
		if !ok {
			return false
		}
		for _, kw := range []string{"hours-of-statistics-kept", "distributions-of-statistics-kept", "statistics-distribution-interval"} {
			if x := m[kw]; x != nil {
				n, ok := y.integer(x, kw, distLimits[kw])
				if ok {
					setDistHistory(&op.History, kw, int(n))
				}
				good = ok && good
			}
		}
		if x := m["lives-kept"]; x != nil {
			n, ok := y.integer(x, "lives-kept", limLivesKept)
			op.History.LivesKept, good = int(n), ok && good
		}
		if x := m["buckets-kept"]; x != nil {
			n, ok := y.integer(x, "buckets-kept", limBucketsKept)
			op.History.BucketsKept, good = int(n), ok && good
			if n == sla.DefaultBucketsKept {
				op.History.BucketsKept = 0
			}
		}
		if x := m["filter"]; x != nil {
			s, ok := y.scalar(x, "filter", "none, all, overThreshold or failures")
			found := false
			for _, fl := range []sla.HistoryFilter{sla.HistoryNone, sla.HistoryAll, sla.HistoryOverThreshold, sla.HistoryFailures} {
				if ok && strings.EqualFold(fl.String(), s) {
					op.History.Filter, found = fl, true
				}
			}
			if ok && !found {
				y.errorf(x, "filter: expected none, all, overThreshold or failures, got %q", s)
			}
			good = good && found
		}
	}
	return good
}

// scheduleKeys reads the keys life, start-time and ageout, common to an
// operation's schedule and a group schedule, into s:
//
//	life: forever                 # or seconds; default 3600
//	start-time: now               # pending (default) | after hh:mm:ss | random MS
//	                              # | hh:mm[:ss] [month day]  e.g. "23:59:30 Dec 24"
//	ageout: 86400                 # seconds 0-2073600; default 0, never
func (y *yamlParser) scheduleKeys(f map[string]*yaml.Node, s *sla.Schedule) bool {
	good := true
	if life := f["life"]; life != nil {
		v, ok := y.scalar(life, "life", "forever or "+limLife.String())
		good = ok && y.check(life, "life", parseLife(v, s))
	}
	if start := f["start-time"]; start != nil {
		v, ok := y.scalar(start, "start-time", yamlStartTimes)
		words, what := strings.Fields(v), "start-time"
		if len(words) > 0 && (strings.EqualFold(words[0], "after") || strings.EqualFold(words[0], "random")) {
			what += " " + strings.ToLower(words[0])
		}
		good = ok && y.check(start, what, parseStartWords(words, v, s)) && good
	}
	if ageout := f["ageout"]; ageout != nil {
		v, ok := y.integer(ageout, "ageout", limAgeout)
		s.Ageout, good = time.Duration(v)*time.Second, ok && good
	}
	return good
}

const yamlStartTimes = startTimes + ", random MS or hh:mm[:ss] [month day]"

// parseStartWords parses the words of a YAML start-time value with the
// rules of the IOS parser's start-time options.
func parseStartWords(words []string, v string, s *sla.Schedule) error {
	if len(words) == 0 {
		return fmt.Errorf("expected %s, got %q", yamlStartTimes, v)
	}
	switch kw := strings.ToLower(words[0]); {
	case kw == "random":
		if len(words) != 2 {
			return fmt.Errorf("expected %v, got %q", limRandom, v)
		}
		n, err := limRandom.parse(words[1])
		if err != nil {
			return err
		}
		s.Start, s.Random = sla.StartRandom, time.Duration(n)*time.Millisecond
		return nil
	case strings.Contains(kw, ":"):
		if len(words) != 1 && len(words) != 3 {
			return fmt.Errorf("expected hh:mm[:ss] [month day], got %q", v)
		}
		text := words[0]
		if strings.Count(text, ":") == 1 {
			text += ":00"
		}
		d, err := parseHMS(text)
		if err != nil {
			return fmt.Errorf("expected hh:mm[:ss], got %q", words[0])
		}
		s.Start, s.After, s.Month, s.Day = sla.StartAt, d, 0, 0
		if len(words) == 3 {
			m, day, err := parseMonthDay(words[1], words[2])
			if err != nil {
				return err
			}
			s.Month, s.Day = m, day
		}
		return nil
	case kw == "after":
		if len(words) != 2 {
			return fmt.Errorf("expected hh:mm:ss, got %q", strings.Join(words[1:], " "))
		}
		return parseStart(words[0], words[1], s)
	case len(words) != 1:
		return fmt.Errorf("expected %s, got %q", yamlStartTimes, v)
	}
	return parseStart(words[0], "", s)
}

// parseMonthDay parses a date "month day" or "day month", as IOS.
func parseMonthDay(a, b string) (time.Month, int, error) {
	m, isMonth := month(a)
	dayWord := b
	if !isMonth {
		if m, isMonth = month(b); !isMonth {
			return 0, 0, fmt.Errorf("expected a month name, got %q", b)
		}
		dayWord = a
	}
	n, err := limDay.parse(dayWord)
	if err != nil || time.Date(2024, m, int(n), 0, 0, 0, 0, time.UTC).Month() != m {
		return 0, 0, fmt.Errorf("expected a day of %s, got %q", m, dayWord)
	}
	return m, int(n), nil
}

// reactionKeys are the YAML keys of an operation's reactions, IOS's
// global `ip sla reaction-configuration N ...` and `ip sla
// reaction-trigger N T` lines written inside the operation:
//
//	reaction-configuration:
//	  - react: timeout               # rtt, timeout, connectionLoss or verifyError
//	    threshold-type: consecutive 3   # never (default), immediate, consecutive [N],
//	                                 # xofy [X Y], average [N] (rtt only); N default 5
//	    threshold-value: {upper: 300, lower: 100}   # ms, rtt only; default 5000 3000
//	    action-type: trapAndTrigger  # none (default), trapOnly, triggerOnly, trapAndTrigger
//	reaction-trigger: [2]            # or 2: operations to start on a trigger
var reactionKeys = []string{"reaction-configuration", "reaction-trigger"}

// reactions reads the reaction keys of an operation into op.
func (y *yamlParser) reactions(f map[string]*yaml.Node, op *sla.Operation) bool {
	good := true
	at := map[sla.ReactElement]int{}
	for _, n := range y.sequence(f["reaction-configuration"], "reaction-configuration") {
		r, ok := y.reaction(n)
		if !ok {
			good = false
			continue
		}
		if line, dup := at[r.Element]; dup {
			y.errorf(n, "reaction-configuration: react %s given twice (first at line %d)", r.Element, line)
			good = false
			continue
		}
		at[r.Element] = deref(n).Line
		op.Reactions = append(op.Reactions, r)
	}
	slices.SortFunc(op.Reactions, func(a, b sla.Reaction) int { return int(a.Element) - int(b.Element) })
	if n := f["reaction-trigger"]; n != nil {
		items := []*yaml.Node{n}
		if deref(n).Kind == yaml.SequenceNode {
			items = deref(n).Content
		}
		for _, it := range items {
			t, ok := y.integer(deref(it), "reaction-trigger", limOperation)
			switch {
			case !ok:
				good = false
			case int(t) == op.ID:
				y.errorf(it, "reaction-trigger: ip sla %d cannot trigger itself", t)
				good = false
			case !slices.Contains(op.Triggers, int(t)):
				op.Triggers = append(op.Triggers, int(t))
			}
		}
		slices.Sort(op.Triggers)
	}
	return good
}

// reaction reads one entry of reaction-configuration.
func (y *yamlParser) reaction(n *yaml.Node) (sla.Reaction, bool) {
	const what = "reaction-configuration"
	f, ok := y.mapping(n, what, "react", "threshold-type", "threshold-value", "action-type")
	if !ok {
		return sla.Reaction{}, false
	}
	if f["react"] == nil {
		y.errorf(n, "%s: missing react", what)
		return sla.Reaction{}, false
	}
	const elements = "rtt, timeout, connectionLoss or verifyError"
	v, ok := y.scalar(f["react"], "react", elements)
	if !ok {
		return sla.Reaction{}, false
	}
	el, known := sla.ParseReactElement(v)
	if !known {
		y.errorf(f["react"], "react: expected %s, got %q", elements, v)
		return sla.Reaction{}, false
	}
	r := sla.NewReaction(el)
	good := true
	if t := f["threshold-type"]; t != nil {
		v, ok := y.scalar(t, "threshold-type", "never, immediate, consecutive, xofy or average")
		words, what := strings.Fields(v), "threshold-type"
		if len(words) > 0 && slices.Contains([]string{"consecutive", "xofy", "average"}, strings.ToLower(words[0])) {
			what += " " + strings.ToLower(words[0])
		}
		good = ok && y.check(t, what, parseThresholdType(words, v, &r))
	}
	if tv := f["threshold-value"]; tv != nil {
		m, ok := y.mapping(tv, "threshold-value", "upper", "lower")
		switch {
		case !ok:
			good = false
		case el != sla.ReactRTT:
			y.errorf(tv, "threshold-value: only for react rtt (%s takes no values)", el)
			good = false
		case m["upper"] == nil || m["lower"] == nil:
			y.errorf(tv, "threshold-value: expected upper and lower")
			good = false
		default:
			u, ok1 := y.integer(m["upper"], "upper", limReactMs)
			l, ok2 := y.integer(m["lower"], "lower", limReactMs)
			if ok1 && ok2 && l > u {
				y.errorf(m["lower"], "threshold-value: the lower value %d is above the upper value %d", l, u)
				ok2 = false
			}
			r.Upper, r.Lower = time.Duration(u)*time.Millisecond, time.Duration(l)*time.Millisecond
			good = ok1 && ok2 && good
		}
	}
	if a := f["action-type"]; a != nil {
		const actions = "none, trapOnly, triggerOnly or trapAndTrigger"
		v, ok := y.scalar(a, "action-type", actions)
		found := false
		for _, act := range []sla.ActionType{sla.ActionNone, sla.ActionTrapOnly, sla.ActionTriggerOnly, sla.ActionTrapAndTrigger} {
			if ok && strings.EqualFold(act.String(), v) {
				r.Action, found = act, true
			}
		}
		if ok && !found {
			y.errorf(a, "action-type: expected %s, got %q", actions, v)
		}
		good = found && good
	}
	return r, good
}

// parseThresholdType parses the words of a threshold-type value with the
// IOS parser's rules.
func parseThresholdType(words []string, v string, r *sla.Reaction) error {
	const want = "never, immediate, consecutive [N], xofy [X Y] or average [N]"
	if len(words) == 0 {
		return fmt.Errorf("expected %s, got %q", want, v)
	}
	counts := make([]int, 0, 2)
	for _, w := range words[1:] {
		n, err := limReactCount.parse(w)
		if err != nil {
			return err
		}
		counts = append(counts, int(n))
	}
	maxCounts := 0
	switch strings.ToLower(words[0]) {
	case "never":
		r.Type = sla.ThresholdNever
	case "immediate":
		r.Type = sla.ThresholdImmediate
	case "consecutive":
		r.Type, maxCounts = sla.ThresholdConsecutive, 1
	case "xofy":
		r.Type, maxCounts = sla.ThresholdXofY, 2
	case "average":
		if r.Element != sla.ReactRTT {
			return fmt.Errorf("only for react rtt")
		}
		r.Type, maxCounts = sla.ThresholdAverage, 1
	default:
		return fmt.Errorf("expected %s, got %q", want, v)
	}
	if len(counts) > maxCounts {
		return fmt.Errorf("expected %s, got %q", want, v)
	}
	if len(counts) > 0 {
		r.Count = counts[0]
	}
	if len(counts) > 1 {
		r.Of = counts[1]
	}
	return nil
}

// groupSchedule reads one entry of the top-level ip-sla-group-schedule
// list, IOS's `ip sla group schedule G OPLIST schedule-period S [frequency
// S] [life ...] [start-time ...] [ageout S]`:
//
//	ip-sla-group-schedule:
//	  - group: 1                     # 1-65535
//	    operations: 1-3,5            # or a list [1, 2, 3, 5]
//	    schedule-period: 20          # seconds, required: starts spread evenly over it
//	    frequency: 10                # seconds; default the schedule period
//	    # frequency-range: 80-100     # or: IOS's frequency range A-B (random scheduler)
//	    life: forever
//	    start-time: now
//	    ageout: 0
func (y *yamlParser) groupSchedule(n *yaml.Node) {
	const what = "ip-sla-group-schedule"
	f, ok := y.mapping(n, what, "group", "operations", "schedule-period", "frequency", "frequency-range", "life", "start-time", "ageout")
	if !ok {
		return
	}
	for _, k := range []string{"group", "operations", "schedule-period"} {
		if f[k] == nil {
			y.errorf(n, "%s: missing %s", what, k)
			return
		}
	}
	g, ok := y.integer(f["group"], "group", limGroup)
	if !ok {
		return
	}
	var ids []int
	if ops := f["operations"]; ops.Kind == yaml.SequenceNode {
		for _, it := range ops.Content {
			v, ok := y.integer(deref(it), "operations", limOperation)
			if !ok {
				return
			}
			ids = append(ids, int(v))
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
	} else {
		v, ok := y.scalar(ops, "operations", "a list of operations (e.g. 1-10,15)")
		if !ok {
			return
		}
		var err error
		if ids, err = parseOpList(v); !y.check(ops, "operations", err) {
			return
		}
	}
	if len(ids) == 0 {
		y.errorf(f["operations"], "operations: expected a list of operations (e.g. 1-10,15), got an empty list")
		return
	}
	s := sla.Schedule{Scheduled: true, Life: sla.DefaultLife, Group: int(g)}
	good := y.duration(f["schedule-period"], "schedule-period", limFrequency, time.Second, &s.GroupPeriod)
	good = y.duration(f["frequency"], "frequency", limFrequency, time.Second, &s.GroupFrequency) && good
	if rn := f["frequency-range"]; rn != nil {
		if f["frequency"] != nil {
			y.errorf(rn, "frequency-range: frequency is given too; use one of them")
			return
		}
		v, ok := y.scalar(rn, "frequency-range", "A-B (seconds, A <= B)")
		if !ok {
			return
		}
		a, b, err := parseFrequencyRange(v)
		if !y.check(rn, "frequency-range", err) {
			return
		}
		s.GroupFrequency, s.GroupFrequencyMax = a, b
	}
	if !y.scheduleKeys(f, &s) || !good {
		return
	}
	if msg := rangeBelowPeriod(s); msg != "" {
		y.b.warns.Add(y.pos(n), "%s", msg)
	}
	if err := y.b.scheduleGroup(what, ids, s, y.pos(n)); err != nil {
		y.errorf(f["operations"], "%v", err)
	}
}
