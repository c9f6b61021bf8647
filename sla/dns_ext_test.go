package sla

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// startDNSBoth serves udp and tcp handlers on the same port of addr
// (127.0.0.1 or ::1), as a real name server does.
func startDNSBoth(t *testing.T, addr string, udp, tcp dns.HandlerFunc) netip.AddrPort {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(addr, "0"))
		if err != nil {
			t.Skipf("no %s: %v", addr, err)
		}
		ap := pc.LocalAddr().(*net.UDPAddr).AddrPort()
		l, err := net.Listen("tcp", ap.String())
		if err != nil {
			pc.Close()
			continue // the port is taken for TCP: try another
		}
		us := &dns.Server{PacketConn: pc, Handler: udp}
		ts := &dns.Server{Listener: l, Handler: tcp}
		go us.ActivateAndServe()
		go ts.ActivateAndServe()
		t.Cleanup(func() { us.Shutdown(); ts.Shutdown() })
		return ap
	}
	t.Fatal("no free port for UDP and TCP")
	return netip.AddrPort{}
}

// truncated answers with TC set and no records, as a server whose answer
// does not fit in UDP.
func truncated(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Truncated = true
	w.WriteMsg(m)
}

func slow(d time.Duration, h dns.HandlerFunc) dns.HandlerFunc {
	return func(w dns.ResponseWriter, r *dns.Msg) {
		time.Sleep(d)
		h(w, r)
	}
}

// recordQuery records the query it was sent, then answers with h.
func recordQuery(got chan<- *dns.Msg, h dns.HandlerFunc) dns.HandlerFunc {
	return func(w dns.ResponseWriter, r *dns.Msg) {
		select {
		case got <- r.Copy():
		default:
		}
		h(w, r)
	}
}

func TestDNSProbeExtensions(t *testing.T) {
	const name = "anycast.example.com"
	a := answer("anycast.example.com. 60 IN A 192.0.2.53")
	tests := []struct {
		name     string
		cfg      DNS
		udp, tcp dns.HandlerFunc
		want     ReturnCode
		detail   string
	}{
		{name: "expected address", cfg: DNS{Expect: "192.0.2.53"}, udp: a, want: CodeOK},
		{name: "wrong address is a verify error", cfg: DNS{Expect: "192.0.2.54"}, udp: a, want: CodeVerifyError,
			detail: "answer 192.0.2.53, expected 192.0.2.54"},
		{name: "one of several addresses", cfg: DNS{Expect: "192.0.2.54"},
			udp: answer("anycast.example.com. 60 IN A 192.0.2.53", "anycast.example.com. 60 IN A 192.0.2.54"), want: CodeOK},
		{name: "AAAA", cfg: DNS{QueryType: dns.TypeAAAA, Expect: "2001:db8::53"},
			udp: answer("anycast.example.com. 60 IN AAAA 2001:db8::53"), want: CodeOK},
		{name: "AAAA asked, A given", cfg: DNS{QueryType: dns.TypeAAAA}, udp: a, want: CodeDNSQueryError, detail: "no AAAA record in the answer"},
		{name: "TXT regexp", cfg: DNS{QueryType: dns.TypeTXT, Expect: `^serial=20[0-9]+$`, ExpectRegexp: true},
			udp: answer(`anycast.example.com. 60 IN TXT "serial=2026112601"`), want: CodeOK},
		{name: "TXT regexp, stale data", cfg: DNS{QueryType: dns.TypeTXT, Expect: `serial=2026`, ExpectRegexp: true},
			udp: answer(`anycast.example.com. 60 IN TXT "serial=2019010101"`), want: CodeVerifyError},
		{name: "SOA", cfg: DNS{QueryType: dns.TypeSOA},
			udp: answer("anycast.example.com. 60 IN SOA ns1.example.com. admin.example.com. 1 2 3 4 5"), want: CodeOK},
		{name: "NXDOMAIN refused by default", udp: rcode(dns.RcodeNameError), want: CodeDNSQueryError, detail: "rcode NXDOMAIN"},
		{name: "NXDOMAIN accepted", cfg: DNS{Rcodes: 1<<dns.RcodeSuccess | 1<<dns.RcodeNameError},
			udp: rcode(dns.RcodeNameError), want: CodeOK},
		{name: "SERVFAIL not in the accepted set", cfg: DNS{Rcodes: 1<<dns.RcodeSuccess | 1<<dns.RcodeNameError},
			udp: rcode(dns.RcodeServerFailure), want: CodeDNSQueryError},
		{name: "REFUSED", udp: rcode(dns.RcodeRefused), want: CodeDNSQueryError, detail: "rcode REFUSED"},
		{name: "truncated without fallback", udp: truncated, tcp: a, want: CodeDNSQueryError,
			detail: "truncated reply without an answer"},
		{name: "truncated, retried over TCP", cfg: DNS{TCPFallback: true}, udp: truncated, tcp: a, want: CodeOK},
		{name: "truncated, TCP gives a wrong answer", cfg: DNS{TCPFallback: true, Expect: "192.0.2.1"},
			udp: truncated, tcp: a, want: CodeVerifyError},
		{name: "transport tcp", cfg: DNS{TCP: true}, udp: rcode(dns.RcodeRefused), tcp: a, want: CodeOK},
		{name: "transport tcp, SERVFAIL", cfg: DNS{TCP: true}, tcp: rcode(dns.RcodeServerFailure), want: CodeDNSQueryError},
		{name: "transport tcp, no reply", cfg: DNS{TCP: true}, tcp: func(dns.ResponseWriter, *dns.Msg) {}, want: CodeTimeout},
		{name: "slow server", udp: slow(time.Second, a), want: CodeTimeout},
		{name: "slow but within timeout", udp: slow(50*time.Millisecond, a), want: CodeOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.udp == nil {
				tc.udp = func(dns.ResponseWriter, *dns.Msg) {}
			}
			if tc.tcp == nil {
				tc.tcp = func(dns.ResponseWriter, *dns.Msg) {}
			}
			server := startDNSBoth(t, "127.0.0.1", tc.udp, tc.tcp)
			cfg := tc.cfg
			cfg.Target, cfg.NameServer = name, server.Addr()
			out := runAt(t, cfg, server, 400*time.Millisecond)
			if out.Code != tc.want {
				t.Fatalf("code = %v (%s), want %v", out.Code, out.Detail, tc.want)
			}
			if tc.detail != "" && out.Detail != tc.detail {
				t.Errorf("detail = %q, want %q", out.Detail, tc.detail)
			}
			if tc.want == CodeOK && out.RTT <= 0 {
				t.Errorf("OK with RTT %v", out.RTT)
			}
		})
	}
}

