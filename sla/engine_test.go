package sla

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestSchedulerStarters runs real dns operations through the scheduler's
// goroutine-free path (starters on the shared socket) against in-process
// servers on 127.0.0.1, one per behaviour, and checks each operation's
// return code.
func TestSchedulerStarters(t *testing.T) {
	a := answer("anycast.example.com. 60 IN A 192.0.2.53")
	closed := func() netip.AddrPort {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).AddrPort()
	}()
	tests := []struct {
		name   string
		cfg    DNS
		server netip.AddrPort
		want   ReturnCode
	}{
		{name: "OK", server: startDNS(t, a), want: CodeOK},
		{name: "slow: over threshold", server: startDNS(t, slow(60*time.Millisecond, a)), want: CodeOverThreshold},
		{name: "no reply", server: startDNS(t, func(dns.ResponseWriter, *dns.Msg) {}), want: CodeTimeout},
		{name: "SERVFAIL", server: startDNS(t, rcode(dns.RcodeServerFailure)), want: CodeDNSQueryError},
		{name: "NXDOMAIN", server: startDNS(t, rcode(dns.RcodeNameError)), want: CodeDNSQueryError},
		{name: "NXDOMAIN accepted", cfg: DNS{Rcodes: 1<<dns.RcodeSuccess | 1<<dns.RcodeNameError},
			server: startDNS(t, rcode(dns.RcodeNameError)), want: CodeOK},
		{name: "REFUSED", server: startDNS(t, rcode(dns.RcodeRefused)), want: CodeDNSQueryError},
		{name: "wrong answer", cfg: DNS{Expect: "192.0.2.1"}, server: startDNS(t, a), want: CodeVerifyError},
		{name: "empty answer", server: startDNS(t, answer()), want: CodeDNSQueryError},
		{name: "truncated", server: startDNS(t, truncated), want: CodeDNSQueryError},
		{name: "truncated, TCP fallback", cfg: DNS{TCPFallback: true}, server: startDNSBoth(t, "127.0.0.1", truncated, a), want: CodeOK},
		{name: "mixed-case reply", server: startDNS(t, func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(r)
			m.Question[0].Name = "AnyCast.Example.COM."
			m.Answer = append(m.Answer, mustRR("anycast.example.com. 60 IN A 192.0.2.53"))
			w.WriteMsg(m)
		}), want: CodeOK},
		{name: "wrong question first", server: startDNS(t, func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(r)
			m.Question[0].Name = "other.example.com."
			w.WriteMsg(m)
			a(w, r)
		}), want: CodeOK},
		{name: "port unreachable", server: closed, want: CodeNoConnection},
	}
	servers := map[int]netip.AddrPort{}
	var ops []Operation
	for i, tc := range tests {
		op := testOp(i + 1)
		d := tc.cfg
		d.Target, d.NameServer = "anycast.example.com", tc.server.Addr()
		op.DNS = &d
		op.Threshold = 40 * time.Millisecond
		op.Timeout = 300 * time.Millisecond
		ops = append(ops, op)
		servers[op.ID] = tc.server
	}
	results := make(chan Result, 64)
	s := NewScheduler(results, NewProbe, nil)
	if s.starter == nil {
		t.Fatal("NewProbe did not select the starters")
	}
	s.starter = func(op Operation) starter {
		p, err := newDNSProbe(*op.DNS)
		if err != nil {
			t.Fatal(err)
		}
		p.server = servers[op.ID]
		return p
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if errs := s.Set(ops); len(errs) > 0 {
		t.Fatal(errs)
	}
	go s.Run(ctx)
	got := map[int]Result{}
	deadline := time.After(5 * time.Second)
	for len(got) < len(tests) {
		select {
		case r := <-results:
			if _, ok := got[r.ID]; !ok {
				got[r.ID] = r
			}
		case <-deadline:
			t.Fatalf("only %d of %d results", len(got), len(tests))
		}
	}
	for i, tc := range tests {
		r := got[i+1]
		if r.Code != tc.want {
			t.Errorf("%s: code %v (%s), want %v", tc.name, r.Code, r.Detail, tc.want)
		}
		if r.Code.Completed() != (r.RTT > 0) {
			t.Errorf("%s: code %v with RTT %v", tc.name, r.Code, r.RTT)
		}
	}
}

