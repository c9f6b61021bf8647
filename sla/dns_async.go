package sla

import (
	"context"
	"encoding/binary"
	"net"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// A starter runs one probe without a goroutine of its own: start sends,
// and done is called exactly once, from whichever goroutine completes the
// run (the shared socket's reader, or the caller when sending fails). When
// start returns an expire function the caller must call it at the
// deadline (a no-op if the run is over), which ends the run as a timeout;
// otherwise the starter keeps the deadline itself. The scheduler prefers
// starters to Probe: at 10,000 operations a second a goroutine, a context,
// a timer and a channel hand-off per run cost more CPU than the query.
//
// With a batch, start may queue its datagram there instead of sending it:
// the caller flushes the batch once it has started every run due at the
// same time, and the queued runs' RTT counts from the flush.
type starter interface {
	start(deadline time.Time, done func(Outcome), b *sendBatch) (expire func())
}

// newStarter returns op's starter, or nil when its type has none.
func newStarter(op Operation) starter {
	if op.DNS == nil {
		return nil
	}
	p, err := newDNSProbe(*op.DNS)
	if err != nil {
		return nil
	}
	p.device = op.VRF
	return p
}

func (p *dnsProbe) start(deadline time.Time, done func(Outcome), b *sendBatch) func() {
	if p.cfg.TCP || p.local != nil {
		go p.runSync(deadline, time.Now(), done, p.Run)
		return nil
	}
	// start is set before the query can receive anything: a stray reply
	// with its server, ID and question (a late answer to an earlier
	// query, as from a server resumed after a pause) may arrive between
	// registering and sending. The batch's flush sets it again.
	q := &asyncQuery{p: p, done: done, deadline: deadline, start: time.Now()}
	m, id, err := registerAny(p.src, p.device, p.server, q)
	if err != nil {
		done(Outcome{Code: CodeError, Detail: err.Error()})
		return nil
	}
	if b != nil && m.batch != nil {
		b.add(q, p.packed(id))
		return q.expire
	}
	if err := m.sendTo(p.packed(id), p.server); err != nil {
		q.finish(sendError(err))
		return nil
	}
	return q.expire
}

// udpAddr returns the server's address as a *net.UDPAddr, made once.
func (p *dnsProbe) udpAddr() *net.UDPAddr {
	if p.serverUDP == nil || p.serverUDP.AddrPort() != p.server {
		p.serverUDP = net.UDPAddrFromAddrPort(p.server)
	}
	return p.serverUDP
}

func (q *asyncQuery) bound(m *udpMux, id uint16) { q.m, q.id = m, id }

func (q *asyncQuery) expire() { q.finish(Outcome{Code: CodeTimeout}) }

// runSync runs f (a blocking probe) in the calling goroutine with the
// deadline as a context.
func (p *dnsProbe) runSync(deadline, start time.Time, done func(Outcome), f func(context.Context) Outcome) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	done(f(ctx))
}

// asyncQuery is one outstanding query of a starter on the shared socket.
type asyncQuery struct {
	p        *dnsProbe
	m        *udpMux
	id       uint16
	done     func(Outcome)
	deadline time.Time
	start    time.Time
	finished atomic.Bool
}

func (q *asyncQuery) finish(out Outcome) {
	if !q.finished.CompareAndSwap(false, true) {
		return
	}
	q.m.unregister(q.p.server, q.id)
	q.done(out)
}

// handle runs in the reader goroutine.
func (q *asyncQuery) handle(d delivery) {
	if d.err != nil {
		q.finish(readError(d.err))
		return
	}
	if q.finished.Load() {
		return
	}
	rtt := max(d.at.Sub(q.start), 0)
	if code, detail, ok := q.p.check.quick(d.msg, q.id); ok {
		q.finish(Outcome{Code: code, RTT: rtt, Detail: detail})
		return
	} else if code == CodeUnknown && detail == "mismatch" {
		return // not the reply to this query: keep waiting
	}
	resp := new(dns.Msg)
	if resp.Unpack(d.msg) != nil || !q.p.check.matches(q.id, resp) {
		return // garbage or not the reply to this query: keep waiting
	}
	if resp.Truncated && q.p.cfg.TCPFallback {
		if !q.finished.CompareAndSwap(false, true) {
			return
		}
		q.m.unregister(q.p.server, q.id)
		// The RTT then covers the whole lookup, UDP and TCP.
		go q.p.runSync(q.deadline, q.start, q.done, func(ctx context.Context) Outcome { return q.p.runTCP(ctx, q.start) })
		return
	}
	code, detail := q.p.check.classify(resp)
	q.finish(Outcome{Code: code, RTT: rtt, Detail: detail})
}

