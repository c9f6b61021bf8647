package sla

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// Outcome is what one probe run observed, before the scheduler applies the
// threshold: a completed run has Code OK and an RTT.
type Outcome struct {
	Code   ReturnCode
	RTT    time.Duration
	Detail string
}

// Probe runs one operation once. It must return by ctx's deadline (the
// operation's timeout); the scheduler never runs two at once for one entry.
type Probe func(ctx context.Context) Outcome

// NewProbe builds the probe for op's type.
func NewProbe(op Operation) (Probe, error) {
	switch {
	case op.DNS != nil:
		p, err := newDNSProbe(*op.DNS)
		if err != nil {
			return nil, fmt.Errorf("ip sla %d: %w", op.ID, err)
		}
		p.device = op.VRF
		return p.Run, nil
	case op.ICMPEcho != nil:
		return newICMPEchoProbe(op), nil
	case op.TCPConnect != nil:
		return newTCPConnectProbe(op), nil
	case op.UDPEcho != nil:
		return newUDPEchoProbe(op), nil
	case op.HTTP != nil:
		return newHTTPProbe(op), nil
	}
	return nil, fmt.Errorf("ip sla %d: no operation type", op.ID)
}

// dnsProbe is the IOS dns operation: one query to the name server, RTT
// from send to the matching reply (cisco-semantics §1.2, §3.2), with the
// ipslad extensions of DNS.
//
// Over UDP without a source-port, the query goes out on the socket shared
// by every operation with the same source address (udpMux); with a
// source-port, on a socket of its own bound to that port.
type dnsProbe struct {
	cfg    DNS
	server netip.AddrPort
	src    netip.Addr   // the shared socket's address: source-ip, or unspecified
	device string       // vrf: the device every socket is bound to
	local  *net.UDPAddr // own socket's local address, with source-port
	query  []byte       // packed query with ID 0; the ID is set per run
	// serverUDP is server for sendmmsg (see udpAddr); only the run's
	// starter touches it, and an operation has one run in flight.
	serverUDP *net.UDPAddr
	check     checker
}

// Query returns the question a dns operation asks: PTR for an IPv4 or
// IPv6 address target (as IOS does), A for a host name.
func Query(target string) (qname string, qtype uint16, err error) {
	if a, perr := netip.ParseAddr(target); perr == nil {
		arpa, rerr := dns.ReverseAddr(a.String())
		return arpa, dns.TypePTR, rerr
	}
	if _, ok := dns.IsDomainName(target); !ok {
		return "", 0, fmt.Errorf("%q is not a valid host name", target)
	}
	return dns.Fqdn(target), dns.TypeA, nil
}

func newDNSProbe(d DNS) (*dnsProbe, error) {
	qname, _, err := Query(d.Target)
	if err != nil {
		return nil, err
	}
	check, err := newChecker(d, qname)
	if err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	m.SetQuestion(qname, check.qtype)
	m.RecursionDesired = !d.NoRecursion
	if d.EDNSBufSize != 0 {
		m.SetEdns0(d.EDNSBufSize, false)
	}
	m.Id = 0
	packed, err := m.Pack()
	if err != nil {
		return nil, err
	}
	check.edns = d.EDNSBufSize != 0
	if !check.edns {
		check.question, check.qnameLen = wireQuestion(packed)
	}
	p := &dnsProbe{
		cfg:    d,
		server: netip.AddrPortFrom(d.NameServer, 53),
		query:  packed,
		check:  check,
		src:    d.SourceIP,
	}
	if !p.src.IsValid() {
		p.src = netip.IPv4Unspecified()
		if d.NameServer.Is6() {
			p.src = netip.IPv6Unspecified()
		}
	}
	if d.SourcePort != 0 {
		p.local = &net.UDPAddr{Port: int(d.SourcePort)}
		if d.SourceIP.IsValid() {
			p.local.IP = d.SourceIP.AsSlice()
		}
	}
	return p, nil
}

// Run sends one query and waits for its reply until ctx's deadline.
func (p *dnsProbe) Run(ctx context.Context) Outcome {
	start := time.Now()
	if p.cfg.TCP {
		return p.runTCP(ctx, start)
	}
	var (
		resp *dns.Msg
		rtt  time.Duration
		fail Outcome
	)
	if p.local != nil {
		resp, rtt, fail = p.runOwnSocket(ctx)
	} else {
		resp, rtt, fail = p.runShared(ctx)
	}
	if resp == nil {
		return fail
	}
	if resp.Truncated && p.cfg.TCPFallback {
		// The RTT then covers the whole lookup, UDP and TCP.
		return p.runTCP(ctx, start)
	}
	code, detail := p.check.classify(resp)
	return Outcome{Code: code, RTT: rtt, Detail: detail}
}

