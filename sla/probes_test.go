package sla

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"testing"
	"time"
)

func runProbe(t *testing.T, op Operation, timeout time.Duration) Outcome {
	t.Helper()
	p, err := NewProbe(op)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p(ctx)
}

func freePort(t *testing.T, network string) uint16 {
	t.Helper()
	switch network {
	case "tcp":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).AddrPort().Port()
	default:
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	}
}

var lo = netip.MustParseAddr("127.0.0.1")

func TestTCPConnectProbe(t *testing.T) {
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
			c.Close()
		}
	}()
	open := l.Addr().(*net.TCPAddr).AddrPort().Port()
	tests := []struct {
		name string
		tc   TCPConnect
		want ReturnCode
	}{
		{"open port", TCPConnect{Target: lo, Port: open}, CodeOK},
		{"open port from 127.0.0.2", TCPConnect{Target: lo, Port: open, SourceIP: netip.MustParseAddr("127.0.0.2")}, CodeOK},
		{"closed port", TCPConnect{Target: lo, Port: freePort(t, "tcp")}, CodeSocketConnectError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			op := NewOperation(1)
			c := tc.tc
			op.TCPConnect = &c
			if out := runProbe(t, op, time.Second); out.Code != tc.want {
				t.Fatalf("code = %v (%s), want %v", out.Code, out.Detail, tc.want)
			}
		})
	}
}

// echoServer echoes datagrams; with corrupt it flips the last byte.
func echoServer(t *testing.T, corrupt bool) uint16 {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if corrupt {
				buf[n-1] ^= 0xff
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).AddrPort().Port()
}

func TestUDPEchoProbe(t *testing.T) {
	good, bad := echoServer(t, false), echoServer(t, true)
	tests := []struct {
		name   string
		port   uint16
		size   int
		verify bool
		want   ReturnCode
	}{
		{"echo", good, 0, false, CodeOK},
		{"echo, verify-data", good, 100, true, CodeOK},
		{"corrupted echo", bad, 0, false, CodeOK},
		{"corrupted echo, verify-data", bad, 0, true, CodeVerifyError},
		{"closed port", freePort(t, "udp"), 0, false, CodeNoConnection},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			op := NewOperation(1)
			op.UDPEcho = &UDPEcho{Target: lo, Port: tc.port}
			op.DataSize, op.VerifyData = tc.size, tc.verify
			if out := runProbe(t, op, time.Second); out.Code != tc.want {
				t.Fatalf("code = %v (%s), want %v", out.Code, out.Detail, tc.want)
			}
		})
	}
	t.Run("no echo", func(t *testing.T) {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		op := NewOperation(1)
		op.UDPEcho = &UDPEcho{Target: lo, Port: pc.LocalAddr().(*net.UDPAddr).AddrPort().Port()}
		if out := runProbe(t, op, 200*time.Millisecond); out.Code != CodeTimeout {
			t.Fatalf("code = %v (%s), want Timeout", out.Code, out.Detail)
		}
	})
}

func TestHTTPProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("fine"))
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusMovedPermanently)
		case "/found":
			http.Redirect(w, r, "/nowhere", http.StatusFound)
		case "/slow":
			time.Sleep(time.Second)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	tests := []struct {
		name, url string
		want      ReturnCode
	}{
		{"200", srv.URL + "/ok", CodeOK},
		{"301", srv.URL + "/moved", CodeOK},
		{"302 to a 404 (not followed)", srv.URL + "/found", CodeOK},
		{"404", srv.URL + "/missing", CodeHTTPError},
		{"slow", srv.URL + "/slow", CodeTimeout},
		{"refused", "http://127.0.0.1:" + itoa(freePort(t, "tcp")) + "/", CodeSocketConnectError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			op := NewOperation(1)
			op.HTTP = &HTTP{URL: tc.url}
			if out := runProbe(t, op, 300*time.Millisecond); out.Code != tc.want {
				t.Fatalf("code = %v (%s), want %v", out.Code, out.Detail, tc.want)
			}
		})
	}
}

func itoa(p uint16) string { return netip.AddrPortFrom(lo, p).String()[len("127.0.0.1:"):] }

