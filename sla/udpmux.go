package sla

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// udpMux is one unconnected UDP socket shared by every DNS operation with
// the same source address (and no source port of its own): a query goes out
// with WriteTo, and one reader goroutine hands each reply to the waiting
// probe by server address and DNS ID; the probe checks the question.
//
// Sharing keeps the per-probe cost to one sendto and a channel hand-off
// instead of socket, bind, connect and close. The socket is bound to the
// source address, so a probe still cannot leave from another address.
// IP_RECVERR keeps the IOS "No connection" outcome: the kernel queues the
// ICMP port unreachable with the original query, whose destination and ID
// name the probe it belongs to.
type udpMux struct {
	conn  *net.UDPConn
	raw   syscall.RawConn
	batch batchConn // conn, for sendmmsg

	mu       sync.Mutex
	pending  map[pendingKey]handler
	inFlight map[netip.AddrPort]int // len(pending) per server
}

// A handler gets what arrives for one outstanding query: replies with its
// ID from its server, or the ICMP error its query provoked.
type handler interface {
	// bound is called, under the socket's lock, when h is registered.
	bound(m *udpMux, id uint16)
	handle(delivery)
}

type pendingKey struct {
	server netip.AddrPort
	id     uint16
}

// A waiter passes what arrives to a probe goroutine waiting for it.
type waiter struct {
	ch chan delivery
}

func (w *waiter) bound(*udpMux, uint16) {}

func (w *waiter) handle(d delivery) {
	select {
	case w.ch <- d:
	default: // the probe is flooded with non-matching replies: drop
	}
}

type delivery struct {
	msg  []byte
	at   time.Time
	err  error // syscall.ECONNREFUSED when the server's port was unreachable
	from netip.AddrPort
}

// muxShards is how many shared sockets each source address may get. Each
// socket and server pair has 65,536 DNS IDs for the queries in flight;
// the first socket serves until half of them are in use towards a server,
// then the next one opens. One socket is best while it suffices: its
// reader drains a whole batch of replies in one wake-up.
const muxShards = 8

// rcvBuf is the receive buffer asked for each shared socket.
const rcvBuf = 8 << 20

// shardFull is the number of queries in flight towards one server above
// which a socket passes new queries to the next shard.
const shardFull = 1 << 15

type muxKey struct {
	src    netip.Addr
	device string // vrf: SO_BINDTODEVICE
	shard  int
}

var (
	muxesMu sync.Mutex
	muxes   = map[muxKey]*udpMux{}
)

// muxFor returns shared socket number shard for source address src (the
// unspecified address of the server's family when the operation sets no
// source-ip), opening it on first use. Sockets live as long as the
// process: muxShards per distinct source address, a handful.
func muxFor(src netip.Addr, device string, shard int) (*udpMux, error) {
	key := muxKey{src, device, shard % muxShards}
	muxesMu.Lock()
	defer muxesMu.Unlock()
	if m := muxes[key]; m != nil {
		return m, nil
	}
	network := "udp4"
	if src.Is6() {
		network = "udp6"
	}
	lc := net.ListenConfig{Control: sockOpts{device: device}.control}
	pc, err := lc.ListenPacket(context.Background(), network, netip.AddrPortFrom(src, 0).String())
	if err != nil {
		return nil, err
	}
	conn := pc.(*net.UDPConn)
	raw, err := conn.SyscallConn()
	if err != nil {
		conn.Close()
		return nil, err
	}
	var serr error
	raw.Control(func(fd uintptr) {
		if src.Is6() {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_RECVERR, 1)
		} else {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVERR, 1)
		}
		if serr == nil {
			// Room for bursts of replies while the reader is descheduled,
			// and for a hostile server's flood beside them: beyond
			// net.core.rmem_max when the process has CAP_NET_ADMIN.
			if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvBuf) != nil {
				unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, rcvBuf)
			}
		}
	})
	if serr != nil {
		conn.Close()
		return nil, serr
	}
	m := &udpMux{conn: conn, raw: raw, pending: map[pendingKey]handler{}, inFlight: map[netip.AddrPort]int{}}
	if src.Is6() {
		m.batch = ipv6.NewPacketConn(conn)
	} else {
		m.batch = ipv4.NewPacketConn(conn)
	}
	muxes[key] = m
	go m.read()
	return m, nil
}

