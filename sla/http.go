package sla

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// The http operation is a small HTTP/1.x client of its own rather than
// net/http's, so that the request line carries the configured version
// (net/http always sends HTTP/1.1), the socket is bound to source-ip and
// source-port, the host name can be resolved through the operation's
// name-server, and a raw request goes out byte for byte. Responses are
// parsed with net/http's ReadResponse, which reads HTTP/1.0 and 1.1.

// maxHTTPRead bounds what one run reads from the server: headers and the
// body it drains (the body is read to measure the whole transaction).
const maxHTTPRead = 1<<20 + 64<<10

type httpProbe struct {
	op      Operation
	h       HTTP
	target  *url.URL
	proxy   *url.URL // nil without proxy
	request []byte   // what is sent: the GET built once, or the raw request
	method  string   // of the request, for reading the response (HEAD has no body)
	nsPort  uint16   // the name-server's port: 53 (tests use another)
	tls     *tls.Config
}

// newHTTPProbe builds the http operation's probe. A URL it cannot use
// (the config package refuses those) makes every run an Error.
func newHTTPProbe(op Operation) Probe { return newHTTPProbePort(op, 53) }

func newHTTPProbePort(op Operation, nsPort uint16) Probe {
	p, err := buildHTTPProbe(op, nsPort)
	if err != nil {
		return func(context.Context) Outcome { return Outcome{Code: CodeError, Detail: err.Error()} }
	}
	return p.run
}

func buildHTTPProbe(op Operation, nsPort uint16) (*httpProbe, error) {
	h := *op.HTTP
	p := &httpProbe{op: op, h: h, nsPort: nsPort}
	var err error
	if p.target, err = parseHTTPURL(h.URL); err != nil {
		return nil, err
	}
	if h.Proxy != "" {
		if p.proxy, err = parseHTTPURL(h.Proxy); err != nil {
			return nil, fmt.Errorf("proxy: %w", err)
		}
	}
	if p.target.Scheme == "https" {
		p.tls = &tls.Config{ServerName: p.target.Hostname()}
	}
	if h.Raw {
		if h.RawRequest == "" {
			return nil, errors.New("http raw: no http-raw-request")
		}
		p.request = []byte(h.RawRequest)
		p.method, _, _ = strings.Cut(strings.TrimLeft(h.RawRequest, " \t\r\n"), " ")
	} else {
		p.request, p.method = p.getRequest(), http.MethodGet
	}
	return p, nil
}

func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("expected an http:// or https:// URL, got %q", s)
	}
	return u, nil
}

// HTTPVersion is the version on the request line: the configured one, or
// IOS's default 1.0.
func (h HTTP) HTTPVersion() string {
	if h.Version == "" {
		return "1.0"
	}
	return h.Version
}

