package config

import (
	"bytes"
	"errors"

	"io"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ipslad/ipslad/route"
	"github.com/ipslad/ipslad/sla"
)

// ParseYAML reads a YAML configuration into the same model as Parse, with
// the same defaults, ranges and validation:
//
//	ip-sla:
//	  - id: 101                      # 1-2147483647
//	    dns: {target: anycast.example.com, name-server: 10.0.0.10,
//	          source-ip: 10.0.0.1, source-port: 5353}   # source-* optional
//	    frequency: 30                # seconds, default 60
//	    frequency-msec: 500          # extension: sub-second frequency, 100 ms and up
//	    # instead of dns: icmp-echo, tcp-connect, udp-echo or http, and the
//	    # keys vrf, tos, request-data-size, verify-data, data-pattern, history (opTypeKeys)
//	    timeout: 2000                # ms, default 5000
//	    threshold: 1000              # ms, default 5000
//	    owner: text
//	    tag: text
//	    schedule: {life: forever, start-time: now}     # life default 3600 s;
//	                                 # start-time now | pending | after hh:mm:ss
//	                                 # | random MS | "hh:mm[:ss] [month day]"
//	                                 # (default pending); ageout: S (default 0);
//	                                 # recurring: true; no schedule: not scheduled
//	    reaction-configuration:      # ip sla reaction-configuration N ... (reactionKeys)
//	      - react: timeout           # rtt, timeout, connectionLoss, verifyError
//	        threshold-type: consecutive 3   # never, immediate, consecutive [N],
//	                                 # xofy [X Y], average [N]
//	        threshold-value: {upper: 300, lower: 100}  # ms, rtt only
//	        action-type: trapAndTrigger      # none, trapOnly, triggerOnly
//	    reaction-trigger: [2]        # ip sla reaction-trigger N 2
//	ip-sla-group-schedule:           # ip sla group schedule G OPLIST ...
//	  - group: 1                     # 1-65535
//	    operations: 1-3,5            # or [1, 2, 3, 5]; each defined, not scheduled
//	    schedule-period: 20          # seconds, required; frequency: S (default the period)
//	    life: forever                # life, start-time, ageout as in schedule
//	    start-time: now
//	ip-sla-logging-traps: true       # ip sla logging traps
//	track:
//	  - id: 101                      # 1-1000
//	    ip-sla: 101
//	    mode: state                  # or reachability; default state
//	    delay: {up: 5, down: 2}      # seconds 0-180; every type
//	    hysteresis: {up: 3, down: 2} # extension, ip-sla only: consecutive results
//	    dampening: true              # extension, or {half-life: 5, reuse: 1000,
//	                                 # suppress: 2000, max-suppress: 20}
//	  - id: 3
//	    interface: eth0
//	    mode: line-protocol          # or ip-routing
//	  - id: 4
//	    route: 10.16.0.0/16          # IPv4 or IPv6: ip route / ipv6 route
//	    mode: reachability           # or metric-threshold
//	    threshold-metric: {up: 254, down: 255}
//	    vrf: red
//	  - id: 9
//	    list: boolean-and            # boolean-or, threshold-weight, threshold-percentage
//	    objects: [{id: 1}, {id: 2, not: true}]    # weight: W in threshold-weight
//	    threshold: {up: 1, down: 0}  # threshold lists
//	  - id: 42
//	    stub-object: true
//	    default-state: up            # default down
//	routes:
//	  - prefix: 192.0.2.53/32        # or prefix: 192.0.2.53 with mask: 255.255.255.255
//	    next-hop: 10.0.0.10          # next-hop, interface, or both
//	    interface: eth0
//	    distance: 1                  # 1-255, default 1
//	    tag: 888
//	    name: DNS-ANYCAST
//	    track: 101                   # or permanent: true
//	route-backend: {type: frr, tags: 64000-64999, pathspace: r1}   # extension; default kernel
//
// Every key is optional unless it says otherwise (id, dns, target,
// name-server, ip-sla, prefix, react, group, operations, schedule-period);
// an unknown key is an error.
func ParseYAML(filename string, src []byte) (*Config, error) {
	y := &yamlParser{b: newBuilder(filename)}
	if root := y.decode(src); root != nil {
		y.document(root)
	}
	return y.b.finish()
}

