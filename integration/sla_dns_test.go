package integration

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/ipslad/ipslad/sla"
)

// slaZone has what the dns operations below ask for, including a TXT
// record too big for a 512-byte UDP reply.
var slaZone = `$ORIGIN example.com.
$TTL 300
@       IN SOA ns1 admin 2026112601 3600 600 86400 300
        IN NS  ns1
ns1     IN A   127.0.0.1
anycast IN A   192.0.2.53
anycast IN AAAA 2001:db8::53
version IN TXT "serial=2026112601"
big     IN TXT "` + strings.Repeat("x", 250) + `" "` + strings.Repeat("y", 250) + `" "` + strings.Repeat("z", 250) + `"
`

// ip6Zone is the reverse zone of 2001:db8::/32 (ip6.arpa), served by a
// second nsd on 127.0.0.2 for the operations whose target is an IPv6
// address (a PTR query, as IOS asks for an address target).
var ip6Zone = `$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
$TTL 300
@       IN SOA ns1.example.com. admin.example.com. 2026112601 3600 600 86400 300
        IN NS  ns1.example.com.
3.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR dns1.example.com.
`

// slaCase is one dns operation and the return code nsd must give it, or,
// with op set, an operation of another type.
type slaCase struct {
	name string
	dns  sla.DNS
	want sla.ReturnCode
	op   func(*sla.Operation)
}

func slaCases() []slaCase {
	v4, v6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	d := func(target string, edit func(*sla.DNS)) sla.DNS {
		x := sla.DNS{Target: target, NameServer: v4}
		if edit != nil {
			edit(&x)
		}
		return x
	}
	return []slaCase{
		{"A", d("anycast.example.com", nil), sla.CodeOK, nil},
		{"expected address", d("anycast.example.com", func(x *sla.DNS) { x.Expect = "192.0.2.53" }), sla.CodeOK, nil},
		{"wrong address", d("anycast.example.com", func(x *sla.DNS) { x.Expect = "192.0.2.99" }), sla.CodeVerifyError, nil},
		{"AAAA", d("anycast.example.com", func(x *sla.DNS) { x.QueryType = dns.TypeAAAA; x.Expect = "2001:db8::53" }), sla.CodeOK, nil},
		{"SOA", d("example.com", func(x *sla.DNS) { x.QueryType = dns.TypeSOA }), sla.CodeOK, nil},
		{"TXT serial", d("version.example.com", func(x *sla.DNS) {
			x.QueryType, x.Expect, x.ExpectRegexp = dns.TypeTXT, "^serial=2026112601$", true
		}), sla.CodeOK, nil},
		{"stale serial", d("version.example.com", func(x *sla.DNS) {
			x.QueryType, x.Expect, x.ExpectRegexp = dns.TypeTXT, "^serial=2027", true
		}), sla.CodeVerifyError, nil},
		{"NXDOMAIN", d("nope.example.com", nil), sla.CodeDNSQueryError, nil},
		{"NXDOMAIN accepted", d("nope.example.com", func(x *sla.DNS) {
			x.Rcodes = 1<<dns.RcodeSuccess | 1<<dns.RcodeNameError
		}), sla.CodeOK, nil},
		{"out of zone: REFUSED", d("www.example.org", nil), sla.CodeDNSQueryError, nil},
		{"no data", d("anycast.example.com", func(x *sla.DNS) { x.QueryType = dns.TypeMX }), sla.CodeDNSQueryError, nil},
		{"no recursion-desired", d("anycast.example.com", func(x *sla.DNS) { x.NoRecursion = true }), sla.CodeOK, nil},
		{"transport tcp", d("anycast.example.com", func(x *sla.DNS) { x.TCP = true }), sla.CodeOK, nil},
		{"truncated", d("big.example.com", func(x *sla.DNS) { x.QueryType = dns.TypeTXT }), sla.CodeDNSQueryError, nil},
		{"truncated, tcp-fallback", d("big.example.com", func(x *sla.DNS) { x.QueryType = dns.TypeTXT; x.TCPFallback = true }), sla.CodeOK, nil},
		{"edns buffer-size 1232", d("big.example.com", func(x *sla.DNS) { x.QueryType = dns.TypeTXT; x.EDNSBufSize = 1232 }), sla.CodeOK, nil},
		{"IPv6 name server", d("anycast.example.com", func(x *sla.DNS) { x.NameServer = v6 }), sla.CodeOK, nil},
		{"IPv6 over tcp", d("anycast.example.com", func(x *sla.DNS) { x.NameServer = v6; x.TCP = true }), sla.CodeOK, nil},
		{"IPv6 target: ip6.arpa PTR", d("2001:db8::53", func(x *sla.DNS) { x.NameServer = netip.MustParseAddr("127.0.0.2") }), sla.CodeOK, nil},
		{"IPv6 target without PTR", d("2001:db8::54", func(x *sla.DNS) { x.NameServer = netip.MustParseAddr("127.0.0.2") }), sla.CodeDNSQueryError, nil},
		// Other types against the same namespace: the kernel answers the
		// pings (over an unprivileged ping socket: the test sets
		// ping_group_range in the namespace), nsd accepts TCP on port 53.
		{name: "icmp-echo", want: sla.CodeOK, op: func(o *sla.Operation) { o.ICMPEcho = &sla.ICMPEcho{Target: v4} }},
		{name: "icmp-echo IPv6", want: sla.CodeOK, op: func(o *sla.Operation) { o.ICMPEcho = &sla.ICMPEcho{Target: v6, SourceInterface: "lo"} }},
		{name: "tcp-connect to nsd", want: sla.CodeOK, op: func(o *sla.Operation) { o.TCPConnect = &sla.TCPConnect{Target: v4, Port: 53} }},
		{name: "tcp-connect, closed port", want: sla.CodeSocketConnectError, op: func(o *sla.Operation) {
			o.TCPConnect = &sla.TCPConnect{Target: v4, Port: 54}
		}},
		{name: "icmp-echo, no route (nothing is sent)", want: sla.CodeTimeout, op: func(o *sla.Operation) {
			o.ICMPEcho = &sla.ICMPEcho{Target: netip.MustParseAddr("192.0.2.1")}
		}},
		{name: "icmp-echo, no such interface", want: sla.CodeError, op: func(o *sla.Operation) {
			o.ICMPEcho = &sla.ICMPEcho{Target: v4, SourceInterface: "nosuch0"}
		}},
	}
}