// register reserves an ID unused towards server for h and returns it; ok
// is false when the socket has shardFull queries in flight to server.
func (m *udpMux) register(server netip.AddrPort, random func() uint16, h handler) (id uint16, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.inFlight[server] >= shardFull {
		return 0, false
	}
	id = random()
	for {
		// At most half the IDs are taken: this ends, in two tries on average.
		k := pendingKey{server, id}
		if _, busy := m.pending[k]; !busy {
			m.pending[k] = h
			m.inFlight[server]++
			h.bound(m, id)
			return id, true
		}
		id++
	}
}

// sendTo sends one datagram on the shared socket. A send can fail with
// the error of an ICMP message that an earlier datagram provoked:
// IP_RECVERR sets the socket's pending error, and whichever system call
// comes first reports (and clears) it, a send as well as the reader's
// receive. That error belongs to the earlier query, whose report waits on
// the error queue: deliver it, then send again; a second failure is this
// datagram's own.
func (m *udpMux) sendTo(packet []byte, to netip.AddrPort) error {
	_, err := m.conn.WriteToUDPAddrPort(packet, to)
	if err != nil {
		m.drainErrors()
		_, err = m.conn.WriteToUDPAddrPort(packet, to)
	}
	return err
}

// errNoID is a run's error when every DNS ID towards its server is taken.
const errNoID = "too many queries in flight towards the server on the shared sockets"

func (m *udpMux) unregister(server netip.AddrPort, id uint16) {
	m.mu.Lock()
	k := pendingKey{server, id}
	if _, ok := m.pending[k]; ok {
		delete(m.pending, k)
		if m.inFlight[server]--; m.inFlight[server] == 0 {
			delete(m.inFlight, server)
		}
	}
	m.mu.Unlock()
}

// registerAny registers h on the first of src's shared sockets with room.
func registerAny(src netip.Addr, device string, server netip.AddrPort, h handler) (*udpMux, uint16, error) {
	for shard := range muxShards {
		m, err := muxFor(src, device, shard)
		if err != nil {
			return nil, 0, err
		}
		if id, ok := m.register(server, randomID, h); ok {
			return m, id, nil
		}
	}
	return nil, 0, errors.New(errNoID)
}

func (m *udpMux) deliver(k pendingKey, d delivery) {
	m.mu.Lock()
	h := m.pending[k]
	m.mu.Unlock()
	if h != nil { // else late, or not ours
		h.handle(d)
	}
}

func (m *udpMux) read() {
	// One datagram per system call: recvmmsg measured no cheaper here (the
	// reader wakes for each reply or two at 10,000 operations a second)
	// and costs an address allocation per datagram.
	buf := make([]byte, 65536)
	for {
		n, from, err := m.conn.ReadFromUDPAddrPort(buf)
		at := time.Now()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// ECONNREFUSED and friends: the details are on the error queue.
			if m.drainErrors() == 0 {
				time.Sleep(10 * time.Millisecond) // some other error: do not spin
			}
			continue
		}
		if n < 12 {
			continue
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		id := binary.BigEndian.Uint16(buf)
		msg := make([]byte, n)
		copy(msg, buf[:n])
		m.deliver(pendingKey{from, id}, delivery{msg: msg, at: at, from: from})
	}
}

// drainErrors reads the socket's error queue (IP_RECVERR): each entry
// carries the query that provoked an ICMP error and its destination. It
// returns how many entries it read.
func (m *udpMux) drainErrors() (entries int) {
	buf := make([]byte, 512)
	oob := make([]byte, 512)
	for ; ; entries++ {
		var (
			n, oobn int
			from    unix.Sockaddr
			rerr    error
		)
		// Control, not Read: the reader goroutine holds the read lock
		// while it waits for a datagram, and a sender drains too.
		err := m.raw.Control(func(fd uintptr) {
			n, oobn, _, from, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
		})
		if err != nil || rerr != nil {
			return entries // EAGAIN: the queue is empty
		}
		errno := queuedErrno(oob[:oobn])
		if n < 2 || errno == 0 {
			continue
		}
		var dst netip.AddrPort
		switch sa := from.(type) {
		case *unix.SockaddrInet4:
			dst = netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
		case *unix.SockaddrInet6:
			dst = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
		default:
			continue
		}
		id := binary.BigEndian.Uint16(buf)
		m.deliver(pendingKey{dst, id}, delivery{err: errno, at: time.Now()})
	}
}