func TestQuickAgreesWithClassify(t *testing.T) {
	p, err := newDNSProbe(DNS{Target: "anycast.example.com", NameServer: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	const id = 4242
	reply := func(edit func(m *dns.Msg)) []byte {
		m := new(dns.Msg)
		m.SetQuestion("anycast.example.com.", dns.TypeA)
		m.Id, m.Response = id, true
		edit(m)
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := map[string][]byte{
		"A": reply(func(m *dns.Msg) { m.Answer = []dns.RR{mustRR("anycast.example.com. 60 IN A 192.0.2.53")} }),
		"CNAME+A": reply(func(m *dns.Msg) {
			m.Answer = []dns.RR{mustRR("anycast.example.com. 60 IN CNAME x.example."), mustRR("x.example. 60 IN A 192.0.2.1")}
		}),
		"TXT only":  reply(func(m *dns.Msg) { m.Answer = []dns.RR{mustRR(`anycast.example.com. 60 IN TXT "x"`)} }),
		"empty":     reply(func(m *dns.Msg) {}),
		"NXDOMAIN":  reply(func(m *dns.Msg) { m.Rcode = dns.RcodeNameError }),
		"upper":     reply(func(m *dns.Msg) { m.Question[0].Name = "ANYCAST.example.com." }),
		"other":     reply(func(m *dns.Msg) { m.Question[0].Name = "other.example.com." }),
		"AAAA q":    reply(func(m *dns.Msg) { m.Question[0].Qtype = dns.TypeAAAA }),
		"truncated": reply(func(m *dns.Msg) { m.Truncated = true }),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			code, detail, ok := p.check.quick(b, id)
			m := new(dns.Msg)
			if err := m.Unpack(b); err != nil {
				t.Fatal(err)
			}
			if !p.check.matches(id, m) {
				if ok { // "mismatch" or a full-path hand-off are both fine
					t.Errorf("quick = %v %q %v for a reply to another question", code, detail, ok)
				}
				return
			}
			wantCode, wantDetail := p.check.classify(m)
			if ok && (code != wantCode || detail != wantDetail) {
				t.Errorf("quick = %v %q, classify = %v %q", code, detail, wantCode, wantDetail)
			}
			if !ok && name != "truncated" {
				t.Errorf("quick declined a plain reply")
			}
		})
	}
}

// FuzzQuick: whenever the wire fast path decides, the full path (unpack,
// match, classify) must decide the same, and it never panics.
func FuzzQuick(f *testing.F) {
	m := new(dns.Msg)
	m.SetQuestion("anycast.example.com.", dns.TypeA)
	m.Id, m.Response = 4242, true
	m.Answer = []dns.RR{mustRR("anycast.example.com. 60 IN CNAME x.example."), mustRR("x.example. 60 IN A 192.0.2.1")}
	b, _ := m.Pack()
	f.Add(b)
	m.Answer, m.Rcode = nil, dns.RcodeNameError
	b, _ = m.Pack()
	f.Add(b)
	p, err := newDNSProbe(DNS{Target: "anycast.example.com", NameServer: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		code, detail, ok := p.check.quick(data, 4242)
		if !ok {
			return
		}
		r := new(dns.Msg)
		if r.Unpack(data) != nil {
			return // quick reads less than Unpack: a reply it accepts may be malformed later on
		}
		if !p.check.matches(4242, r) {
			t.Fatalf("quick decided %v for a reply that does not match the query", code)
		}
		if c, d := p.check.classify(r); c != code || d != detail {
			t.Fatalf("quick = %v %q, classify = %v %q", code, detail, c, d)
		}
	})
}