// quick classifies a reply straight from the wire when the operation asks
// nothing beyond IOS (no expect-answer, no EDNS): header, question and the
// answer records' types, without unpacking records. It returns ok false to
// ask for the full path, and detail "mismatch" (with CodeUnknown) for a
// well-formed reply to another query.
func (c checker) quick(msg []byte, id uint16) (ReturnCode, string, bool) {
	if c.re != nil || c.addr.IsValid() || c.edns || len(msg) < 12 || len(c.question) == 0 {
		return CodeUnknown, "", false
	}
	if binary.BigEndian.Uint16(msg) != id || msg[2]&0x80 == 0 || binary.BigEndian.Uint16(msg[4:]) != 1 {
		return CodeUnknown, "", false // let the full path judge it
	}
	if msg[2]&0x02 != 0 {
		return CodeUnknown, "", false // truncated: the full path knows what to do
	}
	q := msg[12:]
	if len(q) < len(c.question) {
		return CodeUnknown, "", false
	}
	for i, b := range c.question {
		got := q[i]
		if i < c.qnameLen {
			got = lower(got) // DNS names compare case-insensitively
		}
		if got != b {
			if i < c.qnameLen && q[i]&0xC0 == 0xC0 {
				return CodeUnknown, "", false // a compressed question: unusual, full path
			}
			return CodeUnknown, "mismatch", false
		}
	}
	rcode := int(msg[3] & 0x0F)
	if !c.rcodes.Accepts(rcode) {
		return CodeDNSQueryError, "rcode " + rcodeName(rcode), true
	}
	if rcode != dns.RcodeSuccess {
		return CodeOK, "", true
	}
	an := int(binary.BigEndian.Uint16(msg[6:]))
	off := 12 + len(c.question)
	for range an {
		// Skip the owner name: labels, ending in a zero or a pointer.
		for {
			if off >= len(msg) {
				return CodeUnknown, "", false
			}
			l := int(msg[off])
			if l&0xC0 == 0xC0 {
				// Only a pointer to the question's name (offset 12, checked
				// above) is known good here; any other may loop or point
				// out of the message: the full path judges it.
				if off+1 >= len(msg) || int(binary.BigEndian.Uint16(msg[off:])&0x3FFF) != 12 {
					return CodeUnknown, "", false
				}
				off += 2
				break
			}
			if l&0xC0 != 0 {
				return CodeUnknown, "", false
			}
			off += 1 + l
			if l == 0 {
				break
			}
		}
		if off+10 > len(msg) {
			return CodeUnknown, "", false
		}
		typ, class := binary.BigEndian.Uint16(msg[off:]), binary.BigEndian.Uint16(msg[off+2:])
		rdlen := int(binary.BigEndian.Uint16(msg[off+8:]))
		off += 10 + rdlen
		if off > len(msg) {
			return CodeUnknown, "", false
		}
		if typ == c.qtype && class == dns.ClassINET {
			return CodeOK, "", true
		}
	}
	return CodeDNSQueryError, "no " + dns.TypeToString[c.qtype] + " record in the answer", true
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// wireQuestion returns the question section of a packed query without
// EDNS, its owner name in lower case, and the length of that name.
func wireQuestion(packed []byte) ([]byte, int) {
	if len(packed) < 12 {
		return nil, 0
	}
	q := append([]byte(nil), packed[12:]...)
	i := 0
	for i < len(q) && q[i] != 0 {
		for j := i + 1; j <= i+int(q[i]) && j < len(q); j++ {
			q[j] = lower(q[j])
		}
		i += 1 + int(q[i])
	}
	if i+5 != len(q) { // the root label, type and class end the query
		return nil, 0
	}
	return q, i + 1
}