// queuedErrno finds the sock_extended_err in the control messages of an
// error-queue read and returns its errno (ECONNREFUSED for a port
// unreachable, EHOSTUNREACH, ...).
func queuedErrno(oob []byte) syscall.Errno {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	for _, c := range msgs {
		if (c.Header.Level == unix.IPPROTO_IP && c.Header.Type == unix.IP_RECVERR) ||
			(c.Header.Level == unix.IPPROTO_IPV6 && c.Header.Type == unix.IPV6_RECVERR) {
			if len(c.Data) >= 4 {
				return syscall.Errno(binary.NativeEndian.Uint32(c.Data))
			}
		}
	}
	return 0
}

// batchConn sends several datagrams in one system call (sendmmsg):
// ipv4.PacketConn and ipv6.PacketConn, whose Message types are the same
// type.
type batchConn interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// sendBatch collects the queries of the runs that start in one wake-up of
// the scheduler, to send them with one sendmmsg per shared socket instead
// of a sendto each. Only the scheduler's goroutine uses it.
type sendBatch struct {
	queries []*asyncQuery
	packets [][]byte
	msgs    []ipv4.Message // reused between flushes
}

func (b *sendBatch) add(q *asyncQuery, packet []byte) {
	b.queries = append(b.queries, q)
	b.packets = append(b.packets, packet)
}

// flush sends the queued queries, socket by socket, and empties b.
func (b *sendBatch) flush() {
	for i := 0; i < len(b.queries); {
		m := b.queries[i].m
		j := i + 1
		for j < len(b.queries) && b.queries[j].m == m {
			j++
		}
		m.writeBatch(b.queries[i:j], b.packets[i:j], &b.msgs)
		i = j
	}
	clear(b.queries)
	clear(b.packets)
	b.queries, b.packets = b.queries[:0], b.packets[:0]
}

// writeBatch sends packets[i] for qs[i]; a query whose datagram the
// kernel refuses ends at once with the send error, as with sendto.
func (m *udpMux) writeBatch(qs []*asyncQuery, packets [][]byte, msgs *[]ipv4.Message) {
	for len(*msgs) < len(qs) {
		*msgs = append(*msgs, ipv4.Message{Buffers: make([][]byte, 1)})
	}
	ms := (*msgs)[:len(qs)]
	for i, q := range qs {
		ms[i].Buffers[0], ms[i].Addr = packets[i], q.p.udpAddr()
	}
	// The RTTs count from here. Under the lock the reader takes before it
	// hands over a reply, so the reader sees these writes.
	now := time.Now()
	m.mu.Lock()
	for _, q := range qs {
		q.start = now
	}
	m.mu.Unlock()
	retried := false // the first unsent datagram was refused once
	for rest, queries := ms, qs; len(rest) > 0; {
		n, err := m.batch.WriteBatch(rest, 0)
		if n = max(n, 0); n > 0 {
			retried = false
		}
		rest, queries = rest[n:], queries[n:]
		if len(rest) == 0 {
			break
		}
		if err == nil && n == 0 {
			err = errors.New("sendmmsg sent nothing")
		}
		if err == nil {
			// A partial send: a datagram failed and sendmmsg, having
			// sent others, dropped its error. If that was an earlier
			// query's ICMP error (see sendTo), its report waits on the
			// error queue, and nothing else will read it now.
			m.drainErrors()
			continue
		}
		if !retried {
			// Perhaps an earlier query's ICMP error (see sendTo).
			m.drainErrors()
			retried = true
			continue
		}
		// The first unsent datagram is the one the kernel refused.
		queries[0].finish(sendError(err))
		rest, queries = rest[1:], queries[1:]
		retried = false
	}
	for i := range ms {
		ms[i].Buffers[0], ms[i].Addr = nil, nil
	}
}
