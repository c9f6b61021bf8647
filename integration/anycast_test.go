package integration

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/vishvananda/netns"
)

// The anycast lab of examples/lab/lab.sh, for each IGP:
//
//	cl --- core --- e1 --- d1      d1, d2: 192.0.2.53/32 and 2001:db8:53::53/128 on lo, nsd
//	          \                    e1, e2: FRR + ipslad probing its DNS server, tracking
//	           --- e2 --- d2       both anycast routes; the IGP prefers e1's.
//
// Each test builds one topology and walks it through the steps:
// healthy, nsd on d1 stopped and started again, d1 blackholed, e1's ipslad
// stopped with SIGTERM, and killed with SIGKILL followed by the dead-man's
// switch (ipslad --flush, as a systemd ExecStopPost runs it). After every
// step the client must be answered by the expected server over IPv4 and
// IPv6. Times are printed, never asserted.
const anycast6 = "2001:db8:53::53"

type anycastLab struct {
	t                *testing.T
	igp              string
	bin              string // ipslad
	cl, core, e1, e2 string // namespaces
	d1, d2           string
	nsd1             *nsdServer
	ipslad1          *ipsladProc // edge1's
	cfg1, sock1      string
	conns            map[string]net.Conn // client sockets by anycast address
}

func anycastZone(server string) string {
	return fmt.Sprintf(`$ORIGIN example.com.
$TTL 1
@        IN SOA ns.example.com. hostmaster.example.com. ( 1 3600 600 86400 1 )
@        IN NS  ns.example.com.
ns       IN A   %[1]s
anycast  IN A   %[1]s
anycast  IN AAAA %[2]s
anycast  IN TXT "%[3]s"
`, anycastAddr, anycast6, server)
}

// anycastEdgeConfig is the ipslad config of edge i (1 or 2): IOS timers, one
// probe tracking the IPv4 and the IPv6 anycast route. The probe goes to the
// server's IPv4 address, or with v6 to its IPv6 address.
func anycastEdgeConfig(i int, v6 bool) string {
	server := fmt.Sprintf("10.0.%d.10", i)
	if v6 {
		server = fmt.Sprintf("2001:db8:%d::10", i)
	}
	return fmt.Sprintf(`ip sla 101
 dns anycast.example.com name-server %[2]s
 frequency 1
 timeout 500
 threshold 500
ip sla schedule 101 life forever start-time now
track 101 ip sla 101
ip route 192.0.2.53 255.255.255.255 10.0.%[1]d.10 track 101
ipv6 route 2001:db8:53::53/128 2001:db8:%[1]d::10 track 101
`, i, server)
}

// anycastPolicy: prefix lists and route maps, before the router blocks (see
// seedFRRRouter for why).
func anycastPolicy(metric int) string {
	return fmt.Sprintf(`ip prefix-list ANYCAST seq 5 permit 192.0.2.0/24 ge 32
ipv6 prefix-list ANYCAST6 seq 5 permit 2001:db8:53::/48 ge 128
route-map ANYCAST permit 10
 match ip address prefix-list ANYCAST
 set metric %[1]d
route-map ANYCAST6 permit 10
 match ipv6 address prefix-list ANYCAST6
 set metric %[1]d
!
`, metric)
}

