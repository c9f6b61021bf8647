package config

import (
	"net/netip"
	"net/url"
	"regexp"
	"strings"

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
//	vrf: MGMT
//	tos: 184
//	request-data-size: 100
//	verify-data: true
//	history: {lives-kept: 1, buckets-kept: 30, filter: failures}
var opTypeKeys = []string{"icmp-echo", "tcp-connect", "udp-echo", "http", "vrf", "tos", "request-data-size", "verify-data", "history"}

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
		m, ok := y.mapping(f["http"], "http", "url", "source-ip", "version")
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
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			y.errorf(m["url"], "url: expected an http:// or https:// URL, got %q", u)
			return true, false
		}
		h.URL = u
		var ok2 bool
		h.SourceIP, ok2 = addr(m, "source-ip", false, "http")
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
		op.HTTP = &h
		if f["timeout"] == nil {
			op.Timeout = sla.DefaultHTTPTimeout
		}
		return true, good && ok2
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
	if v := f["history"]; v != nil {
		m, ok := y.mapping(v, "history", "lives-kept", "buckets-kept", "filter")
		if !ok {
			return false
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
