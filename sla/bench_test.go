package sla

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The benchmarks below measure the client side against an in-process
// server, whose CPU counts too: compare them with each other, not with
// the bench/probes figures against nsd.

func BenchmarkDNSProbeShared(b *testing.B) {
	server := startDNS(b, answer("anycast.example.com. 60 IN A 192.0.2.53"))
	p, err := newDNSProbe(DNS{Target: "anycast.example.com", NameServer: server.Addr()})
	if err != nil {
		b.Fatal(err)
	}
	p.server = server
	ctx := context.Background()
	for b.Loop() {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		if out := p.Run(rctx); out.Code != CodeOK {
			b.Fatal(out.Code, out.Detail)
		}
		cancel()
	}
}

func BenchmarkDNSStarterShared(b *testing.B) {
	server := startDNS(b, answer("anycast.example.com. 60 IN A 192.0.2.53"))
	p, err := newDNSProbe(DNS{Target: "anycast.example.com", NameServer: server.Addr()})
	if err != nil {
		b.Fatal(err)
	}
	p.server = server
	done := make(chan Outcome, 1)
	for b.Loop() {
		p.start(time.Now().Add(time.Second), func(o Outcome) { done <- o }, nil)
		if out := <-done; out.Code != CodeOK {
			b.Fatal(out.Code, out.Detail)
		}
	}
}

// BenchmarkMiekgExchangeReused is the baseline: a bare exchange on one
// long-lived socket.
func BenchmarkMiekgExchangeReused(b *testing.B) {
	server := startDNS(b, answer("anycast.example.com. 60 IN A 192.0.2.53"))
	c := new(dns.Client)
	conn, err := c.Dial(server.String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	m := new(dns.Msg)
	m.SetQuestion("anycast.example.com.", dns.TypeA)
	for b.Loop() {
		m.Id = dns.Id()
		if _, _, err := c.ExchangeWithConn(m, conn); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMiekgExchangeFresh(b *testing.B) {
	server := startDNS(b, answer("anycast.example.com. 60 IN A 192.0.2.53"))
	c := new(dns.Client)
	m := new(dns.Msg)
	m.SetQuestion("anycast.example.com.", dns.TypeA)
	for b.Loop() {
		if _, _, err := c.Exchange(m, server.String()); err != nil {
			b.Fatal(err)
		}
	}
}

func replyBytes(b *testing.B) ([]byte, *dnsProbe, uint16) {
	p, err := newDNSProbe(DNS{Target: "anycast.example.com", NameServer: netipLoopback})
	if err != nil {
		b.Fatal(err)
	}
	m := new(dns.Msg)
	m.SetQuestion("anycast.example.com.", dns.TypeA)
	m.Id, m.Response = 7, true
	m.Answer = []dns.RR{mustRR("anycast.example.com. 60 IN A 192.0.2.53")}
	buf, _ := m.Pack()
	return buf, p, 7
}

// BenchmarkClassifyQuick and BenchmarkClassifyUnpack compare the wire
// fast path with unpacking the reply.
func BenchmarkClassifyQuick(b *testing.B) {
	buf, p, id := replyBytes(b)
	for b.Loop() {
		if c, _, ok := p.check.quick(buf, id); !ok || c != CodeOK {
			b.Fatal(c)
		}
	}
}

func BenchmarkClassifyUnpack(b *testing.B) {
	buf, p, id := replyBytes(b)
	for b.Loop() {
		m := new(dns.Msg)
		if m.Unpack(buf) != nil || !p.check.matches(id, m) {
			b.Fatal("no match")
		}
		if c, _ := p.check.classify(m); c != CodeOK {
			b.Fatal(c)
		}
	}
}

var netipLoopback = netip.MustParseAddr("127.0.0.1")