// yamlParser walks the yaml.Node tree itself rather than decoding into
// structs: yaml.v3's KnownFields(true) refuses unknown keys but reports no
// column, and the walk gives every message a line and column.
type yamlParser struct {
	b *builder
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decode parses src into a node tree; nil for an empty file or an error.
func (y *yamlParser) decode(src []byte) (root *yaml.Node) {
	defer func() {
		// The YAML library has panicked on hostile input in the past; a
		// config file must never take the daemon down.
		if r := recover(); r != nil {
			y.b.errs.Add(Pos{y.b.file, 1, 1}, "yaml: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc, extra yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			y.syntaxError(err)
		}
		return nil
	}
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		y.syntaxError(err)
		return nil
	default:
		y.errorf(&extra, "expected one YAML document, found a second one")
		return nil
	}
	return &doc
}

// syntaxError converts a yaml.v3 error, which has a line but no column.
func (y *yamlParser) syntaxError(err error) {
	pos, msg := Pos{y.b.file, 1, 1}, err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			pos.Line, msg = n, m[2]
		}
	}
	y.b.errs.Add(pos, "%s", strings.TrimPrefix(msg, "yaml: "))
}

func (y *yamlParser) pos(n *yaml.Node) Pos {
	return Pos{y.b.file, max(n.Line, 1), max(n.Column, 1)}
}

func (y *yamlParser) errorf(n *yaml.Node, format string, args ...any) {
	y.b.errs.Add(y.pos(n), format, args...)
}

func (y *yamlParser) document(doc *yaml.Node) {
	root := doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return
		}
		root = deref(doc.Content[0])
	}
	if isNull(root) {
		return
	}
	f, ok := y.mapping(root, "configuration", "ip-sla", "ip-sla-group-schedule", "ip-sla-logging-traps", "track", "routes", "route-backend")
	if !ok {
		return
	}
	if n := f["ip-sla-logging-traps"]; n != nil {
		v, _ := y.boolean(n, "ip-sla-logging-traps")
		y.b.sla.logTraps = v
	}
	if n := f["route-backend"]; n != nil {
		y.routeBackend(n) // extension: `ipslad route backend`
	}
	for _, n := range y.sequence(f["ip-sla"], "ip-sla") {
		y.operation(n)
	}
	for _, n := range y.sequence(f["ip-sla-group-schedule"], "ip-sla-group-schedule") {
		y.groupSchedule(n)
	}
	for _, n := range y.sequence(f["track"], "track") {
		y.track(n)
	}
	for _, n := range y.sequence(f["routes"], "routes") {
		y.route(n)
	}
}

// deref follows an alias to its anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names what a node is, for "got ..." messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "an alias"
}

// mapping returns the values of mapping n (a what) by key, reporting keys
// other than keys, duplicate keys and merge keys. It fails only when n is
// not a mapping.
func (y *yamlParser) mapping(n *yaml.Node, what string, keys ...string) (map[string]*yaml.Node, bool) {
	n = deref(n)
	want := strings.Join(keys, ", ")
	if n.Kind != yaml.MappingNode {
		y.errorf(n, "%s: expected a mapping (%s), got %s", what, want, describe(n))
		return nil, false
	}
	fields := map[string]*yaml.Node{}
	at := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		switch {
		case k.Kind != yaml.ScalarNode:
			y.errorf(k, "%s: expected a key (%s), got %s", what, want, describe(k))
		case k.Tag == "!!merge":
			y.errorf(k, "%s: merge keys (<<) are not supported", what)
		case at[k.Value] != nil:
			y.errorf(k, "%s: %s given twice (first at line %d)", what, k.Value, at[k.Value].Line)
		case !containsString(keys, k.Value):
			y.errorf(k, "%s: unknown key %q (want %s)", what, k.Value, want)
		default:
			fields[k.Value], at[k.Value] = v, k
		}
	}
	return fields, true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sequence returns the entries of list n; a missing or null list is empty.
func (y *yamlParser) sequence(n *yaml.Node, what string) []*yaml.Node {
	n = deref(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		y.errorf(n, "%s: expected a list, got %s", what, describe(n))
		return nil
	}
	return n.Content
}

func (y *yamlParser) scalar(n *yaml.Node, what, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		y.errorf(n, "%s: expected %s, got %s", what, want, describe(n))
		return "", false
	}
	return n.Value, true
}

func (y *yamlParser) integer(n *yaml.Node, what string, lim limit) (int64, bool) {
	s, ok := y.scalar(n, what, lim.String())
	if !ok {
		return 0, false
	}
	v, err := lim.parse(s)
	if err != nil {
		y.errorf(n, "%s: %v", what, err)
		return 0, false
	}
	return v, true
}

