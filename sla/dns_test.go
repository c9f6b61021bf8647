package sla

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// startDNS serves handler on a UDP socket bound to 127.0.0.1 before the
// test sends anything, so no sleep is needed.
func startDNS(t testing.TB, handler dns.HandlerFunc) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: handler}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

func answer(rrs ...string) dns.HandlerFunc {
	return func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		for _, s := range rrs {
			rr, err := dns.NewRR(s)
			if err != nil {
				panic(err)
			}
			m.Answer = append(m.Answer, rr)
		}
		w.WriteMsg(m)
	}
}

func rcode(code int) dns.HandlerFunc {
	return func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetRcode(r, code)
		w.WriteMsg(m)
	}
}

// probeAt builds a DNS probe aimed at a test server's port.
func probeAt(t *testing.T, target string, server netip.AddrPort) Probe {
	t.Helper()
	p, err := newDNSProbe(DNS{Target: target, NameServer: server.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	p.server = server
	return p.Run
}

func TestDNSProbe(t *testing.T) {
	tests := []struct {
		name    string
		target  string
		handler dns.HandlerFunc
		want    ReturnCode
	}{
		{"A answer", "anycast.example.com", answer("anycast.example.com. 60 IN A 192.0.2.53"), CodeOK},
		{"CNAME then A", "anycast.example.com", answer("anycast.example.com. 60 IN CNAME x.example.com.", "x.example.com. 60 IN A 192.0.2.53"), CodeOK},
		{"PTR for an address target", "192.0.2.53", answer("53.2.0.192.in-addr.arpa. 60 IN PTR anycast.example.com."), CodeOK},
		{"NXDOMAIN", "anycast.example.com", rcode(dns.RcodeNameError), CodeDNSQueryError},
		{"SERVFAIL", "anycast.example.com", rcode(dns.RcodeServerFailure), CodeDNSQueryError},
		{"REFUSED", "anycast.example.com", rcode(dns.RcodeRefused), CodeDNSQueryError},
		{"empty NOERROR", "anycast.example.com", answer(), CodeDNSQueryError},
		{"wrong type only", "anycast.example.com", answer("anycast.example.com. 60 IN TXT \"dns1\""), CodeDNSQueryError},
		{"no reply", "anycast.example.com", func(dns.ResponseWriter, *dns.Msg) {}, CodeTimeout},
		{"wrong ID then nothing", "anycast.example.com", func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(r)
			m.Id = r.Id + 1
			m.Answer = append(m.Answer, mustRR("anycast.example.com. 60 IN A 192.0.2.53"))
			w.WriteMsg(m)
		}, CodeTimeout},
		{"wrong question then nothing", "anycast.example.com", func(w dns.ResponseWriter, r *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(r)
			m.Question[0].Name = "other.example.com."
			m.Answer = append(m.Answer, mustRR("other.example.com. 60 IN A 192.0.2.53"))
			w.WriteMsg(m)
		}, CodeTimeout},
		{"garbage then the real reply", "anycast.example.com", func(w dns.ResponseWriter, r *dns.Msg) {
			w.Write([]byte{1, 2, 3})
			answer("anycast.example.com. 60 IN A 192.0.2.53")(w, r)
		}, CodeOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			probe := probeAt(t, tc.target, startDNS(t, tc.handler))
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			out := probe(ctx)
			if out.Code != tc.want {
				t.Fatalf("code = %v (%s), want %v", out.Code, out.Detail, tc.want)
			}
			if out.Code == CodeOK && out.RTT <= 0 {
				t.Errorf("OK with RTT %v", out.RTT)
			}
		})
	}
}

func TestDNSProbeRefused(t *testing.T) {
	// Bind a port and close it: the kernel answers with port unreachable.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if out := probeAt(t, "anycast.example.com", addr)(ctx); out.Code != CodeNoConnection {
		t.Fatalf("code = %v (%s), want No connection", out.Code, out.Detail)
	}
}

func TestDNSProbeSourceBinding(t *testing.T) {
	fromCh := make(chan netip.Addr, 1)
	server := startDNS(t, func(w dns.ResponseWriter, r *dns.Msg) {
		fromCh <- w.RemoteAddr().(*net.UDPAddr).AddrPort().Addr()
		answer("anycast.example.com. 60 IN A 192.0.2.53")(w, r)
	})
	p, err := newDNSProbe(DNS{Target: "anycast.example.com", NameServer: server.Addr(), SourceIP: netip.MustParseAddr("127.0.0.2")})
	if err != nil {
		t.Fatal(err)
	}
	p.server = server
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if out := p.Run(ctx); out.Code != CodeOK {
		t.Fatalf("code = %v (%s)", out.Code, out.Detail)
	}
	if from := <-fromCh; from != netip.MustParseAddr("127.0.0.2") {
		t.Errorf("query came from %v, want 127.0.0.2", from)
	}
}

func TestQuery(t *testing.T) {
	tests := []struct {
		target string
		name   string
		qtype  uint16
		bad    bool
	}{
		{target: "anycast.example.com", name: "anycast.example.com.", qtype: dns.TypeA},
		{target: "anycast.example.com.", name: "anycast.example.com.", qtype: dns.TypeA},
		{target: "192.0.2.53", name: "53.2.0.192.in-addr.arpa.", qtype: dns.TypePTR},
		{target: "bad name..", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			name, qtype, err := Query(tc.target)
			if tc.bad {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil || name != tc.name || qtype != tc.qtype {
				t.Fatalf("Query = %q %d %v, want %q %d", name, qtype, err, tc.name, tc.qtype)
			}
		})
	}
}

func mustRR(s string) dns.RR {
	rr, err := dns.NewRR(s)
	if err != nil {
		panic(err)
	}
	return rr
}

func FuzzClassify(f *testing.F) {
	m := new(dns.Msg)
	m.SetQuestion("anycast.example.com.", dns.TypeA)
	m.Response = true
	m.Answer = append(m.Answer, mustRR("anycast.example.com. 60 IN A 192.0.2.53"))
	b, _ := m.Pack()
	f.Add(b)
	f.Add([]byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := new(dns.Msg)
		if r.Unpack(data) != nil {
			return
		}
		code, _ := Classify(dns.TypeA, r)
		if code != CodeOK && code != CodeDNSQueryError {
			t.Fatalf("Classify returned %v", code)
		}
	})
}
