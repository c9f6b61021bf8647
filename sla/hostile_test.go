package sla

import (
	"context"
	"encoding/binary"
	"math"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Hostile and broken name servers (issue 8): each case is a raw UDP server
// on 127.0.0.1 that misbehaves in one way. Every probe path (the shared
// socket with a goroutine, the scheduler's goroutine-free starter, and a
// socket of its own for source-port) must map it to the documented return
// code without crashing, leaking a socket or blocking other probes. The
// well-behaved cases (SERVFAIL, REFUSED, NXDOMAIN, truncated, wrong
// answer, slow) are in TestDNSProbeExtensions and TestSchedulerStarters.

// rawHandler answers one query read by a hostile server. q is nil when
// the query did not unpack.
type rawHandler func(pc *net.UDPConn, from netip.AddrPort, raw []byte, q *dns.Msg)

// startRawDNS serves h on a UDP socket of 127.0.0.1 until the test ends.
func startRawDNS(t testing.TB, h rawHandler) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			raw := append([]byte(nil), buf[:n]...)
			q := new(dns.Msg)
			if q.Unpack(raw) != nil {
				q = nil
			}
			h(pc, from, raw, q)
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

// goodReply is the right answer to q: its ID, its question, an A record.
func goodReply(q *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
		A: net.IPv4(192, 0, 2, 53)})
	return m
}

func send(pc *net.UDPConn, to netip.AddrPort, m *dns.Msg) {
	b, err := m.Pack()
	if err != nil {
		panic(err)
	}
	pc.WriteToUDPAddrPort(b, to)
}

// otherSocket returns a UDP socket on addr:port (port 0: any), or nil.
func otherSocket(t testing.TB, addr string, port int) *net.UDPConn {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(addr), Port: port})
	if err != nil {
		return nil
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// garbage is deterministic junk of n bytes.
func garbage(seed byte, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x = x*1103515245 + 12345
		b[i] = byte(x >> 16)
	}
	return b
}

// oversized returns a packed 60 kB reply to q (every query of these tests
// asks the same question), packed on first use.
var oversized = func() func(q *dns.Msg) []byte {
	var (
		once   sync.Once
		packed []byte
	)
	return func(q *dns.Msg) []byte {
		once.Do(func() {
			m := goodReply(q)
			for i := range 3500 {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
					A: net.IPv4(10, byte(i>>16), byte(i>>8), byte(i))})
			}
			m.Compress = true
			packed, _ = m.Pack()
		})
		return append([]byte(nil), packed...)
	}
}()

// hostileTimeout is the probes' timeout in these tests.
const hostileTimeout = 150 * time.Millisecond

type hostileCase struct {
	name string
	h    rawHandler
	want ReturnCode
}