func runAt(t *testing.T, cfg DNS, server netip.AddrPort, timeout time.Duration) Outcome {
	t.Helper()
	p, err := newDNSProbe(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.server = server
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Run(ctx)
}

// The query carries the configured flags: RD, EDNS buffer size, type.
func TestDNSProbeQueryFlags(t *testing.T) {
	tests := []struct {
		name  string
		cfg   DNS
		rd    bool
		edns  uint16 // 0: no OPT record
		qtype uint16
	}{
		{name: "IOS default", rd: true, qtype: dns.TypeA},
		{name: "no recursion-desired", cfg: DNS{NoRecursion: true}, qtype: dns.TypeA},
		{name: "edns buffer-size 1232", cfg: DNS{EDNSBufSize: 1232}, rd: true, edns: 1232, qtype: dns.TypeA},
		{name: "query-type TXT", cfg: DNS{QueryType: dns.TypeTXT}, rd: true, qtype: dns.TypeTXT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan *dns.Msg, 1)
			server := startDNS(t, recordQuery(got, rcode(dns.RcodeRefused)))
			cfg := tc.cfg
			cfg.Target, cfg.NameServer = "anycast.example.com", server.Addr()
			runAt(t, cfg, server, time.Second)
			q := <-got
			if q.RecursionDesired != tc.rd {
				t.Errorf("RD = %v, want %v", q.RecursionDesired, tc.rd)
			}
			var size uint16
			if opt := q.IsEdns0(); opt != nil {
				size = opt.UDPSize()
			}
			if size != tc.edns {
				t.Errorf("EDNS buffer size = %d, want %d", size, tc.edns)
			}
			if q.Question[0].Qtype != tc.qtype {
				t.Errorf("qtype = %s, want %s", dns.TypeToString[q.Question[0].Qtype], dns.TypeToString[tc.qtype])
			}
		})
	}
}

func TestDNSProbeIPv6(t *testing.T) {
	a := answer("anycast.example.com. 60 IN A 192.0.2.53")
	server := startDNSBoth(t, "::1", a, a)
	for _, tcp := range []bool{false, true} {
		out := runAt(t, DNS{Target: "anycast.example.com", NameServer: server.Addr(), TCP: tcp}, server, time.Second)
		if out.Code != CodeOK {
			t.Errorf("tcp=%v: code = %v (%s)", tcp, out.Code, out.Detail)
		}
	}
	// An IPv6 address target asks for its PTR under ip6.arpa.
	got := make(chan *dns.Msg, 1)
	ptr := startDNSBoth(t, "::1", recordQuery(got, answer("3.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 60 IN PTR dns1.example.com.")), nil)
	out := runAt(t, DNS{Target: "2001:db8::53", NameServer: ptr.Addr()}, ptr, time.Second)
	if out.Code != CodeOK {
		t.Fatalf("PTR: code = %v (%s)", out.Code, out.Detail)
	}
	if q := (<-got).Question[0]; q.Qtype != dns.TypePTR {
		t.Errorf("qtype = %d", q.Qtype)
	}
}

func TestDNSProbeTCPRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr).AddrPort()
	l.Close()
	out := runAt(t, DNS{Target: "anycast.example.com", NameServer: addr.Addr(), TCP: true}, addr, time.Second)
	if out.Code != CodeNoConnection {
		t.Fatalf("code = %v (%s), want No connection", out.Code, out.Detail)
	}
}

// Many probes share one socket: each gets its own reply, even when the
// server answers them out of order.
func TestDNSProbeSharedSocketDemux(t *testing.T) {
	server := startDNS(t, func(w dns.ResponseWriter, r *dns.Msg) {
		// Answer with the question's first label as the address's last byte.
		var b byte
		for _, c := range r.Question[0].Name {
			if c == '.' {
				break
			}
			b = b*10 + byte(c-'0')
		}
		go func() {
			time.Sleep(time.Duration(255-b) * 100 * time.Microsecond)
			m := new(dns.Msg)
			m.SetReply(r)
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
				A: net.IPv4(192, 0, 2, b)})
			w.WriteMsg(m)
		}()
	})
	const n = 50
	errs := make(chan string, n)
	for i := range n {
		go func() {
			cfg := DNS{Target: strconv.Itoa(i) + ".example.com", NameServer: server.Addr(), Expect: "192.0.2." + strconv.Itoa(i)}
			out := runAt(t, cfg, server, 2*time.Second)
			if out.Code != CodeOK {
				errs <- out.Code.String() + " " + out.Detail
				return
			}
			errs <- ""
		}()
	}
	for range n {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}
