package sla

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// sockOpts are the socket options every probe type applies: the device
// (VRF or source-interface) to bind to and the TOS byte.
type sockOpts struct {
	device    string
	tos       uint8
	reuseAddr bool // a fixed source port: rebind despite TIME_WAIT
	v6        bool
}

func optsFor(op Operation, v6 bool) sockOpts {
	o := sockOpts{device: op.VRF, tos: op.TOS, v6: v6}
	if op.ICMPEcho != nil && op.ICMPEcho.SourceInterface != "" {
		o.device = op.ICMPEcho.SourceInterface
	}
	return o
}

// apply sets the options on fd.
func (o sockOpts) apply(fd int) error {
	if o.device != "" {
		if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, o.device); err != nil {
			return fmt.Errorf("binding to device %s: %w", o.device, err)
		}
	}
	if o.reuseAddr {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return err
		}
	}
	if o.tos != 0 {
		var err error
		if o.v6 {
			err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_TCLASS, int(o.tos))
		} else {
			err = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TOS, int(o.tos))
		}
		if err != nil {
			return fmt.Errorf("setting tos %d: %w", o.tos, err)
		}
	}
	return nil
}

// control is a net.Dialer/ListenConfig Control function applying o.
func (o sockOpts) control(_, _ string, c syscall.RawConn) error {
	var err error
	if cerr := c.Control(func(fd uintptr) { err = o.apply(int(fd)) }); cerr != nil {
		return cerr
	}
	return err
}

// dialer returns a Dialer for op's probes over network ("tcp" or "udp")
// towards an address of family v6: bound to src and sport when given (a
// fixed port rebinds despite TIME_WAIT), with op's VRF and TOS.
func dialer(op Operation, network string, v6 bool, src netip.Addr, sport uint16) *net.Dialer {
	o := optsFor(op, v6)
	o.reuseAddr = sport != 0
	d := &net.Dialer{Control: o.control}
	if src.IsValid() || sport != 0 {
		if network == "udp" {
			d.LocalAddr = net.UDPAddrFromAddrPort(local(src, sport))
		} else {
			d.LocalAddr = net.TCPAddrFromAddrPort(local(src, sport))
		}
	}
	return d
}

func local(a netip.Addr, port uint16) netip.AddrPort {
	if !a.IsValid() {
		return netip.AddrPortFrom(netip.Addr{}, port)
	}
	return netip.AddrPortFrom(a, port)
}

// newTCPConnectProbe: the RTT is the TCP handshake.
func newTCPConnectProbe(op Operation) Probe {
	t := *op.TCPConnect
	d := dialer(op, "tcp", t.Target.Is6(), t.SourceIP, t.SourcePort)
	addr := netip.AddrPortFrom(t.Target, t.Port).String()
	return func(ctx context.Context) Outcome {
		start := time.Now()
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return connectError(err)
		}
		rtt := time.Since(start)
		c.Close()
		return Outcome{Code: CodeOK, RTT: rtt}
	}
}

// connectError maps a failed TCP connection: refused is "Socket connect
// error" (IOL), no route or no answer is Timeout.
func connectError(err error) Outcome {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Outcome{Code: CodeSocketConnectError, Detail: "connection refused"}
	case errors.As(err, &dnsErr):
		return Outcome{Code: CodeDNSQueryError, Detail: err.Error()}
	}
	return readError(err)
}

// newUDPEchoProbe sends request-data-size bytes of the data pattern (IOS's
// AB CD AB CD... unless data-pattern says otherwise), the first 8 of them
// replaced by a random token of this run so that a late echo of an earlier
// run is not taken for this one's, and waits for the echo. With
// verify-data the echo must equal what was sent.
func newUDPEchoProbe(op Operation) Probe {
	u := *op.UDPEcho
	d := dialer(op, "udp", u.Target.Is6(), u.SourceIP, u.SourcePort)
	addr := netip.AddrPortFrom(u.Target, u.Port).String()
	size, verify, pat := op.EffectiveDataSize(), op.VerifyData, op.DataPatternBytes()
	return func(ctx context.Context) Outcome {
		c, err := d.DialContext(ctx, "udp", addr)
		if err != nil {
			return Outcome{Code: CodeError, Detail: err.Error()}
		}
		defer c.Close()
		if dl, ok := ctx.Deadline(); ok {
			c.SetDeadline(dl)
		}
		stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
		defer stop()
		msg := pattern(size, pat)
		token := msg[:min(8, len(msg))]
		rand.Read(token)
		start := time.Now()
		if _, err := c.Write(msg); err != nil {
			return sendError(err)
		}
		buf := make([]byte, 65536)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return readError(err)
			}
			if n < len(token) || !bytes.Equal(buf[:len(token)], token) {
				continue // a late echo of an earlier run
			}
			rtt := time.Since(start)
			if verify && !bytes.Equal(buf[:n], msg) {
				return Outcome{Code: CodeVerifyError, RTT: rtt, Detail: fmt.Sprintf("echo of %d bytes differs from the %d sent", n, len(msg))}
			}
			return Outcome{Code: CodeOK, RTT: rtt}
		}
	}
}