func hostileCases(t testing.TB) []hostileCase {
	wrongPort := otherSocket(t, "127.0.0.1", 0)
	var late atomic.Int32
	return []hostileCase{
		{"no reply", func(*net.UDPConn, netip.AddrPort, []byte, *dns.Msg) {}, CodeTimeout},
		{"wrong ID", func(pc *net.UDPConn, from netip.AddrPort, _ []byte, q *dns.Msg) {
			m := goodReply(q)
			m.Id++
			send(pc, from, m)
		}, CodeTimeout},
		{"wrong question only", func(pc *net.UDPConn, from netip.AddrPort, _ []byte, q *dns.Msg) {
			m := goodReply(q)
			m.Question[0].Name = "evil.example.com."
			m.Answer[0].Header().Name = "evil.example.com."
			send(pc, from, m)
		}, CodeTimeout},
		{"wrong question type", func(pc *net.UDPConn, from netip.AddrPort, _ []byte, q *dns.Msg) {
			m := goodReply(q)
			m.Question[0].Qtype = dns.TypeMX
			send(pc, from, m)
		}, CodeTimeout},
		{"no question section", func(pc *net.UDPConn, from netip.AddrPort, _ []byte, q *dns.Msg) {
			m := goodReply(q)
			m.Question = nil
			send(pc, from, m)
		}, CodeTimeout},
		{"query echoed back (QR clear)", func(pc *net.UDPConn, from netip.AddrPort, raw []byte, _ *dns.Msg) {
			pc.WriteToUDPAddrPort(raw, from)
		}, CodeTimeout},
		{"reply from the wrong port", func(_ *net.UDPConn, from netip.AddrPort, _ []byte, q *dns.Msg) {
			if wrongPort == nil {
				return
			}
			send(wrongPort, from, goodReply(q))
		}, CodeTimeout},
		{"garbage", func(pc *net.UDPConn, from netip.AddrPort, _ []byte, _ *dns.Msg) {
			pc.WriteToUDPAddrPort(garbage(1, 300), from)
		}, CodeTimeout},
		{"garbage with the right header", func(pc *net.UDPConn, from netip.AddrPort, raw []byte, _ *dns.Msg) {
			b := append([]byte(nil), raw[:12]...)
			b[2] |= 0x80 // QR
			b = append(b, garbage(2, 40)...)
			pc.WriteToUDPAddrPort(b, from)
		}, CodeTimeout},
		{"header only", func(pc *net.UDPConn, from netip.AddrPort, raw []byte, _ *dns.Msg) {
			b := append([]byte(nil), raw[:12]...)
			b[2] |= 0x80
			pc.WriteToUDPAddrPort(b, from)
		}, CodeTimeout},
		{"short datagrams", func(pc *net.UDPConn, from netip.AddrPort, raw []byte, _ *dns.Msg) {
			for n := range 12 {
				pc.WriteToUDPAddrPort(raw[:n], from)
			}
		}, CodeTimeout},
		{"answer count lies", func(pc *net.UDPConn, from netip.AddrPort, _ []byte, q *dns.Msg) {
			b, _ := goodReply(q).Pack()
			b[7] = 200 // ANCOUNT 200, one record present
			pc.WriteToUDPAddrPort(b, from)
		}, CodeOK}, // lenient, as miekg/dns: the A record that is there counts
		{"compression loop in the answer", func(pc *net.UDPConn, from netip.AddrPort, _ []byte, q *dns.Msg) {
			m := goodReply(q)
			m.Answer = nil
			b, _ := m.Pack()
			b[7] = 1
			// An owner name that points at itself, then a type A header.
			off := len(b)
			b = append(b, 0xC0|byte(off>>8), byte(off), 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 53)
			pc.WriteToUDPAddrPort(b, from)
		}, CodeTimeout},
		{"garbage then the answer", func(pc *net.UDPConn, from netip.AddrPort, raw []byte, q *dns.Msg) {
			pc.WriteToUDPAddrPort(garbage(3, 100), from)
			b := append([]byte(nil), raw...)
			b[2] |= 0x80
			pc.WriteToUDPAddrPort(b[:len(b)-3], from) // the right ID, cut short
			send(pc, from, goodReply(q))
		}, CodeOK},
		{"oversized answer (no EDNS, 60 kB)", func(pc *net.UDPConn, from netip.AddrPort, _ []byte, q *dns.Msg) {
			// Packed once (3,500 records take long to pack under -race on
			// a loaded machine), then only the ID changes.
			b := oversized(q)
			binary.BigEndian.PutUint16(b, q.Id)
			pc.WriteToUDPAddrPort(b, from)
		}, CodeOK},
		{"flood of replies", func(pc *net.UDPConn, from netip.AddrPort, raw []byte, q *dns.Msg) {
			good := goodReply(q)
			bad := goodReply(q)
			bad.Id++
			for i := range 100 { // within a default socket buffer: this tests the demultiplexing, not the kernel's drops
				pc.WriteToUDPAddrPort(garbage(byte(i), 64), from)
				send(pc, from, bad)
			}
			for range 50 {
				send(pc, from, good) // duplicates: the first counts, the rest are dropped
			}
		}, CodeOK},
		{"reply after the timeout, none to the next query", func(pc *net.UDPConn, from netip.AddrPort, _ []byte, q *dns.Msg) {
			if late.Add(1)%2 == 1 {
				go func() {
					time.Sleep(hostileTimeout * 3 / 2) // after this run's timeout, in the next run
					send(pc, from, goodReply(q))
				}()
			}
		}, CodeTimeout},
	}
}

