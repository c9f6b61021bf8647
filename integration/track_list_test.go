package integration

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listTrackConfig tracks two DNS servers, an interface and a stub object
// and combines them in lists; route 192.0.2.53/32 via d2 follows track 11:
//
//	track 10 = list boolean or  {ip sla 1 (d1), ip sla 2 (d2)}
//	track 11 = list boolean and {track 10, interface r-d2 line-protocol,
//	                             ip route 198.51.100.0/24 reachability, stub 20}
const listTrackConfig = `ip sla 1
 dns ns1.example.com name-server 10.1.0.10
 frequency 1
 timeout 500
 threshold 500
ip sla schedule 1 life forever start-time now
ip sla 2
 dns ns1.example.com name-server 10.2.0.10
 frequency 1
 timeout 500
 threshold 500
ip sla schedule 2 life forever start-time now
track 1 ip sla 1
track 2 ip sla 2
track 3 interface r-d2 line-protocol
track 4 ip route 198.51.100.0 255.255.255.0 reachability
track 10 list boolean or
 object 1
 object 2
track 20 stub-object
 default-state up
track 11 list boolean and
 object 10
 object 3
 object 4
 object 20
ip route 192.0.2.53 255.255.255.255 10.2.0.10 track 11
`

func listZone(addr string) string {
	return fmt.Sprintf(`$ORIGIN example.com.
$TTL 60
@        IN SOA ns1.example.com. hostmaster.example.com. ( 1 3600 600 86400 60 )
@        IN NS  ns1.example.com.
ns1      IN A   %s
`, addr)
}

// control sends one command line to ipslad's control socket and returns
// the answer.
func control(t *testing.T, sock, line string) string {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatalf("control socket: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%s\n", line)
	var b strings.Builder
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return b.String()
}

// TestTrackListEndToEnd runs the real ipslad against two real nsd servers
// in namespaces of their own: a boolean-or list of the two servers' probes,
// and-ed with an interface object and a stub object, drives a tracked route
// in the real kernel. Times are printed, never asserted.
func TestTrackListEndToEnd(t *testing.T) {
	skipUnlessRoot(t)
	requireBinaries(t, "ip", "nsd", "dig")
	bin := buildIpslad(t)
	l := newLab(t)
	r, d1, d2 := l.netns("r", true), l.netns("d1", false), l.netns("d2", false)
	l.link(r, "10.1.0.1/24", d1, "10.1.0.10/24")
	l.link(r, "10.2.0.1/24", d2, "10.2.0.10/24")
	nsd1 := startNSD(t, d1, "", []string{"10.1.0.10"}, listZone("10.1.0.10"))
	nsd2 := startNSD(t, d2, "", []string{"10.2.0.10"}, listZone("10.2.0.10"))

	ip(t, r, "route", "add", "198.51.100.0/24", "via", "10.1.0.10") // for track 4

	dir := t.TempDir()
	cfg := filepath.Join(dir, "ipslad.conf")
	if err := os.WriteFile(cfg, []byte(listTrackConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(30*time.Second, bin, "-f", cfg, "--check"); err != nil {
		t.Fatalf("ipslad --check rejects the config: %v\n%s", err, out)
	}
	sock := filepath.Join(dir, "ipslad.sock")
	d := startIpslad(t, r, cfg, "--socket", sock)

	const wait = 20 * time.Second
	const poll = 20 * time.Millisecond
	inKernel := func() bool {
		kr, ok := kernelRoute(r, anycastPrefix)
		return ok && kr.Protocol == "200" && kr.Gateway == "10.2.0.10"
	}
	gone := func() bool { _, ok := kernelRoute(r, anycastPrefix); return !ok }
	logged := func(s string) func() bool { return func() bool { return strings.Contains(d.Output(), s) } }
	step := func(name string, cond func() bool) time.Duration {
		t.Helper()
		took, ok := waitFor(t, wait, poll, cond)
		if !ok {
			t.Fatalf("%s: not within %v\nshow track:\n%s", name, wait, control(t, sock, "show track"))
		}
		t.Logf("%s: %v", name, took.Round(time.Millisecond))
		return took
	}

	start := step("start -> route in kernel", inKernel)

	// One server down: the or-list stays Up, the route stays.
	nsd1.Stop()
	step("nsd1 stop -> track 1 Down", logged("%TRACK-6-STATE: 1 ip sla 1 state Up -> Down"))
	if !inKernel() || strings.Contains(d.Output(), "%TRACK-6-STATE: 10 list boolean or Up -> Down") {
		t.Fatalf("one server of two down took the route away:\n%s", control(t, sock, "show track 10"))
	}
	// Both down: the list goes Down and with it the route.
	nsd2.Stop()
	bothDown := step("nsd2 stop too -> route withdrawn", gone)
	for _, line := range []string{"%TRACK-6-STATE: 10 list boolean or Up -> Down", "%TRACK-6-STATE: 11 list boolean and Up -> Down"} {
		if !strings.Contains(d.Output(), line) {
			t.Errorf("log lacks %q", line)
		}
	}
	nsd2.Start()
	back := step("nsd2 start -> route back", inKernel)

	// The interface object: r's link to d2 loses carrier.
	ip(t, d2, "link", "set", "d2-r", "down")
	ifDown := step("d2 link down -> route withdrawn", gone)
	step("interface object logged", logged("%TRACK-6-STATE: 3 interface r-d2 line-protocol Up -> Down"))
	ip(t, d2, "link", "set", "d2-r", "up")
	ifUp := step("d2 link up -> route back", inKernel)

	// The route object: the watched route leaves the kernel and returns.
	ip(t, r, "route", "del", "198.51.100.0/24", "via", "10.1.0.10")
	rtDown := step("watched route deleted -> route withdrawn", gone)
	step("route object logged", logged("%TRACK-6-STATE: 4 ip route 198.51.100.0/24 reachability Up -> Down"))
	ip(t, r, "route", "add", "198.51.100.0/24", "via", "10.1.0.10", "proto", "static")
	rtUp := step("watched route back -> route back", inKernel)
	if out := control(t, sock, "show track 4"); !strings.Contains(out, "Reachability is Up (static)") || !strings.Contains(out, "First-hop interface is r-d1") {
		t.Errorf("show track 4:\n%s", out)
	}

	// The stub object: the operator's drain switch.
	if out := control(t, sock, "track 20 set down"); strings.HasPrefix(out, "%") {
		t.Fatalf("track 20 set down: %s", out)
	}
	drain := step("track 20 set down -> route withdrawn", gone)
	if out := control(t, sock, "show track 11"); !strings.Contains(out, "Boolean AND is Down") || !strings.Contains(out, "object 20 Down") {
		t.Errorf("show track 11 after drain:\n%s", out)
	}
	control(t, sock, "track 20 set up")
	undrain := step("track 20 set up -> route back", inKernel)

	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	fmt.Printf("TRACK-LIST: start->kernel %v | both servers down->withdrawn %v | one back->installed %v | link down->withdrawn %v, up->installed %v | watched route del->withdrawn %v, add->installed %v | stub down->withdrawn %v, up->installed %v\n",
		ms(start), ms(bothDown), ms(back), ms(ifDown), ms(ifUp), ms(rtDown), ms(rtUp), ms(drain), ms(undrain))
}