// anycastFRR returns the FRR config of role ("core", "e1", "e2") for igp and
// the daemons to run.
func anycastFRR(igp, role string) (string, []string) {
	var b strings.Builder
	b.WriteString("frr defaults traditional\nhostname " + role + "\n")
	i := strings.TrimPrefix(role, "e")
	if role != "core" {
		metric := 10
		if role == "e2" {
			metric = 100
		}
		b.WriteString(anycastPolicy(metric))
	}
	switch igp {
	case "bgp":
		if role == "core" {
			b.WriteString(`router bgp 65000
 bgp router-id 10.99.0.1
 no bgp ebgp-requires-policy
 timers bgp 1 3
 neighbor 10.99.1.2 remote-as 65001
 neighbor 10.99.1.2 timers connect 1
 neighbor 10.99.1.2 advertisement-interval 0
 neighbor 10.99.2.2 remote-as 65002
 neighbor 10.99.2.2 timers connect 1
 neighbor 10.99.2.2 advertisement-interval 0
 address-family ipv4 unicast
  network 10.9.0.0/24
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:9::/64
  neighbor 10.99.1.2 activate
  neighbor 10.99.2.2 activate
 exit-address-family
!
`)
		} else {
			prepend := ""
			if role == "e2" {
				// edge2's path is longer: core prefers edge1 while both advertise.
				prepend = "  neighbor 10.99.2.1 route-map BACKUP out\n"
				b.WriteString("route-map BACKUP permit 10\n set as-path prepend 65002 65002\n!\n")
			}
			fmt.Fprintf(&b, `router bgp 6500%[1]s
 bgp router-id 10.99.%[1]s.2
 no bgp ebgp-requires-policy
 timers bgp 1 3
 neighbor 10.99.%[1]s.1 remote-as 65000
 neighbor 10.99.%[1]s.1 timers connect 1
 neighbor 10.99.%[1]s.1 advertisement-interval 0
 address-family ipv4 unicast
  redistribute kernel route-map ANYCAST
%[2]s exit-address-family
 address-family ipv6 unicast
  neighbor 10.99.%[1]s.1 activate
  redistribute kernel route-map ANYCAST6
%[2]s exit-address-family
!
`, i, prepend)
		}
		return b.String(), []string{"bgpd"}
	case "ospf":
		var ifs []string
		var rid, nets string
		switch role {
		case "core":
			ifs, rid = []string{"core-e1", "core-e2"}, "10.99.0.1"
			nets = " network 10.99.1.0/30 area 0\n network 10.99.2.0/30 area 0\n network 10.9.0.0/24 area 0\n passive-interface core-cl\n"
		default:
			ifs, rid = []string{role + "-core"}, "10.99."+i+".2"
			nets = " network 10.99." + i + ".0/30 area 0\n redistribute kernel route-map ANYCAST\n"
		}
		for _, ifn := range ifs {
			fmt.Fprintf(&b, `interface %s
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 3
 ipv6 ospf6 area 0
 ipv6 ospf6 network point-to-point
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 3
!
`, ifn)
		}
		if role == "core" {
			b.WriteString("interface core-cl\n ipv6 ospf6 area 0\n ipv6 ospf6 passive\n!\n")
		}
		fmt.Fprintf(&b, "router ospf\n ospf router-id %s\n timers throttle spf 0 50 500\n timers lsa min-arrival 0\n%s!\n", rid, nets)
		fmt.Fprintf(&b, "router ospf6\n ospf6 router-id %s\n timers throttle spf 0 50 500\n timers lsa min-arrival 0\n", rid)
		if role != "core" {
			b.WriteString(" redistribute kernel route-map ANYCAST6\n")
		}
		b.WriteString("!\n")
		return b.String(), []string{"ospfd", "ospf6d"}
	case "eigrp":
		if role == "core" {
			b.WriteString("router eigrp 100\n eigrp router-id 10.99.0.1\n network 10.99.1.0/30\n network 10.99.2.0/30\n network 10.9.0.0/24\n!\n")
		} else {
			delay := 10
			if role == "e2" {
				delay = 1000
			}
			fmt.Fprintf(&b, "router eigrp 100\n eigrp router-id 10.99.%s.2\n network 10.99.%s.0/30\n redistribute kernel metric 1000000 %d 255 1 1500\n!\n", i, i, delay)
		}
		return b.String(), []string{"eigrpd"}
	}
	panic("unknown igp " + igp)
}