// getRequest is the GET of the URL: origin form, or the absolute URI when
// an http URL goes through a proxy (an https one is tunnelled with CONNECT
// and uses the origin form inside the tunnel).
func (p *httpProbe) getRequest() []byte {
	target := p.target.RequestURI()
	if p.proxy != nil && p.target.Scheme == "http" {
		u := *p.target
		u.User, u.Fragment, u.RawFragment = nil, "", ""
		target = u.String()
		if u.Path == "" && u.RawQuery == "" {
			target += "/"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/%s\r\n", target, p.h.HTTPVersion())
	fmt.Fprintf(&b, "Host: %s\r\n", p.target.Host)
	b.WriteString("User-Agent: ipslad\r\nAccept: */*\r\nConnection: close\r\n")
	if p.h.NoCache {
		b.WriteString("Cache-Control: no-cache\r\nPragma: no-cache\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

func hostPort(u *url.URL) (string, uint16) {
	port := uint16(80)
	if u.Scheme == "https" {
		port = 443
	}
	if s := u.Port(); s != "" {
		if n, err := strconv.ParseUint(s, 10, 16); err == nil {
			port = uint16(n)
		}
	}
	return u.Hostname(), port
}

// run is one transaction: name lookup, connect, request, the whole
// response. The RTT covers all three, as IOS's.
func (p *httpProbe) run(ctx context.Context) Outcome {
	start := time.Now()
	peer := p.target
	if p.proxy != nil {
		peer = p.proxy
	}
	host, port := hostPort(peer)
	addrs, fail := p.resolve(ctx, host)
	if fail != nil {
		return *fail
	}
	conn, err := p.dial(ctx, addrs, port)
	if err != nil {
		return connectError(err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	var rw io.ReadWriter = conn
	br := bufio.NewReader(io.LimitReader(conn, maxHTTPRead))
	if p.tls != nil {
		if p.proxy != nil {
			if out := p.connectTunnel(conn, br); out != nil {
				return *out
			}
		}
		tc := tls.Client(conn, p.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return readErrorHTTP(err)
		}
		rw, br = tc, bufio.NewReader(io.LimitReader(tc, maxHTTPRead))
	}
	if _, err := rw.Write(p.request); err != nil {
		return sendError(err)
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: p.method})
	if err != nil {
		return readErrorHTTP(err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	rtt := time.Since(start)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return readError(err)
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusMovedPermanently, http.StatusFound:
		return Outcome{Code: CodeOK, RTT: rtt}
	}
	return Outcome{Code: CodeHTTPError, RTT: rtt, Detail: resp.Status}
}

// readErrorHTTP maps a failure while reading the response: timeouts and
// resets as readError, a connection closed without a response or an
// answer that is not HTTP as "HTTP error".
func readErrorHTTP(err error) Outcome {
	out := readError(err)
	if out.Code == CodeError && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || !isNetError(err)) {
		return Outcome{Code: CodeHTTPError, Detail: "no valid HTTP response: " + err.Error()}
	}
	return out
}

func isNetError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe)
}

// connectTunnel asks the proxy for a tunnel to an https URL's host.
func (p *httpProbe) connectTunnel(conn net.Conn, br *bufio.Reader) *Outcome {
	host, port := hostPort(p.target)
	hp := net.JoinHostPort(host, strconv.Itoa(int(port)))
	req := fmt.Sprintf("CONNECT %s HTTP/%s\r\nHost: %s\r\n\r\n", hp, p.h.HTTPVersion(), hp)
	if _, err := conn.Write([]byte(req)); err != nil {
		out := sendError(err)
		return &out
	}
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		out := readErrorHTTP(err)
		return &out
	}
	if resp.StatusCode != http.StatusOK {
		return &Outcome{Code: CodeHTTPError, Detail: "proxy CONNECT: " + resp.Status}
	}
	return nil
}

// family is the address family the probe may use: source-ip's, or any.
func (p *httpProbe) family() string {
	switch {
	case p.h.SourceIP.Is4():
		return "ip4"
	case p.h.SourceIP.Is6():
		return "ip6"
	}
	return "ip"
}

// resolve returns the addresses of host: host itself when it is an
// address, else the answer of the operation's name-server or of the
// system resolver. A failed lookup is "DNS query error", as IOS reports it.
func (p *httpProbe) resolve(ctx context.Context, host string) ([]netip.Addr, *Outcome) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	var addrs []netip.Addr
	var err error
	if p.h.NameServer.IsValid() {
		addrs, err = p.lookup(ctx, host)
	} else {
		addrs, err = net.DefaultResolver.LookupNetIP(ctx, p.family(), host)
	}
	if err == nil && len(addrs) == 0 {
		err = fmt.Errorf("%s: no address", host)
	}
	if err != nil {
		if dl, ok := ctx.Deadline(); ctx.Err() != nil || (ok && !time.Now().Before(dl)) {
			// The operation's timeout ran out during the lookup.
			return nil, &Outcome{Code: CodeTimeout, Detail: "name lookup: " + err.Error()}
		}
		return nil, &Outcome{Code: CodeDNSQueryError, Detail: err.Error()}
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	return addrs, nil
}

// lookup asks the name-server for host's A records (AAAA with an IPv6
// source-ip, or when there is no A record and no source-ip), over UDP with
// a retry over TCP when the reply is truncated. The query leaves from
// source-ip, inside the operation's VRF.
func (p *httpProbe) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	server := netip.AddrPortFrom(p.h.NameServer, p.nsPort).String()
	types := []uint16{dns.TypeA, dns.TypeAAAA}
	switch p.family() {
	case "ip4":
		types = types[:1]
	case "ip6":
		types = types[1:]
	}
	var last error
	for _, qt := range types {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(host), qt)
		r, err := p.exchange(ctx, m, "udp", server)
		if err == nil && r.Truncated {
			r, err = p.exchange(ctx, m, "tcp", server)
		}
		if err != nil {
			return nil, fmt.Errorf("name-server %s: %w", p.h.NameServer, err)
		}
		if r.Rcode != dns.RcodeSuccess {
			return nil, fmt.Errorf("name-server %s: %s for %s", p.h.NameServer, dns.RcodeToString[r.Rcode], host)
		}
		var addrs []netip.Addr
		for _, rr := range r.Answer {
			var ip net.IP
			switch rr := rr.(type) {
			case *dns.A:
				ip = rr.A
			case *dns.AAAA:
				ip = rr.AAAA
			}
			if a, ok := netip.AddrFromSlice(ip); ok {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) > 0 {
			return addrs, nil
		}
		last = fmt.Errorf("name-server %s: no %s record for %s", p.h.NameServer, dns.TypeToString[qt], host)
	}
	return nil, last
}

func (p *httpProbe) exchange(ctx context.Context, m *dns.Msg, network, server string) (*dns.Msg, error) {
	c := &dns.Client{Net: network, Dialer: dialer(p.op, network, p.h.NameServer.Is6(), p.h.SourceIP, 0)}
	r, _, err := c.ExchangeContext(ctx, m, server)
	return r, err
}

// dial connects to the first address that answers, from source-ip and
// source-port, bound to the VRF.
func (p *httpProbe) dial(ctx context.Context, addrs []netip.Addr, port uint16) (net.Conn, error) {
	var last error
	for _, a := range addrs {
		if p.h.SourceIP.IsValid() && p.h.SourceIP.Is4() != a.Is4() {
			continue
		}
		d := dialer(p.op, "tcp", a.Is6(), p.h.SourceIP, p.h.SourcePort)
		c, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(a, port).String())
		if err == nil {
			return c, nil
		}
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	if last == nil {
		last = fmt.Errorf("no address of the family of source-ip %s", p.h.SourceIP)
	}
	return nil, last
}
