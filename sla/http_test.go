package sla

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// rawServer is an HTTP server on 127.0.0.1 written by hand, so that the
// test sees the request exactly as it arrived. It reads a request up to
// its blank line (or, with n > 0, exactly n bytes), hands it to check on
// the channel, and answers with reply.
type rawServer struct {
	port uint16
	got  chan []byte
	peer chan netip.AddrPort
}

func newRawServer(t *testing.T, n int, reply string) *rawServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s := &rawServer{port: l.Addr().(*net.TCPAddr).AddrPort().Port(), got: make(chan []byte, 10), peer: make(chan netip.AddrPort, 10)}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				var req []byte
				if n > 0 {
					req = make([]byte, n)
					if _, err := io.ReadFull(c, req); err != nil {
						return
					}
				} else {
					br := bufio.NewReader(c)
					for {
						line, err := br.ReadBytes('\n')
						req = append(req, line...)
						if err != nil || string(line) == "\r\n" {
							break
						}
					}
				}
				s.peer <- c.RemoteAddr().(*net.TCPAddr).AddrPort()
				s.got <- req
				io.WriteString(c, reply)
			}()
		}
	}()
	return s
}

func (s *rawServer) request(t *testing.T) []byte {
	t.Helper()
	select {
	case r := <-s.got:
		return r
	case <-time.After(2 * time.Second):
		t.Fatal("the server got no request")
	}
	return nil
}

const ok10 = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfine"

func httpOp(h HTTP) Operation {
	op := NewOperation(1)
	op.HTTP = &h
	return op
}

func runHTTP(t *testing.T, op Operation, nsPort uint16) Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return newHTTPProbePort(op, nsPort)(ctx)
}

func TestHTTPGetRequest(t *testing.T) {
	tests := []struct {
		name      string
		h         HTTP
		firstLine string
		has, not  []string
	}{
		{"IOS default version 1.0", HTTP{URL: "/status?a=1"}, "GET /status?a=1 HTTP/1.0\r\n",
			[]string{"Host: 127.0.0.1:PORT\r\n", "Connection: close\r\n"}, []string{"no-cache"}},
		{"version 1.1", HTTP{URL: "/", Version: "1.1"}, "GET / HTTP/1.1\r\n",
			[]string{"Host: 127.0.0.1:PORT\r\n"}, nil},
		{"version 1.0", HTTP{URL: "", Version: "1.0"}, "GET / HTTP/1.0\r\n", nil, nil},
		{"cache disable", HTTP{URL: "/", NoCache: true}, "GET / HTTP/1.0\r\n",
			[]string{"Cache-Control: no-cache\r\n", "Pragma: no-cache\r\n"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRawServer(t, 0, ok10)
			base := "http://127.0.0.1:" + itoa(srv.port)
			h := tc.h
			h.URL = base + h.URL
			if out := runHTTP(t, httpOp(h), 53); out.Code != CodeOK || out.RTT <= 0 {
				t.Fatalf("code = %v (%s) rtt %v, want OK", out.Code, out.Detail, out.RTT)
			}
			req := string(srv.request(t))
			if !strings.HasPrefix(req, tc.firstLine) {
				t.Errorf("request line %q, want %q", strings.SplitAfter(req, "\n")[0], tc.firstLine)
			}
			for _, s := range tc.has {
				if s = strings.ReplaceAll(s, "PORT", itoa(srv.port)); !strings.Contains(req, s) {
					t.Errorf("request lacks %q:\n%s", s, req)
				}
			}
			for _, s := range tc.not {
				if strings.Contains(req, s) {
					t.Errorf("request has %q:\n%s", s, req)
				}
			}
		})
	}
}

func TestHTTPStatusAndErrors(t *testing.T) {
	tests := []struct {
		name, reply string
		want        ReturnCode
	}{
		{"301", "HTTP/1.0 301 Moved Permanently\r\nLocation: /x\r\n\r\n", CodeOK},
		{"302", "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", CodeOK},
		{"500", "HTTP/1.0 500 Internal Server Error\r\n\r\n", CodeHTTPError},
		{"not HTTP", "SSH-2.0-OpenSSH_9.2\r\n", CodeHTTPError},
		{"closed without a reply", "", CodeHTTPError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRawServer(t, 0, tc.reply)
			out := runHTTP(t, httpOp(HTTP{URL: "http://127.0.0.1:" + itoa(srv.port) + "/"}), 53)
			if out.Code != tc.want {
				t.Fatalf("code = %v (%s), want %v", out.Code, out.Detail, tc.want)
			}
		})
	}
}