// newAnycastLab builds the topology, starts nsd, FRR for igp and ipslad on
// both edges (probing over IPv6 with probe6). It does not wait for routing
// to converge.
func newAnycastLab(t *testing.T, igp string, probe6 bool) *anycastLab {
	requireLab(t)
	a := &anycastLab{t: t, igp: igp, bin: buildIpslad(t)}
	l := newLab(t)
	a.cl, a.core = l.netns("cl", false), l.netns("core", true)
	a.e1, a.e2 = l.netns("e1", true), l.netns("e2", true)
	a.d1, a.d2 = l.netns("d1", false), l.netns("d2", false)

	type end struct {
		ns     string
		v4, v6 string
	}
	for _, p := range [][2]end{
		{{a.cl, "10.9.0.2/24", "2001:db8:9::2/64"}, {a.core, "10.9.0.1/24", "2001:db8:9::1/64"}},
		{{a.core, "10.99.1.1/30", "2001:db8:99:1::1/64"}, {a.e1, "10.99.1.2/30", "2001:db8:99:1::2/64"}},
		{{a.core, "10.99.2.1/30", "2001:db8:99:2::1/64"}, {a.e2, "10.99.2.2/30", "2001:db8:99:2::2/64"}},
		{{a.e1, "10.0.1.1/24", "2001:db8:1::1/64"}, {a.d1, "10.0.1.10/24", "2001:db8:1::10/64"}},
		{{a.e2, "10.0.2.1/24", "2001:db8:2::1/64"}, {a.d2, "10.0.2.10/24", "2001:db8:2::10/64"}},
	} {
		ifA, ifB := l.link(p[0].ns, p[0].v4, p[1].ns, p[1].v4)
		ip(t, p[0].ns, "addr", "add", p[0].v6, "dev", ifA, "nodad")
		ip(t, p[1].ns, "addr", "add", p[1].v6, "dev", ifB, "nodad")
	}
	ip(t, a.cl, "route", "add", "default", "via", "10.9.0.1")
	ip(t, a.cl, "-6", "route", "add", "default", "via", "2001:db8:9::1")
	for i, d := range []string{a.d1, a.d2} {
		ip(t, d, "addr", "add", anycastPrefix, "dev", "lo")
		ip(t, d, "addr", "add", anycast6+"/128", "dev", "lo", "nodad")
		ip(t, d, "route", "add", "default", "via", fmt.Sprintf("10.0.%d.1", i+1))
		ip(t, d, "-6", "route", "add", "default", "via", fmt.Sprintf("2001:db8:%d::1", i+1))
	}

	a.nsd1 = startNSD(t, a.d1, "", []string{"10.0.1.10", "2001:db8:1::10", anycastAddr, anycast6}, anycastZone("dns1"))
	startNSD(t, a.d2, "", []string{"10.0.2.10", "2001:db8:2::10", anycastAddr, anycast6}, anycastZone("dns2"))

	// ospfd and ospf6d write graceful-restart state straight into
	// /var/run/frr, whatever the pathspace: remove what this test created.
	for _, f := range []string{"/var/run/frr/ospfd-gr.json", "/var/run/frr/ospf6d-gr.json", "/var/run/frr/ospf6d-at-seq-no.dat"} {
		if _, err := os.Stat(f); err != nil {
			t.Cleanup(func() { os.Remove(f) })
		}
	}
	for _, r := range [][2]string{{a.core, "core"}, {a.e1, "e1"}, {a.e2, "e2"}} {
		conf, daemons := anycastFRR(igp, r[1])
		startFRR(t, r[0], conf, daemons...)
	}

	dir := readableTempDir(t)
	a.cfg1, a.sock1 = filepath.Join(dir, "e1.cfg"), filepath.Join(dir, "e1.sock")
	cfg2 := filepath.Join(dir, "e2.cfg")
	for i, c := range []string{a.cfg1, cfg2} {
		if err := os.WriteFile(c, []byte(anycastEdgeConfig(i+1, probe6)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a.ipslad1 = startIpslad(t, a.e1, a.cfg1, "--socket", a.sock1)
	startIpslad(t, a.e2, cfg2, "--socket", filepath.Join(dir, "e2.sock"))
	return a
}

// answer returns the TXT record the client gets from the anycast address
// (IPv4 or IPv6), "" when there is no answer within 100 ms. The query goes
// out of a UDP socket opened inside the client's namespace (dig's shortest
// timeout, 1 s, would blur the times logged).
func (a *anycastLab) answer(addr string) string {
	c := a.clientConn(addr)
	m := new(dns.Msg)
	m.SetQuestion("anycast.example.com.", dns.TypeTXT)
	m.RecursionDesired = false
	b, err := m.Pack()
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := c.Write(b); err != nil {
		return "" // ECONNREFUSED left by an earlier ICMP error, or no route
	}
	buf := make([]byte, 4096)
	deadline := time.Now().Add(100 * time.Millisecond)
	for {
		_ = c.SetReadDeadline(deadline)
		n, err := c.Read(buf)
		if err != nil {
			if time.Now().Before(deadline) && !errors.Is(err, os.ErrDeadlineExceeded) {
				continue // ICMP error from an earlier query
			}
			return ""
		}
		var r dns.Msg
		if r.Unpack(buf[:n]) != nil || r.Id != m.Id {
			continue // a late answer to an earlier query
		}
		for _, rr := range r.Answer {
			if t, ok := rr.(*dns.TXT); ok && len(t.Txt) > 0 {
				return t.Txt[0]
			}
		}
		return ""
	}
}

// clientConn returns a UDP socket, created in the client's namespace, that
// is connected to addr port 53.
func (a *anycastLab) clientConn(addr string) net.Conn {
	t := a.t
	if c, ok := a.conns[addr]; ok {
		return c
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	h, err := netns.GetFromName(a.cl)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := netns.Set(h); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", net.JoinHostPort(addr, "53"))
	if err := netns.Set(orig); err != nil {
		panic(err) // this thread is in the wrong namespace: do not let it run anything else
	}
	if err != nil {
		t.Fatal(err)
	}
	if a.conns == nil {
		a.conns = map[string]net.Conn{}
	}
	a.conns[addr] = c
	t.Cleanup(func() { c.Close() })
	return c
}

// expect waits until the client is answered by server over IPv4 and IPv6
// and logs how long each took from t0.
func (a *anycastLab) expect(step, server string, t0 time.Time) {
	t := a.t
	t.Helper()
	var took [2]time.Duration
	for i, addr := range []string{anycastAddr, anycast6} {
		if _, ok := waitFor(t, 30*time.Second, 20*time.Millisecond, func() bool { return a.answer(addr) == server }); !ok {
			t.Fatalf("%s (%s): client not answered by %s @%s within 30 s; it gets %q\ncore:\n%s",
				step, a.igp, server, addr, a.answer(addr), a.coreRoutes())
		}
		took[i] = time.Since(t0)
	}
	t.Logf("%-40s client answered by %s: IPv4 after %v, IPv6 (checked next) after %v", step, server,
		took[0].Round(time.Millisecond), took[1].Round(time.Millisecond))
}

func (a *anycastLab) coreRoutes() string {
	out, _ := run(10*time.Second, "ip", "-n", a.core, "route", "show", anycastPrefix)
	out6, _ := run(10*time.Second, "ip", "-n", a.core, "-6", "route", "show", anycast6+"/128")
	return out + out6
}

// edgeRoute reports whether ipslad's (protocol 200) IPv4 anycast route is in
// edge ns's kernel.
func edgeRoute(ns string) bool {
	out, err := run(10*time.Second, "ip", "-n", ns, "route", "show", anycastPrefix, "proto", "200")
	return err == nil && strings.Contains(out, anycastAddr)
}

func (a *anycastLab) blackhole(on bool) {
	t := a.t
	t.Helper()
	// d1 still receives queries and probes, but its answers are dropped (no
	// netem or iptables here), so the probes time out.
	if on {
		ip(t, a.d1, "route", "add", "blackhole", "10.0.1.1/32")
		ip(t, a.d1, "route", "replace", "blackhole", "default")
		ip(t, a.d1, "-6", "route", "add", "blackhole", "2001:db8:1::1/128")
		ip(t, a.d1, "-6", "route", "replace", "blackhole", "default")
		return
	}
	ip(t, a.d1, "route", "del", "blackhole", "10.0.1.1/32")
	ip(t, a.d1, "route", "replace", "default", "via", "10.0.1.1")
	ip(t, a.d1, "-6", "route", "del", "blackhole", "2001:db8:1::1/128")
	ip(t, a.d1, "-6", "route", "replace", "default", "via", "2001:db8:1::1")
}

// run walks the lab through every failure and back.
func (a *anycastLab) run() {
	t := a.t
	t0 := time.Now()
	a.expect("healthy", "dns1", t0)

	t0 = time.Now()
	a.nsd1.Stop()
	a.expect("nsd on dns1 stopped", "dns2", t0)

	a.nsd1.Start()
	t0 = time.Now()
	a.expect("nsd on dns1 started again", "dns1", t0)

	t0 = time.Now()
	a.blackhole(true)
	a.expect("dns1 blackholed (probes time out)", "dns2", t0)
	a.blackhole(false)
	t0 = time.Now()
	a.expect("dns1 blackhole removed", "dns1", t0)

	// SIGTERM: ipslad withdraws its routes on the way out.
	t0 = time.Now()
	a.ipslad1.Signal(syscall.SIGTERM)
	if code := a.ipslad1.Wait(10 * time.Second); code != 0 {
		t.Fatalf("edge1's ipslad exited %d after SIGTERM:\n%s", code, a.ipslad1.Output())
	}
	if edgeRoute(a.e1) {
		t.Fatal("edge1's ipslad exited on SIGTERM but its route is still in the kernel")
	}
	a.expect("edge1's ipslad SIGTERM", "dns2", t0)

	a.ipslad1 = startIpslad(t, a.e1, a.cfg1, "--socket", a.sock1)
	t0 = time.Now()
	a.expect("edge1's ipslad started again", "dns1", t0)

	// SIGKILL: the route stays (nothing can withdraw it) until the
	// dead-man's switch runs, as systemd's ExecStopPost=ipslad --flush.
	a.ipslad1.Signal(syscall.SIGKILL)
	a.ipslad1.Wait(10 * time.Second)
	if !edgeRoute(a.e1) {
		t.Fatal("route gone right after SIGKILL: expected it to stay until ipslad --flush")
	}
	if got := a.answer(anycastAddr); got != "dns1" {
		t.Errorf("after SIGKILL, before --flush: client answered by %q, want dns1 (route still there)", got)
	}
	t0 = time.Now()
	if out, err := run(10*time.Second, "ip", "netns", "exec", a.e1, a.bin, "--flush"); err != nil {
		t.Fatalf("ipslad --flush: %v\n%s", err, out)
	}
	if edgeRoute(a.e1) {
		t.Fatal("ipslad --flush left the route in edge1's kernel")
	}
	a.expect("edge1's ipslad SIGKILL, then --flush", "dns2", t0)
}

// TestAnycastBGP: the lab over eBGP, ipslad probing over IPv4.
func TestAnycastBGP(t *testing.T) {
	a := newAnycastLab(t, "bgp", false)
	a.run()
}

// TestAnycastOSPF: the lab over OSPFv2 and OSPFv3, ipslad probing over IPv6
// (so every failure step also exercises IPv6 probes: refused, timed out).
func TestAnycastOSPF(t *testing.T) {
	a := newAnycastLab(t, "ospf", true)
	a.run()
}

// TestAnycastEIGRP runs the lab over EIGRP where FRR's eigrpd redistributes
// kernel routes. FRR 8.4's (Debian 12) forms adjacencies but its
// redistribution handler is empty: then the route never reaches core and
// the test skips, saying so.
func TestAnycastEIGRP(t *testing.T) {
	a := newAnycastLab(t, "eigrp", false)
	if _, ok := waitFor(t, 30*time.Second, 50*time.Millisecond, func() bool { return ribHas(a.e1, anycastPrefix, "kernel") }); !ok {
		t.Fatalf("zebra on edge1 never saw ipslad's route as a kernel route:\n%s", a.ipslad1.Output())
	}
	if _, ok := waitFor(t, 30*time.Second, 100*time.Millisecond, func() bool {
		out, err := vtyshOut(a.core, "show ip eigrp neighbors")
		return err == nil && strings.Contains(out, "10.99.1.2") && strings.Contains(out, "10.99.2.2")
	}); !ok {
		t.Fatal("no EIGRP adjacencies between core and the edges within 30 s")
	}
	if _, ok := waitFor(t, 5*time.Second, 100*time.Millisecond, func() bool { return ribHas(a.core, anycastPrefix, "eigrp") }); !ok {
		ver, _ := run(5*time.Second, frrDir+"/zebra", "--version")
		ver, _, _ = strings.Cut(ver, "\n")
		t.Skipf("skipping: this FRR's eigrpd (%s) forms adjacencies but does not redistribute kernel routes "+
			"(FRR 8.4's redistribution handler is empty): %s never reached core by EIGRP", strings.TrimSpace(ver), anycastPrefix)
	}
	a.run()
}

// TestFRRExampleSnippets checks examples/frr/*.conf with vtysh's dry run,
// so that the snippets cannot rot.
func TestFRRExampleSnippets(t *testing.T) {
	requireBinaries(t, "vtysh")
	files, err := filepath.Glob("../examples/frr/*.conf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples/frr/*.conf: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if out, err := run(30*time.Second, "vtysh", "--dryrun", "-f", f); err != nil {
				t.Errorf("vtysh --dryrun -f %s: %v\n%s", f, err, out)
			}
		})
	}
}