func (y *yamlParser) boolean(n *yaml.Node, what string) (bool, bool) {
	s, ok := y.scalar(n, what, "true or false")
	switch strings.ToLower(s) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	if ok {
		y.errorf(n, "%s: expected true or false, got %q", what, s)
	}
	return false, false
}

// check reports err about node n, prefixed by what; it reports whether err
// was nil.
func (y *yamlParser) check(n *yaml.Node, what string, err error) bool {
	if err != nil {
		y.errorf(n, "%s: %v", what, err)
		return false
	}
	return true
}

// duration sets *d from an optional integer in unit.
func (y *yamlParser) duration(n *yaml.Node, what string, lim limit, unit time.Duration, d *time.Duration) bool {
	if n == nil {
		return true
	}
	v, ok := y.integer(n, what, lim)
	if ok {
		*d = time.Duration(v) * unit
	}
	return ok
}

// text sets *s from an optional free text.
func (y *yamlParser) text(n *yaml.Node, what string, max int, s *string) bool {
	if n == nil {
		return true
	}
	v, ok := y.scalar(n, what, "text")
	if ok && y.check(n, what, checkText(v, max)) {
		*s = v
		return true
	}
	return false
}

func (y *yamlParser) operation(n *yaml.Node) {
	const what = "ip-sla entry"
	f, ok := y.mapping(n, what, append([]string{"id", "dns", "frequency", "frequency-msec", "timeout", "threshold", "owner", "tag", "schedule"}, append(opTypeKeys, reactionKeys...)...)...)
	if !ok {
		return
	}
	if f["id"] == nil {
		y.errorf(n, "%s: missing id", what)
		return
	}
	v, ok := y.integer(f["id"], "id", limOperation)
	if !ok {
		return
	}
	id := int(v)
	if _, dup := y.b.ops[id]; dup {
		y.errorf(f["id"], "ip sla %d: already defined at line %d", id, y.b.pos.op[id].Line)
		return
	}
	op := sla.NewOperation(id)
	y.b.ops[id], y.b.pos.op[id] = &op, y.pos(n)
	good := true
	if typed, tgood := y.otherType(n, f, &op); typed {
		good = tgood // icmp-echo, tcp-connect, udp-echo or http
	} else if f["dns"] == nil {
		y.errorf(n, "ip sla %d: missing dns (the operation type)", id)
		good = false
	} else if op.DNS, ok = y.dns(f["dns"]); !ok {
		good = false
	}
	good = y.duration(f["frequency"], "frequency", limFrequency, time.Second, &op.Frequency) && good
	good = y.duration(f["frequency-msec"], "frequency-msec", limFrequencyMsec, time.Millisecond, &op.Frequency) && good // extension
	good = y.duration(f["timeout"], "timeout", limTimeout, time.Millisecond, &op.Timeout) && good
	good = y.duration(f["threshold"], "threshold", limThreshold, time.Millisecond, &op.Threshold) && good
	good = y.text(f["owner"], "owner", maxOwner, &op.Owner) && good
	good = y.text(f["tag"], "tag", maxTag, &op.Tag) && good
	if s := f["schedule"]; s != nil {
		if sch, ok := y.schedule(s); ok {
			op.Schedule, y.b.pos.schedule[id] = sch, y.pos(s)
		} else {
			good = false
		}
	}
	good = y.reactions(f, &op) && good
	if !good {
		y.b.broken[id] = true
	}
}

func (y *yamlParser) dns(n *yaml.Node) (*sla.DNS, bool) {
	f, ok := y.mapping(n, "dns", append([]string{"target", "name-server", "source-ip", "source-port"}, dnsExtensionKeys...)...)
	if !ok {
		return nil, false
	}
	var d sla.DNS
	good := true
	if t := f["target"]; t == nil {
		y.errorf(n, "dns: missing target")
		good = false
	} else if v, ok := y.scalar(t, "target", "a host name or IPv4/IPv6 address"); !ok || !y.check(t, "target", checkTarget(v)) {
		good = false
	} else {
		d.Target = v
	}
	if ns := f["name-server"]; ns == nil {
		y.errorf(n, "dns: missing name-server")
		good = false
	} else if a, ok := y.address(ns, "name-server"); ok {
		d.NameServer = a
	} else {
		good = false
	}
	if src := f["source-ip"]; src != nil {
		a, ok := y.address(src, "source-ip")
		if ok && d.NameServer.IsValid() {
			ok = y.check(src, "source-ip", checkSameFamily(a, d.NameServer))
		}
		d.SourceIP, good = a, ok && good
	}
	if port := f["source-port"]; port != nil {
		v, ok := y.integer(port, "source-port", limPort)
		d.SourcePort, good = uint16(v), ok && good
	}
	good = y.dnsExtensions(f, &d) && good
	return &d, good
}