// TestHTTPRaw: the raw request arrives byte for byte, and the reply's
// status line is classified as for get.
func TestHTTPRaw(t *testing.T) {
	raw := "GET /raw HTTP/1.0\r\nAuthorization: Basic aXBtOmNpc2Nv\r\nX-Odd:  two  spaces \r\n\r\n"
	tests := []struct {
		name, raw, reply string
		want             ReturnCode
	}{
		{"200", raw, ok10, CodeOK},
		{"404", raw, "HTTP/1.0 404 Not Found\r\n\r\n", CodeHTTPError},
		// HEAD: a Content-Length but no body; the probe must not wait for one.
		{"HEAD", "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", CodeOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRawServer(t, len(tc.raw), tc.reply)
			h := HTTP{URL: "http://127.0.0.1:" + itoa(srv.port) + "/ignored", Raw: true, RawRequest: tc.raw, Version: "1.1", NoCache: true}
			out := runHTTP(t, httpOp(h), 53)
			if out.Code != tc.want {
				t.Fatalf("code = %v (%s), want %v", out.Code, out.Detail, tc.want)
			}
			if got := srv.request(t); string(got) != tc.raw {
				t.Errorf("server got %q, want %q", got, tc.raw)
			}
		})
	}
	t.Run("no request", func(t *testing.T) {
		if out := runHTTP(t, httpOp(HTTP{URL: "http://127.0.0.1/", Raw: true}), 53); out.Code != CodeError {
			t.Fatalf("code = %v (%s), want Error", out.Code, out.Detail)
		}
	})
}

// TestHTTPProxy: the proxy gets the absolute-URI form and the target's
// name is not looked up locally (.invalid never resolves).
func TestHTTPProxy(t *testing.T) {
	proxy := newRawServer(t, 0, ok10)
	h := HTTP{URL: "http://www.example.invalid:8080/status?x=1", Proxy: "http://127.0.0.1:" + itoa(proxy.port)}
	if out := runHTTP(t, httpOp(h), 53); out.Code != CodeOK {
		t.Fatalf("code = %v (%s), want OK", out.Code, out.Detail)
	}
	req := string(proxy.request(t))
	if want := "GET http://www.example.invalid:8080/status?x=1 HTTP/1.0\r\nHost: www.example.invalid:8080\r\n"; !strings.HasPrefix(req, want) {
		t.Errorf("proxy got\n%q\nwant it to start with\n%q", req, want)
	}

	t.Run("raw through the proxy", func(t *testing.T) {
		raw := "GET http://5.0.0.2/index.html HTTP/1.0 \r\n\r\n"
		proxy := newRawServer(t, len(raw), ok10)
		h := HTTP{URL: "http://www.example.invalid/", Raw: true, RawRequest: raw, Proxy: "http://127.0.0.1:" + itoa(proxy.port)}
		if out := runHTTP(t, httpOp(h), 53); out.Code != CodeOK {
			t.Fatalf("code = %v (%s), want OK", out.Code, out.Detail)
		}
		if got := proxy.request(t); string(got) != raw {
			t.Errorf("proxy got %q, want %q", got, raw)
		}
	})
	t.Run("refused", func(t *testing.T) {
		h := HTTP{URL: "http://www.example.invalid/", Proxy: "http://127.0.0.1:" + itoa(freePort(t, "tcp"))}
		if out := runHTTP(t, httpOp(h), 53); out.Code != CodeSocketConnectError {
			t.Fatalf("code = %v (%s), want Socket connect error", out.Code, out.Detail)
		}
	})
}

// dnsServer answers A queries for the names in zone on 127.0.0.1 (UDP),
// with no record for a name whose address is "" and NXDOMAIN for names
// not in zone; it counts the queries.
func dnsServer(t *testing.T, zone map[string]string) (uint16, *atomic.Int32) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		n.Add(1)
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		a, ok := zone[q.Name]
		switch {
		case !ok:
			m.Rcode = dns.RcodeNameError
		case q.Qtype == dns.TypeA && a != "":
			rr, err := dns.NewRR(q.Name + " 60 IN A " + a)
			if err != nil {
				panic(err)
			}
			m.Answer = append(m.Answer, rr)
		}
		w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().(*net.UDPAddr).AddrPort().Port(), &n
}

