package sla

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
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
		return p.Run, nil
	}
	return nil, fmt.Errorf("ip sla %d: no operation type", op.ID)
}

// dnsProbe is the IOS dns operation: one UDP query to the name server,
// RTT from send to the matching reply (cisco-semantics §1.2, §3.2).
type dnsProbe struct {
	server netip.AddrPort
	local  *net.UDPAddr // nil: the kernel picks
	query  []byte       // packed query with ID 0; the ID is set per run
	qname  string
	qtype  uint16
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
	qname, qtype, err := Query(d.Target)
	if err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	m.SetQuestion(qname, qtype)
	m.RecursionDesired = true
	m.Id = 0
	packed, err := m.Pack()
	if err != nil {
		return nil, err
	}
	p := &dnsProbe{
		server: netip.AddrPortFrom(d.NameServer, 53),
		query:  packed,
		qname:  qname,
		qtype:  qtype,
	}
	if d.SourceIP.IsValid() || d.SourcePort != 0 {
		p.local = &net.UDPAddr{Port: int(d.SourcePort)}
		if d.SourceIP.IsValid() {
			p.local.IP = d.SourceIP.AsSlice()
		}
	}
	return p, nil
}

// Run sends one query and waits for its reply until ctx's deadline.
func (p *dnsProbe) Run(ctx context.Context) Outcome {
	conn, err := net.DialUDP("udp", p.local, net.UDPAddrFromAddrPort(p.server))
	if err != nil {
		return Outcome{Code: CodeError, Detail: err.Error()}
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// Closing the socket when ctx is cancelled early unblocks the read.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	id := dns.Id()
	msg := make([]byte, len(p.query))
	copy(msg, p.query)
	msg[0], msg[1] = byte(id>>8), byte(id)

	start := time.Now()
	if _, err := conn.Write(msg); err != nil {
		return sendError(err)
	}
	buf := make([]byte, dns.MaxMsgSize)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return readError(err)
		}
		rtt := time.Since(start)
		resp := new(dns.Msg)
		if resp.Unpack(buf[:n]) != nil {
			continue // garbage: keep waiting for the real reply, as a resolver does
		}
		if !p.matches(id, resp) {
			continue // not the reply to this query
		}
		code, detail := Classify(p.qtype, resp)
		return Outcome{Code: code, RTT: rtt, Detail: detail}
	}
}

func (p *dnsProbe) matches(id uint16, r *dns.Msg) bool {
	if r.Id != id || !r.Response || len(r.Question) != 1 {
		return false
	}
	q := r.Question[0]
	return q.Qtype == p.qtype && q.Qclass == dns.ClassINET && dns.CanonicalName(q.Name) == dns.CanonicalName(p.qname)
}

// Classify applies ipslad's DNS success rule (cisco-semantics §3.2): a reply
// with RCODE NOERROR and at least one answer record of the asked type is OK;
// any other reply (NXDOMAIN, SERVFAIL, REFUSED, an empty or wrong-type
// answer) is a DNS query error. The caller has already matched ID and question.
func Classify(qtype uint16, r *dns.Msg) (ReturnCode, string) {
	if r.Rcode != dns.RcodeSuccess {
		return CodeDNSQueryError, "rcode " + dns.RcodeToString[r.Rcode]
	}
	for _, rr := range r.Answer {
		if rr.Header().Rrtype == qtype && rr.Header().Class == dns.ClassINET {
			return CodeOK, ""
		}
	}
	if r.Truncated {
		return CodeDNSQueryError, "truncated reply without an answer"
	}
	return CodeDNSQueryError, "no " + dns.TypeToString[qtype] + " record in the answer"
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