// runStarter runs p through the scheduler's goroutine-free path.
func runStarter(p *dnsProbe, timeout time.Duration) Outcome {
	ch := make(chan Outcome, 1)
	expire := p.start(time.Now().Add(timeout), func(o Outcome) { ch <- o }, nil)
	if expire != nil {
		t := time.AfterFunc(timeout, expire)
		defer t.Stop()
	}
	return <-ch
}

func TestHostileServers(t *testing.T) {
	paths := []struct {
		name string
		run  func(t *testing.T, cfg DNS, server netip.AddrPort) Outcome
	}{
		{"shared socket", func(t *testing.T, cfg DNS, server netip.AddrPort) Outcome {
			return runAt(t, cfg, server, hostileTimeout)
		}},
		{"starter", func(t *testing.T, cfg DNS, server netip.AddrPort) Outcome {
			p, err := newDNSProbe(cfg)
			if err != nil {
				t.Error(err)
				return Outcome{}
			}
			p.server = server
			return runStarter(p, hostileTimeout)
		}},
		{"source-port socket", func(t *testing.T, cfg DNS, server netip.AddrPort) Outcome {
			cfg.SourcePort = freePort(t, "udp")
			return runAt(t, cfg, server, hostileTimeout)
		}},
	}
	for i, tc := range hostileCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each waits out timeouts: no CPU
			var wg sync.WaitGroup
			for _, path := range paths {
				server := startRawDNS(t, hostileCases(t)[i].h) // a server of its own
				cfg := DNS{Target: "anycast.example.com", NameServer: server.Addr()}
				wg.Go(func() {
					// Twice: the second run must not take a leftover of the first.
					for run := range 2 {
						if out := path.run(t, cfg, server); out.Code != tc.want {
							t.Errorf("%s, run %d: code = %v (%s), want %v", path.name, run+1, out.Code, out.Detail, tc.want)
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

// A reply from another address of the host, with the server's port, is
// not the server's reply.
func TestHostileWrongAddress(t *testing.T) {
	var other atomic.Pointer[net.UDPConn]
	server := startRawDNS(t, func(_ *net.UDPConn, from netip.AddrPort, _ []byte, q *dns.Msg) {
		if o := other.Load(); q != nil && o != nil {
			send(o, from, goodReply(q))
		}
	})
	o := otherSocket(t, "127.0.0.2", int(server.Port()))
	other.Store(o)
	if o == nil {
		t.Skip("cannot bind 127.0.0.2 with the server's port")
	}
	cfg := DNS{Target: "anycast.example.com", NameServer: server.Addr()}
	if out := runAt(t, cfg, server, 200*time.Millisecond); out.Code != CodeTimeout {
		t.Errorf("shared socket: code = %v (%s), want Timeout", out.Code, out.Detail)
	}
	p, err := newDNSProbe(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.server = server
	if out := runStarter(p, 200*time.Millisecond); out.Code != CodeTimeout {
		t.Errorf("starter: code = %v (%s), want Timeout", out.Code, out.Detail)
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// TestHostileNoLeak runs every probe path many times against every hostile
// server: the process's file descriptors come back to where they were.
func TestHostileNoLeak(t *testing.T) {
	cases := hostileCases(t)
	servers := make([]netip.AddrPort, len(cases))
	for i, tc := range cases {
		servers[i] = startRawDNS(t, tc.h)
	}
	tcpNoReply := startDNSBoth(t, "127.0.0.1", func(dns.ResponseWriter, *dns.Msg) {}, func(dns.ResponseWriter, *dns.Msg) {})
	round := func() {
		var wg sync.WaitGroup
		for _, s := range servers {
			cfg := DNS{Target: "anycast.example.com", NameServer: s.Addr()}
			wg.Go(func() { runAt(t, cfg, s, 100*time.Millisecond) })
			wg.Go(func() {
				p, _ := newDNSProbe(cfg)
				p.server = s
				runStarter(p, 100*time.Millisecond)
			})
			own := cfg
			own.SourcePort = freePort(t, "udp")
			wg.Go(func() { runAt(t, own, s, 100*time.Millisecond) })
		}
		wg.Go(func() {
			runAt(t, DNS{Target: "anycast.example.com", NameServer: tcpNoReply.Addr(), TCP: true}, tcpNoReply, 100*time.Millisecond)
		})
		wg.Wait()
	}
	round() // opens the shared socket
	before := openFDs(t)
	for range 5 {
		round()
	}
	deadline := time.Now().Add(2 * time.Second)
	after := openFDs(t)
	for after > before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // servers close their side asynchronously
		after = openFDs(t)
	}
	if after > before {
		t.Errorf("open file descriptors: %d before, %d after %d runs", before, after, 5*(3*len(servers)+1))
	}
}

// TestHostileDoesNotBlockOthers runs a healthy operation beside operations
// whose servers flood the shared socket, never answer, or answer late,
// through the real Scheduler: every run of the healthy one succeeds.
func TestHostileDoesNotBlockOthers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 3 s")
	}
	healthy := startDNS(t, answer("anycast.example.com. 60 IN A 192.0.2.53"))
	var hostile []netip.AddrPort
	for _, tc := range hostileCases(t) {
		switch tc.name {
		case "flood of replies", "no reply", "garbage", "reply after the timeout, none to the next query", "oversized answer (no EDNS, 60 kB)":
			hostile = append(hostile, startRawDNS(t, tc.h))
		}
	}
	// The costliest flood: thousands of datagrams per query from the
	// server's address with the query's ID, so each reaches the query's
	// handler and is parsed before it is dropped.
	hostile = append(hostile, startRawDNS(t, func(pc *net.UDPConn, from netip.AddrPort, raw []byte, _ *dns.Msg) {
		for i := range 3000 {
			b := append([]byte(nil), raw[:12]...)
			b[2] |= 0x80
			pc.WriteToUDPAddrPort(append(b, garbage(byte(i), 30+i%200)...), from)
		}
	}))
	servers := map[int]netip.AddrPort{1: healthy}
	ops := []Operation{testOp(1)}
	for i, s := range hostile {
		id := i + 2
		op := testOp(id)
		ops = append(ops, op)
		servers[id] = s
	}
	for i := range ops {
		ops[i].DNS.NameServer = servers[ops[i].ID].Addr()
		ops[i].Timeout = 300 * time.Millisecond
		ops[i].Threshold = 300 * time.Millisecond
	}
	results := make(chan Result, 256)
	s := schedulerTo(t, results, ops, servers)
	ctx, cancel := context.WithTimeout(context.Background(), 3200*time.Millisecond)
	defer cancel()
	go s.Run(ctx)
	healthyRuns := 0
	for {
		select {
		case r := <-results:
			if r.ID != 1 {
				continue
			}
			healthyRuns++
			if r.Code != CodeOK {
				t.Errorf("healthy run %d: %v (%s)", healthyRuns, r.Code, r.Detail)
			}
		case <-ctx.Done():
			// Frequency 1 s for 3.2 s: runs at 0, 1, 2 and 3 s. Not a
			// speed assertion: a run blocked by the flood would be missing.
			if healthyRuns < 3 {
				t.Errorf("healthy operation ran %d times in 3.2 s, want at least 3", healthyRuns)
			}
			return
		}
	}
}

// TestDeadServerSparesOthers runs, through the real Scheduler on the shared
// socket, an operation towards a closed port (an ICMP port unreachable a
// run) beside a healthy one. The kernel reports the ICMP error to the next
// system call on the socket, which may be the healthy operation's send: it
// must not fail that send, and the dead server's runs must end in IOS's
// "No connection", not a Timeout.
func TestDeadServerSparesOthers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 2.5 s")
	}
	healthy := startDNS(t, answer("anycast.example.com. 60 IN A 192.0.2.53"))
	dead := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), freePort(t, "udp"))
	servers := map[int]netip.AddrPort{}
	var ops []Operation
	for i := range 6 { // odd ids healthy, even ids dead, started in one batch
		op := testOp(i + 1)
		op.Frequency = 500 * time.Millisecond
		op.Timeout, op.Threshold = 300*time.Millisecond, 300*time.Millisecond
		ops = append(ops, op)
		servers[op.ID] = healthy
		if op.ID%2 == 0 {
			servers[op.ID] = dead
		}
	}
	results := make(chan Result, 256)
	s := schedulerTo(t, results, ops, servers)
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	go s.Run(ctx)
	runs := map[bool]int{}
	for {
		select {
		case r := <-results:
			isDead := r.ID%2 == 0
			runs[isDead]++
			want := CodeOK
			if isDead {
				want = CodeNoConnection
			}
			if r.Code != want {
				t.Errorf("ip sla %d (dead server %v): %v (%s), want %v", r.ID, isDead, r.Code, r.Detail, want)
			}
		case <-ctx.Done():
			if runs[false] < 9 || runs[true] < 9 {
				t.Errorf("runs: %d healthy, %d dead; want at least 9 each", runs[false], runs[true])
			}
			return
		}
	}
}

// schedulerTo returns a Scheduler with the real starters whose operations
// query servers[op.ID] (test servers listen on ports other than 53), with
// ops set.
func schedulerTo(t *testing.T, results chan Result, ops []Operation, servers map[int]netip.AddrPort) *Scheduler {
	t.Helper()
	s := NewScheduler(results, NewProbe, nil)
	if s.starter == nil {
		t.Fatal("NewProbe did not select the starters")
	}
	s.starter = func(op Operation) starter {
		p, err := newDNSProbe(*op.DNS)
		if err != nil {
			t.Error(err)
			return nil
		}
		p.server = servers[op.ID]
		return p
	}
	if errs := s.Set(ops); len(errs) > 0 {
		t.Fatal(errs)
	}
	return s
}

// TestStrayReplyBeforeFlush: a reply that matches a batched query (server,
// ID, question: a late answer to an earlier query, from a server resumed
// after a pause) may arrive between the query's registration and the
// batch's flush. Its RTT must be sane, not measured from the zero time
// (that overflowed into a negative bucket index and crashed the daemon
// in the soak).
func TestStrayReplyBeforeFlush(t *testing.T) {
	server := startDNS(t, answer("anycast.example.com. 60 IN A 192.0.2.53"))
	p, err := newDNSProbe(DNS{Target: "anycast.example.com", NameServer: server.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	p.server = server
	var b sendBatch
	done := make(chan Outcome, 1)
	p.start(time.Now().Add(time.Second), func(o Outcome) { done <- o }, &b)
	if len(b.queries) != 1 {
		t.Fatalf("%d queries batched, want 1", len(b.queries))
	}
	q := b.queries[0]
	reply := new(dns.Msg)
	if err := reply.Unpack(p.packed(q.id)); err != nil {
		t.Fatal(err)
	}
	reply = goodReply(reply)
	raw, err := reply.Pack()
	if err != nil {
		t.Fatal(err)
	}
	q.m.deliver(pendingKey{server, q.id}, delivery{msg: raw, at: time.Now(), from: server})
	out := <-done
	if out.Code != CodeOK || out.RTT < 0 || out.RTT > time.Second {
		t.Errorf("stray reply before the flush: %v, RTT %v", out.Code, out.RTT)
	}
	b.flush() // the datagram goes out; its run is over already
}

func TestRTTMillis(t *testing.T) {
	for _, tc := range []struct {
		rtt  time.Duration
		want int64
	}{
		{0, 0}, {time.Microsecond, 1}, {time.Millisecond, 1}, {time.Millisecond + 1, 2},
		{math.MaxInt64, math.MaxInt64/int64(time.Millisecond) + 1},
	} {
		if got := (Result{RTT: tc.rtt}).RTTMillis(); got != tc.want {
			t.Errorf("RTTMillis(%v) = %d, want %d", tc.rtt, got, tc.want)
		}
	}
}