// TestSLADNSAgainstNSD runs every dns operation variant through the real
// engine (sla.Scheduler with sla.NewProbe, shared sockets) against nsd in a
// namespace, with icmp-echo (over an unprivileged ping socket) and
// tcp-connect against the namespace's kernel and nsd, then stops nsd and
// checks "No connection". The probing runs in
// a copy of this test binary started inside the namespace (ip netns exec),
// so that every socket the engine opens lives there.
func TestSLADNSAgainstNSD(t *testing.T) {
	if phase := os.Getenv("IPSLAD_SLA_PHASE"); phase != "" {
		runSLAPhase(t, phase)
		return
	}
	skipUnlessRoot(t)
	requireBinaries(t, "ip", "nsd", "dig")
	l := newLab(t)
	ns := l.netns("dns", false)
	n := startNSD(t, ns, "", []string{"127.0.0.1", "::1"}, slaZone)
	startNSD(t, ns, "", []string{"127.0.0.2"}, ip6Zone)
	// Unprivileged ICMP sockets for every group, in this namespace only.
	mustRun(t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647")
	child := func(phase string) {
		t.Helper()
		cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run", "^TestSLADNSAgainstNSD$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "IPSLAD_SLA_PHASE="+phase)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS") {
			t.Fatalf("phase %s in %s: %v\n%s", phase, ns, err, out)
		}
		t.Logf("phase %s:\n%s", phase, out)
	}
	child("up")
	n.Stop()
	child("down")
}

func runSLAPhase(t *testing.T, phase string) {
	cases := slaCases()
	if phase == "down" {
		cases = []slaCase{
			{"nsd stopped: port unreachable", sla.DNS{Target: "anycast.example.com", NameServer: netip.MustParseAddr("127.0.0.1")}, sla.CodeNoConnection, nil},
			{"nsd stopped: IPv6", sla.DNS{Target: "anycast.example.com", NameServer: netip.MustParseAddr("::1")}, sla.CodeNoConnection, nil},
			{"nsd stopped: tcp", sla.DNS{Target: "anycast.example.com", NameServer: netip.MustParseAddr("127.0.0.1"), TCP: true}, sla.CodeNoConnection, nil},
		}
	}
	var ops []sla.Operation
	for i, c := range cases {
		op := sla.NewOperation(i + 1)
		if c.op != nil {
			c.op(&op)
		} else {
			d := c.dns
			op.DNS = &d
		}
		op.Frequency, op.Timeout, op.Threshold = time.Second, 900*time.Millisecond, 900*time.Millisecond
		op.Schedule = sla.Schedule{Scheduled: true, Forever: true, Start: sla.StartNow}
		ops = append(ops, op)
	}
	results := make(chan sla.Result, 256)
	s := sla.NewScheduler(results, sla.NewProbe, nil)
	if errs := s.Set(ops); len(errs) > 0 {
		t.Fatal(errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	got := map[int]sla.Result{}
	timeout := time.After(10 * time.Second)
	for len(got) < len(ops) {
		select {
		case r := <-results:
			if _, ok := got[r.ID]; !ok {
				got[r.ID] = r
			}
		case <-timeout:
			t.Fatalf("only %d of %d results", len(got), len(ops))
		}
	}
	for i, c := range cases {
		r := got[i+1]
		line := fmt.Sprintf("%-32s %-16s rtt %-10v %s", c.name, r.Code, r.RTT, r.Detail)
		if r.Code != c.want {
			t.Errorf("%s; want %s", line, c.want)
		} else {
			t.Log(line)
		}
	}
}