// TestICMPEchoProbe pings loopback through the kernel: with a ping socket
// when ping_group_range allows, else raw (needs root).
func TestICMPEchoProbe(t *testing.T) {
	for _, target := range []string{"127.0.0.1", "::1"} {
		t.Run(target, func(t *testing.T) {
			a := netip.MustParseAddr(target)
			c, _, err := openICMP(a.Is6(), netip.Addr{}, sockOpts{})
			if err != nil {
				t.Skipf("no ICMP socket (needs root or net.ipv4.ping_group_range): %v", err)
			}
			c.Close()
			op := NewOperation(1)
			op.ICMPEcho = &ICMPEcho{Target: a}
			op.TOS, op.DataSize, op.VerifyData = 0x20, 200, true // the kernel echoes the data back
			if out := runProbe(t, op, time.Second); out.Code != CodeOK || out.RTT <= 0 {
				t.Fatalf("code = %v (%s) rtt %v, want OK", out.Code, out.Detail, out.RTT)
			}
		})
	}
	t.Run("source-interface lo", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("SO_BINDTODEVICE needs root here")
		}
		op := NewOperation(1)
		op.ICMPEcho = &ICMPEcho{Target: lo, SourceInterface: "lo"}
		if out := runProbe(t, op, time.Second); out.Code != CodeOK {
			t.Fatalf("code = %v (%s)", out.Code, out.Detail)
		}
	})
	t.Run("no such interface", func(t *testing.T) {
		op := NewOperation(1)
		op.ICMPEcho = &ICMPEcho{Target: lo, SourceInterface: "nosuchif0"}
		if out := runProbe(t, op, time.Second); out.Code != CodeError {
			t.Fatalf("code = %v (%s), want Error", out.Code, out.Detail)
		}
	})
}

// recordingEcho echoes datagrams and hands a copy of each to got.
func recordingEcho(t *testing.T) (uint16, chan []byte) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	got := make(chan []byte, 10)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			got <- bytes.Clone(buf[:n])
			pc.WriteTo(buf[:n], from)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).AddrPort().Port(), got
}

// TestDataPattern: the udp-echo payload is the repeated data-pattern
// (after the run's 8-byte token), IOS's AB CD by default; verify-data
// checks the echo against it.
func TestDataPattern(t *testing.T) {
	port, got := recordingEcho(t)
	bad := echoServer(t, true)
	tests := []struct {
		name, pattern string
		size          int
		want          []byte // the pattern's bytes
	}{
		{"default ABCDABCD", "", 0, []byte{0xab, 0xcd}},
		{"0F0F, 100 bytes", "0F0F", 100, []byte{0x0f}},
		{"odd digits 123", "123", 31, []byte{0x01, 0x23}},
		{"DEADBEEF", "DEADBEEF", 1500, []byte{0xde, 0xad, 0xbe, 0xef}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			op := NewOperation(1)
			op.UDPEcho = &UDPEcho{Target: lo, Port: port}
			op.DataSize, op.DataPattern, op.VerifyData = tc.size, tc.pattern, true
			if out := runProbe(t, op, time.Second); out.Code != CodeOK {
				t.Fatalf("code = %v (%s), want OK", out.Code, out.Detail)
			}
			payload := <-got
			if len(payload) != op.EffectiveDataSize() {
				t.Fatalf("payload of %d bytes, want %d", len(payload), op.EffectiveDataSize())
			}
			for i := 8; i < len(payload); i++ {
				if payload[i] != tc.want[i%len(tc.want)] {
					t.Fatalf("payload byte %d = %#x, want %#x (payload % x)", i, payload[i], tc.want[i%len(tc.want)], payload)
				}
			}
			op.UDPEcho.Port = bad
			if out := runProbe(t, op, time.Second); out.Code != CodeVerifyError {
				t.Fatalf("corrupted echo: code = %v (%s), want Verify error", out.Code, out.Detail)
			}
		})
	}
	t.Run("icmp-echo", func(t *testing.T) {
		c, _, err := openICMP(false, netip.Addr{}, sockOpts{})
		if err != nil {
			t.Skipf("no ICMP socket (needs root or net.ipv4.ping_group_range): %v", err)
		}
		c.Close()
		op := NewOperation(1)
		op.ICMPEcho = &ICMPEcho{Target: lo}
		op.DataSize, op.DataPattern, op.VerifyData = 64, "0F1E2D3C", true // the kernel echoes the data back
		// As root, watch the echo request on loopback with a raw socket.
		var sniff net.PacketConn
		if os.Geteuid() == 0 {
			if sniff, err = net.ListenPacket("ip4:icmp", "127.0.0.1"); err != nil {
				t.Fatal(err)
			}
			defer sniff.Close()
		}
		if out := runProbe(t, op, time.Second); out.Code != CodeOK {
			t.Fatalf("code = %v (%s), want OK", out.Code, out.Detail)
		}
		if sniff == nil {
			t.Log("not root: the payload itself is not checked")
			return
		}
		want := bytes.Repeat([]byte{0x0f, 0x1e, 0x2d, 0x3c}, 16)
		sniff.SetReadDeadline(time.Now().Add(time.Second))
		buf := make([]byte, 1500)
		for {
			n, _, err := sniff.ReadFrom(buf)
			if err != nil {
				t.Fatalf("no echo request with the pattern seen: %v", err)
			}
			if n == 8+len(want) && buf[0] == 8 && bytes.Equal(buf[8:n], want) {
				return
			}
		}
	})
}