func (p *dnsProbe) packed(id uint16) []byte {
	msg := make([]byte, len(p.query))
	copy(msg, p.query)
	msg[0], msg[1] = byte(id>>8), byte(id)
	return msg
}

// runShared queries over the shared socket of p's source address.
// The RTT runs from the send, after the socket is ready.
func (p *dnsProbe) runShared(ctx context.Context) (*dns.Msg, time.Duration, Outcome) {
	w := &waiter{ch: make(chan delivery, 4)}
	m, id, err := registerAny(p.src, p.device, p.server, w)
	if err != nil {
		return nil, 0, Outcome{Code: CodeError, Detail: err.Error()}
	}
	defer m.unregister(p.server, id)
	start := time.Now()
	if err := m.sendTo(p.packed(id), p.server); err != nil {
		return nil, 0, sendError(err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil, 0, Outcome{Code: CodeTimeout}
		case d := <-w.ch:
			if d.err != nil {
				return nil, 0, readError(d.err)
			}
			resp := new(dns.Msg)
			if resp.Unpack(d.msg) != nil || !p.check.matches(id, resp) {
				continue // garbage or not the reply to this query: keep waiting
			}
			return resp, d.at.Sub(start), Outcome{}
		}
	}
}

// runOwnSocket queries from a socket of its own, bound to source-port.
func (p *dnsProbe) runOwnSocket(ctx context.Context) (*dns.Msg, time.Duration, Outcome) {
	d := net.Dialer{LocalAddr: p.local, Control: sockOpts{device: p.device, reuseAddr: true}.control}
	conn, err := d.DialContext(ctx, "udp", p.server.String())
	if err != nil {
		return nil, 0, Outcome{Code: CodeError, Detail: err.Error()}
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// Expiring the deadline when ctx is cancelled early unblocks the read.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	id := randomID()
	start := time.Now()
	if _, err := conn.Write(p.packed(id)); err != nil {
		return nil, 0, sendError(err)
	}
	buf := make([]byte, dns.MaxMsgSize)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return nil, 0, readError(err)
		}
		rtt := time.Since(start)
		resp := new(dns.Msg)
		if resp.Unpack(buf[:n]) != nil || !p.check.matches(id, resp) {
			continue
		}
		return resp, rtt, Outcome{}
	}
}

// runTCP queries over a fresh TCP connection (transport tcp, or the retry
// of a truncated reply). The RTT is from start, including the connect.
func (p *dnsProbe) runTCP(ctx context.Context, start time.Time) Outcome {
	d := net.Dialer{Control: sockOpts{device: p.device}.control}
	if p.cfg.SourceIP.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: p.cfg.SourceIP.AsSlice()}
	}
	conn, err := d.DialContext(ctx, "tcp", p.server.String())
	if err != nil {
		return readError(err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	id := randomID()
	q := p.packed(id)
	msg := make([]byte, 2+len(q))
	binary.BigEndian.PutUint16(msg, uint16(len(q)))
	copy(msg[2:], q)
	if _, err := conn.Write(msg); err != nil {
		return readError(err)
	}
	var l [2]byte
	if _, err := io.ReadFull(conn, l[:]); err != nil {
		return tcpReadError(err)
	}
	buf := make([]byte, binary.BigEndian.Uint16(l[:]))
	if _, err := io.ReadFull(conn, buf); err != nil {
		return tcpReadError(err)
	}
	rtt := time.Since(start)
	resp := new(dns.Msg)
	if err := resp.Unpack(buf); err != nil {
		return Outcome{Code: CodeDNSQueryError, RTT: rtt, Detail: "malformed reply over TCP: " + err.Error()}
	}
	if !p.check.matches(id, resp) {
		return Outcome{Code: CodeDNSQueryError, RTT: rtt, Detail: "the TCP reply does not match the query"}
	}
	code, detail := p.check.classify(resp)
	return Outcome{Code: code, RTT: rtt, Detail: detail}
}

// tcpReadError maps a failed read of a TCP reply: a server that closes
// the connection without answering has answered nothing (Timeout would
// hide it, so it is a DNS query error).
func tcpReadError(err error) Outcome {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		return Outcome{Code: CodeDNSQueryError, Detail: "connection closed without a reply"}
	}
	return readError(err)
}

func randomID() uint16 { return uint16(rand.Uint32()) }