// TestHTTPNameServer: the URL's host is resolved through the operation's
// name-server, not the system resolver (.test names resolve nowhere
// else).
func TestHTTPNameServer(t *testing.T) {
	web := newRawServer(t, 0, ok10)
	nsPort, queries := dnsServer(t, map[string]string{"www.ipslad.test.": "127.0.0.1", "empty.ipslad.test.": ""})
	tests := []struct {
		name, host string
		want       ReturnCode
	}{
		{"resolved", "www.ipslad.test", CodeOK},
		{"NXDOMAIN", "missing.ipslad.test", CodeDNSQueryError},
		{"no address record", "empty.ipslad.test", CodeDNSQueryError},
		{"an address needs no lookup", "127.0.0.1", CodeOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := queries.Load()
			h := HTTP{URL: "http://" + tc.host + ":" + itoa(web.port) + "/", NameServer: lo}
			out := runHTTP(t, httpOp(h), nsPort)
			if out.Code != tc.want {
				t.Fatalf("code = %v (%s), want %v", out.Code, out.Detail, tc.want)
			}
			asked := queries.Load() > before
			if _, err := netip.ParseAddr(tc.host); (err == nil) == asked {
				t.Errorf("name server asked: %v", asked)
			}
			if tc.want == CodeOK {
				if req := string(web.request(t)); !strings.Contains(req, "Host: "+tc.host+":") {
					t.Errorf("Host header missing:\n%s", req)
				}
			}
		})
	}
	t.Run("no reply", func(t *testing.T) {
		silent, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		h := HTTP{URL: "http://www.ipslad.test/", NameServer: lo}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		out := newHTTPProbePort(httpOp(h), silent.LocalAddr().(*net.UDPAddr).AddrPort().Port())(ctx)
		if out.Code != CodeTimeout {
			t.Fatalf("code = %v (%s), want Timeout", out.Code, out.Detail)
		}
	})
}

// TestHTTPSource: the connection leaves from source-ip and source-port.
func TestHTTPSource(t *testing.T) {
	srv := newRawServer(t, 0, ok10)
	src := netip.MustParseAddr("127.0.0.2")
	sport := freePort(t, "tcp")
	h := HTTP{URL: "http://127.0.0.1:" + itoa(srv.port) + "/", SourceIP: src, SourcePort: sport}
	for run := range 2 { // twice: the fixed port is rebound despite TIME_WAIT
		if out := runHTTP(t, httpOp(h), 53); out.Code != CodeOK {
			t.Fatalf("run %d: code = %v (%s), want OK", run, out.Code, out.Detail)
		}
		srv.request(t)
		if got := <-srv.peer; got != netip.AddrPortFrom(src, sport) {
			t.Errorf("run %d: connection from %v, want %v", run, got, netip.AddrPortFrom(src, sport))
		}
	}
}

// TestHTTPS: an https URL, directly and tunnelled through a proxy with
// CONNECT; the server's certificate is verified.
func TestHTTPS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	run := func(t *testing.T, h HTTP) Outcome {
		p, err := buildHTTPProbe(httpOp(h), 53)
		if err != nil {
			t.Fatal(err)
		}
		p.tls.RootCAs = pool
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return p.run(ctx)
	}
	if out := run(t, HTTP{URL: srv.URL + "/ok"}); out.Code != CodeOK {
		t.Errorf("code = %v (%s), want OK", out.Code, out.Detail)
	}
	if out := run(t, HTTP{URL: srv.URL + "/missing"}); out.Code != CodeHTTPError {
		t.Errorf("code = %v (%s), want HTTP error", out.Code, out.Detail)
	}
	t.Run("through a proxy", func(t *testing.T) {
		// A CONNECT proxy that splices the tunnel to srv.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		connects := make(chan string, 1)
		go func() {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			connects <- req.Method + " " + req.Host
			up, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				return
			}
			defer up.Close()
			io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
			go io.Copy(up, br)
			io.Copy(c, up)
		}()
		h := HTTP{URL: srv.URL + "/ok", Proxy: "http://" + l.Addr().String()}
		if out := run(t, h); out.Code != CodeOK {
			t.Fatalf("code = %v (%s), want OK", out.Code, out.Detail)
		}
		if got, want := <-connects, "CONNECT "+srv.Listener.Addr().String(); got != want {
			t.Errorf("proxy got %q, want %q", got, want)
		}
	})
}

// TestHTTPBodyRead: the RTT covers the whole response, and a body that
// never ends is a Timeout, not OK.
func TestHTTPBodyRead(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 100\r\n\r\n")
				c.Write(bytes.Repeat([]byte("x"), 10))
				time.Sleep(2 * time.Second)
			}()
		}
	}()
	h := HTTP{URL: "http://" + l.Addr().String() + "/"}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if out := newHTTPProbe(httpOp(h))(ctx); out.Code != CodeTimeout {
		t.Fatalf("code = %v (%s), want Timeout", out.Code, out.Detail)
	}
}

// BenchmarkHTTPProbe measures one http get run against a loopback server
// (fresh connection each time, as the probe does), next to net/http doing
// the same GET with keep-alives off, in the same run.
//
//	go test ./sla -run '^$' -bench HTTPProbe -benchtime 2000x
func BenchmarkHTTPProbe(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fine") }))
	defer srv.Close()
	b.Run("ipslad", func(b *testing.B) {
		probe := newHTTPProbe(httpOp(HTTP{URL: srv.URL + "/"}))
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			if out := probe(ctx); out.Code != CodeOK {
				b.Fatalf("code = %v (%s)", out.Code, out.Detail)
			}
			cancel()
		}
	})
	b.Run("net/http", func(b *testing.B) {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		for b.Loop() {
			resp, err := client.Get(srv.URL + "/")
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