func (y *yamlParser) address(n *yaml.Node, what string) (netip.Addr, bool) {
	v, ok := y.scalar(n, what, "an IPv4 or IPv6 address")
	if !ok {
		return netip.Addr{}, false
	}
	a, err := parseAddr(v)
	return a, y.check(n, what, err)
}

func (y *yamlParser) schedule(n *yaml.Node) (sla.Schedule, bool) {
	s := sla.Schedule{Scheduled: true, Life: sla.DefaultLife}
	f, ok := y.mapping(n, "schedule", "life", "start-time", "ageout", "recurring")
	if !ok {
		return s, false
	}
	good := y.scheduleKeys(f, &s)
	if rec := f["recurring"]; rec != nil {
		v, ok := y.boolean(rec, "recurring")
		s.Recurring, good = v, ok && good
		if good {
			good = y.check(rec, "schedule", checkRecurring(s))
		}
	}
	return s, good
}

func (y *yamlParser) route(n *yaml.Node) {
	const what = "route"
	f, ok := y.mapping(n, what, "prefix", "mask", "next-hop", "interface", "distance", "tag", "name", "track", "permanent")
	if !ok {
		return
	}
	r := route.Static{Distance: route.DefaultDistance}
	good := true
	if pn := f["prefix"]; pn == nil {
		y.errorf(n, "route: missing prefix")
		good = false
	} else if p, ok := y.prefix(pn, f["mask"]); ok {
		r.Prefix = p
	} else {
		good = false
	}
	if in := f["interface"]; in != nil {
		v, ok := y.scalar(in, "interface", "an interface name")
		good = ok && y.check(in, "interface", checkInterface(v)) && good
		r.Interface = v
	}
	if nh := f["next-hop"]; nh != nil {
		a, ok := y.address(nh, "next-hop")
		if ok && r.Prefix.IsValid() {
			ok = y.check(nh, "next-hop", checkNextHop(r.Prefix, a, r.Interface))
		}
		r.NextHop, good = a, ok && good
	}
	if f["next-hop"] == nil && f["interface"] == nil {
		y.errorf(n, "route: needs a next-hop, an interface or both")
		good = false
	}
	if d := f["distance"]; d != nil {
		v, ok := y.integer(d, "distance", limDistance)
		r.Distance, good = int(v), ok && good
	}
	if t := f["tag"]; t != nil {
		v, ok := y.integer(t, "tag", limTag)
		r.Tag, good = uint32(v), ok && good
	}
	if nm := f["name"]; nm != nil {
		v, ok := y.scalar(nm, "name", "a name")
		r.Name, good = v, ok && y.check(nm, "name", checkWord(v)) && good
	}
	if t := f["track"]; t != nil {
		v, ok := y.integer(t, "track", limTrack)
		r.Track, good = int(v), ok && good
	}
	if pm := f["permanent"]; pm != nil {
		v, ok := y.boolean(pm, "permanent")
		r.Permanent, good = v, ok && good
		if v && f["track"] != nil {
			y.errorf(pm, "route: permanent and track cannot be used together")
			good = false
		}
	}
	if good {
		var ref Pos
		if t := f["track"]; t != nil {
			ref = y.pos(t)
		}
		y.b.addRoute(r, y.pos(n), ref)
	}
}

// prefix reads `prefix: A/LEN`, or `prefix: A` with `mask: M` (IPv4).
func (y *yamlParser) prefix(pn, mn *yaml.Node) (netip.Prefix, bool) {
	v, ok := y.scalar(pn, "prefix", "a prefix ADDRESS/LENGTH")
	if !ok {
		return netip.Prefix{}, false
	}
	if mn == nil {
		p, err := parsePrefix(v)
		return p, y.check(pn, "prefix", err)
	}
	m, ok := y.scalar(mn, "mask", "an IPv4 mask")
	if !ok {
		return netip.Prefix{}, false
	}
	a, err := parseIPv4(v)
	if !y.check(pn, "prefix", err) {
		return netip.Prefix{}, false
	}
	bits, err := parseMask(m)
	if !y.check(mn, "mask", err) {
		return netip.Prefix{}, false
	}
	p, err := masked(netip.PrefixFrom(a, bits), v+" "+m)
	return p, y.check(pn, "prefix", err)
}