// checker decides what a reply means for one operation.
type checker struct {
	// question is the packed question (owner name lowered, qnameLen
	// long) for the quick path; empty when the query has EDNS.
	question []byte
	qnameLen int
	edns     bool

	qname  string
	qtype  uint16
	rcodes DNS // for Accepts
	addr   netip.Addr
	re     *regexp.Regexp
	expect string
}

func newChecker(d DNS, qname string) (checker, error) {
	c := checker{qname: qname, qtype: d.Qtype(), rcodes: DNS{Rcodes: d.Rcodes}, expect: d.Expect}
	switch {
	case d.Expect == "":
	case d.ExpectRegexp:
		re, err := regexp.Compile(d.Expect)
		if err != nil {
			return checker{}, fmt.Errorf("expect-answer regexp: %w", err)
		}
		c.re = re
	default:
		a, err := netip.ParseAddr(d.Expect)
		if err != nil {
			return checker{}, fmt.Errorf("expect-answer: %q is not an address (use \"expect-answer regexp RE\" for other data)", d.Expect)
		}
		c.addr = a
	}
	return c, nil
}

func (c checker) matches(id uint16, r *dns.Msg) bool {
	if r.Id != id || !r.Response || len(r.Question) != 1 {
		return false
	}
	q := r.Question[0]
	return q.Qtype == c.qtype && q.Qclass == dns.ClassINET && dns.CanonicalName(q.Name) == dns.CanonicalName(c.qname)
}

// Classify applies IOS's DNS success rule as ipslad reads it
// (cisco-semantics §3.2) with no extensions configured: a reply with RCODE
// NOERROR and at least one answer record of the asked type is OK; any other
// reply (NXDOMAIN, SERVFAIL, REFUSED, an empty or wrong-type answer) is a
// DNS query error. The caller has already matched ID and question.
func Classify(qtype uint16, r *dns.Msg) (ReturnCode, string) {
	return checker{qtype: qtype}.classify(r)
}

// classify extends Classify with accept-rcode (a reply with an accepted
// RCODE other than NOERROR is OK whatever its answer) and expect-answer (at
// least one record of the asked type must carry the expected address or
// match the regular expression, else Verify error). The regular expression
// is matched, unanchored, against each record's data in zone-file form
// ("ns1.example.com." for PTR, the SOA fields) except TXT, whose strings
// are joined without quotes.
func (c checker) classify(r *dns.Msg) (ReturnCode, string) {
	if !c.rcodes.Accepts(r.Rcode) {
		return CodeDNSQueryError, "rcode " + rcodeName(r.Rcode)
	}
	if r.Rcode != dns.RcodeSuccess {
		return CodeOK, ""
	}
	var got []string
	for _, rr := range r.Answer {
		h := rr.Header()
		if h.Rrtype != c.qtype || h.Class != dns.ClassINET {
			continue
		}
		if c.re == nil && !c.addr.IsValid() {
			return CodeOK, ""
		}
		data := strings.TrimPrefix(rr.String(), h.String())
		if txt, ok := rr.(*dns.TXT); ok {
			data = strings.Join(txt.Txt, "") // TXT data without its quotes
		}
		switch {
		case c.re != nil:
			if c.re.MatchString(data) {
				return CodeOK, ""
			}
		case recordAddr(rr) == c.addr || data == c.addr.String():
			return CodeOK, ""
		}
		got = append(got, data)
	}
	switch {
	case len(got) > 0:
		return CodeVerifyError, fmt.Sprintf("answer %s, expected %s", strings.Join(got, ", "), c.expect)
	case r.Truncated:
		return CodeDNSQueryError, "truncated reply without an answer"
	}
	return CodeDNSQueryError, "no " + dns.TypeToString[c.qtype] + " record in the answer"
}

func recordAddr(rr dns.RR) netip.Addr {
	var a netip.Addr
	switch rr := rr.(type) {
	case *dns.A:
		a, _ = netip.AddrFromSlice(rr.A)
	case *dns.AAAA:
		a, _ = netip.AddrFromSlice(rr.AAAA)
	}
	return a.Unmap()
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return strconv.Itoa(rc)
}

func sendError(err error) Outcome {
	// No route or an unreachable host: IOS simply sees no answer.
	if errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH) {
		return Outcome{Code: CodeTimeout, Detail: err.Error()}
	}
	return Outcome{Code: CodeError, Detail: err.Error()}
}

func readError(err error) Outcome {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		// ICMP port unreachable: the host is there, the server is not.
		return Outcome{Code: CodeNoConnection, Detail: "connection refused"}
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return Outcome{Code: CodeTimeout, Detail: err.Error()}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, net.ErrClosed), isTimeout(err):
		return Outcome{Code: CodeTimeout}
	}
	return Outcome{Code: CodeError, Detail: err.Error()}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