// DataPatternBytes is the operation's data-pattern as bytes: its hex
// digits two by two (an odd count gets a leading 0), IOS's AB CD AB CD
// when none is set.
func (o *Operation) DataPatternBytes() []byte {
	h := o.DataPattern
	if h == "" {
		h = DefaultDataPattern
	}
	if len(h)%2 == 1 {
		h = "0" + h
	}
	b, err := hex.DecodeString(h)
	if err != nil || len(b) == 0 {
		b, _ = hex.DecodeString(DefaultDataPattern) // the config package accepts hex digits only
	}
	return b
}

// pattern is n bytes of the repeated pattern p.
func pattern(n int, p []byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = p[i%len(p)]
	}
	return b
}

// newICMPEchoProbe sends one echo request of request-data-size bytes and
// waits for the matching echo reply from the target.
func newICMPEchoProbe(op Operation) Probe {
	e := *op.ICMPEcho
	o := optsFor(op, e.Target.Is6())
	size, verify, pat := op.EffectiveDataSize(), op.VerifyData, op.DataPatternBytes()
	return func(ctx context.Context) Outcome {
		c, raw, err := openICMP(e.Target.Is6(), e.SourceIP, o)
		if err != nil {
			return Outcome{Code: CodeError, Detail: err.Error()}
		}
		defer c.Close()
		if dl, ok := ctx.Deadline(); ok {
			c.SetDeadline(dl)
		}
		stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
		defer stop()

		var idseq [4]byte
		rand.Read(idseq[:])
		id, seq := binary.BigEndian.Uint16(idseq[:]), binary.BigEndian.Uint16(idseq[2:])
		req, reply := byte(8), byte(0)
		if e.Target.Is6() {
			req, reply = 128, 129
		}
		msg := append([]byte{req, 0, 0, 0, 0, 0, 0, 0}, pattern(size, pat)...)
		binary.BigEndian.PutUint16(msg[4:], id)
		binary.BigEndian.PutUint16(msg[6:], seq)
		if !e.Target.Is6() {
			binary.BigEndian.PutUint16(msg[2:], checksum(msg))
		} // the kernel fills in the ICMPv6 checksum
		var dst net.Addr = &net.IPAddr{IP: e.Target.AsSlice()}
		if !raw {
			dst = &net.UDPAddr{IP: e.Target.AsSlice()}
		}
		start := time.Now()
		if _, err := c.WriteTo(msg, dst); err != nil {
			return sendError(err)
		}
		buf := make([]byte, 65536)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				return readError(err)
			}
			if n < 8 || buf[0] != reply || binary.BigEndian.Uint16(buf[6:]) != seq {
				continue
			}
			// A ping socket rewrites the ID to its own and filters replies;
			// on a raw socket, every echo reply to this host arrives.
			if raw && (binary.BigEndian.Uint16(buf[4:]) != id || addrOf(from) != e.Target) {
				continue
			}
			rtt := time.Since(start)
			if verify && !bytes.Equal(buf[8:n], msg[8:]) {
				return Outcome{Code: CodeVerifyError, RTT: rtt, Detail: "the echo reply's data differs from the request's"}
			}
			return Outcome{Code: CodeOK, RTT: rtt}
		}
	}
}

func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.IPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// openICMP opens an unprivileged ICMP (ping) socket, or a raw one when
// net.ipv4.ping_group_range does not include this process's group.
func openICMP(v6 bool, src netip.Addr, o sockOpts) (c net.PacketConn, raw bool, err error) {
	family, proto := unix.AF_INET, unix.IPPROTO_ICMP
	if v6 {
		family, proto = unix.AF_INET6, unix.IPPROTO_ICMPV6
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, proto)
	if err == nil {
		if err = o.apply(fd); err == nil && src.IsValid() {
			err = unix.Bind(fd, sockaddr(src))
		}
		if err != nil {
			unix.Close(fd)
			return nil, false, err
		}
		f := os.NewFile(uintptr(fd), "icmp")
		c, err = net.FilePacketConn(f)
		f.Close()
		return c, false, err
	}
	if !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.EPROTONOSUPPORT) {
		return nil, false, err
	}
	network, laddr := "ip4:icmp", "0.0.0.0"
	if v6 {
		network, laddr = "ip6:ipv6-icmp", "::"
	}
	if src.IsValid() {
		laddr = src.String()
	}
	lc := net.ListenConfig{Control: o.control}
	c, err = lc.ListenPacket(context.Background(), network, laddr)
	return c, true, err
}

func sockaddr(a netip.Addr) unix.Sockaddr {
	if a.Is4() {
		return &unix.SockaddrInet4{Addr: a.As4()}
	}
	return &unix.SockaddrInet6{Addr: a.As16()}
}

// checksum is the Internet checksum (RFC 1071).
func checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
