// Command failover measures client-observed anycast failover and recovery
// on the lab topology of examples/lab (client — core — edge1 — dns1,
// core — edge2 — dns2; real FRR, real nsd, real kernel routes), for ipslad
// and, in the same run on the same lab, for ExaBGP's healthcheck.
//
// A trial kills nsd on dns1 (SIGKILL to nsd and its children) at a random
// point of the probe cycle and measures the time until the client, which
// sends a TXT query for anycast.example.com to 192.0.2.53 every 5 ms, gets
// its first answer from dns2 (failover); then it starts nsd again and
// measures the time until the first answer from dns1 (recovery). Cases:
//
//	ipslad-ios    ipslad on edge1/edge2: frequency 1, timeout 500, threshold 500
//	ipslad-msec   ipslad on edge1/edge2: frequency msec 200, timeout 100, threshold 100
//	ipslad-msec100 the same with frequency msec 100, timeout 80, threshold 80 (the parser's minimum)
//	exabgp        ExaBGP on dns1/dns2 (no ipslad), one iBGP session to its edge's FRR,
//	              healthcheck --interval 1 --fast-interval 1 --rise 1 --fall 1 --timeout 1
//	              --withdraw-on-down, check: dig @self ... | grep -q 'status: NOERROR'
//
// The BGP lab runs all three; the OSPF lab (ExaBGP speaks only BGP) the
// ipslad cases. Before its trials each case runs undisturbed for -cpu-window
// and the CPU time of its checker processes (ipslad; ExaBGP with its
// healthcheck and the shells and digs it forks) is divided by the probes
// made in that window.
//
// It needs root, ip(8), FRR, nsd and dig; exabgp is installed with apt-get
// when missing. It builds ipslad from this repository (or takes -ipslad),
// names everything it creates "ifo<pid>-*" and removes it on exit, Ctrl-C
// included.
//
//	go run ./bench/failover                          # 20 trials per case, BGP and OSPF
//	go run ./bench/failover -trials 30 -igp bgp
//
// Figures are printed as a table; see BENCHMARKS.md (## Failover).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/ipslad/ipslad/bench/internal/nsdconf"
)

const (
	anycast = "192.0.2.53"
	frrBin  = "/usr/lib/frr"
)

var (
	trials    = flag.Int("trials", 20, "trials per case")
	igps      = flag.String("igp", "bgp,ospf", "labs to run: bgp, ospf or both")
	cases     = flag.String("cases", "ipslad-ios,ipslad-msec,ipslad-msec100,exabgp", "cases to run (exabgp only on the BGP lab)")
	cpuWindow = flag.Duration("cpu-window", 15*time.Second, "undisturbed run per case for the CPU figures")
	ipsladBin = flag.String("ipslad", "", "ipslad binary (default: go build ./cmd/ipslad)")
	observe   = flag.String("observe", "", "internal: run the client observer against this address")
)

func main() {
	flag.Parse()
	if *observe != "" {
		observer(*observe)
		return
	}
	if os.Geteuid() != 0 {
		log.Fatal("failover: needs root (network namespaces, FRR, nsd)")
	}
	for _, b := range []string{"ip", "nsd", "dig", "vtysh", frrBin + "/zebra", frrBin + "/bgpd", frrBin + "/ospfd"} {
		if _, err := exec.LookPath(b); err != nil {
			log.Fatalf("failover: %s missing (apt-get install frr nsd dnsutils iproute2)", b)
		}
	}
	wantCases := strings.Split(*cases, ",")
	if slices.Contains(wantCases, "exabgp") && strings.Contains(*igps, "bgp") {
		ensureExaBGP()
	}
	work, err := os.MkdirTemp("", "failover-")
	must(err)
	workDir = work
	must(os.Chmod(work, 0o755))
	cleanups = append(cleanups, func() { os.RemoveAll(work) })
	// ospfd writes its graceful-restart state to /var/run/frr itself, whatever
	// the pathspace: remove it unless it was there before.
	for _, f := range []string{"/var/run/frr/ospfd-gr.json", "/var/run/frr/ospf6d-gr.json", "/var/run/frr/ospf6d-at-seq-no.dat"} {
		if _, err := os.Stat(f); err != nil {
			cleanups = append(cleanups, func() { os.Remove(f) })
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		log.Printf("failover: %v: cleaning up", s)
		cleanup()
		os.Exit(130)
	}()
	defer cleanup()

	bin := *ipsladBin
	if bin == "" {
		bin = filepath.Join(work, "ipslad")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ipslad").CombinedOutput(); err != nil {
			fail("go build ./cmd/ipslad (run from the repository root): %v\n%s", err, out)
		}
	}
	self, err := os.Executable()
	must(err)

	fmt.Printf("failover benchmark: %d trials per case; %s; %d CPUs\n", *trials, time.Now().Format(time.RFC3339), numCPU())
	var results []result
	idle := -1.0
	for _, igp := range strings.Split(*igps, ",") {
		l := newLab(igp, filepath.Join(work, igp), bin, self)
		if idle < 0 && slices.ContainsFunc(wantCases, func(c string) bool { return strings.HasPrefix(c, "ipslad") }) {
			idle = l.idleShare()
		}
		for _, c := range wantCases {
			if c == "exabgp" && igp != "bgp" {
				continue
			}
			results = append(results, l.runCase(c))
		}
		l.down()
	}
	report(results, idle)
}

// ---------------------------------------------------------------- cleanup

var (
	workDir  string
	cleanMu  sync.Mutex
	cleanups []func()
)

func cleanup() {
	cleanMu.Lock()
	defer cleanMu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanups = nil
}

func fail(format string, args ...any) {
	// The logs of the lab help more than the message alone.
	logs, _ := filepath.Glob(filepath.Join(workDir, "*", "[ex]*.log")) // edge*, exabgp*
	for _, f := range logs {
		if b, err := os.ReadFile(f); err == nil && len(b) > 0 {
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			fmt.Fprintf(os.Stderr, "--- %s (last lines)\n%s\n", f, strings.Join(lines[max(0, len(lines)-15):], "\n"))
		}
	}
	cleanup()
	log.Fatalf("failover: "+format, args...)
}

func must(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func sh(argv ...string) string {
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		fail("%s: %v: %s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}

func ensureExaBGP() {
	if _, err := exec.LookPath("exabgp"); err == nil {
		return
	}
	log.Print("failover: installing exabgp with apt-get")
	cmd := exec.Command("apt-get", "install", "-y", "-q", "exabgp")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		fail("apt-get install exabgp: %v\n%s", err, out)
	}
}

// ---------------------------------------------------------------- the lab

type lab struct {
	igp, dir, bin, self string
	prefix              string
	ns                  map[string]string // role -> namespace
	obs                 *obsState
	checkers            []*exec.Cmd // ipslad or exabgp processes of the running case
	undo                []func()    // removes what the lab created, last first
}

// clean removes the lab's namespaces (and what runs in them) and FRR
// directories; it runs once, from down or from the global cleanup.
func (l *lab) clean() {
	for i := len(l.undo) - 1; i >= 0; i-- {
		l.undo[i]()
	}
	l.undo = nil
}

func newLab(igp, dir, bin, self string) *lab {
	must(os.MkdirAll(dir, 0o755))
	l := &lab{igp: igp, dir: dir, bin: bin, self: self, prefix: fmt.Sprintf("ifo%d%c", os.Getpid()%100000, igp[0]), ns: map[string]string{}}
	cleanups = append(cleanups, l.clean)
	for _, r := range []string{"client", "core", "edge1", "edge2", "dns1", "dns2"} {
		name := l.prefix + "-" + r
		sh("ip", "netns", "add", name)
		l.undo = append(l.undo, func() { killNS(name); exec.Command("ip", "netns", "del", name).Run() })
		l.ns[r] = name
		sh("ip", "-n", name, "link", "set", "lo", "up")
		if strings.HasPrefix(r, "edge") || r == "core" {
			sh("ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv4.ip_forward=1")
		}
	}
	link := func(a, addrA, b, addrB string) {
		sh("ip", "link", "add", b, "netns", l.ns[a], "type", "veth", "peer", "name", a, "netns", l.ns[b])
		sh("ip", "-n", l.ns[a], "addr", "add", addrA, "dev", b)
		sh("ip", "-n", l.ns[b], "addr", "add", addrB, "dev", a)
		sh("ip", "-n", l.ns[a], "link", "set", b, "up")
		sh("ip", "-n", l.ns[b], "link", "set", a, "up")
	}
	link("client", "10.9.0.2/24", "core", "10.9.0.1/24")
	link("core", "10.99.1.1/30", "edge1", "10.99.1.2/30")
	link("core", "10.99.2.1/30", "edge2", "10.99.2.2/30")
	link("edge1", "10.0.1.1/24", "dns1", "10.0.1.10/24")
	link("edge2", "10.0.2.1/24", "dns2", "10.0.2.10/24")
	sh("ip", "-n", l.ns["client"], "route", "add", "default", "via", "10.9.0.1")
	for i := 1; i <= 2; i++ {
		d := l.ns[fmt.Sprintf("dns%d", i)]
		sh("ip", "-n", d, "addr", "add", anycast+"/32", "dev", "lo")
		sh("ip", "-n", d, "route", "add", "default", "via", fmt.Sprintf("10.0.%d.1", i))
		l.nsdSetup(i)
		l.nsdStart(i)
	}
	for _, r := range []string{"core", "edge1", "edge2"} {
		l.startFRR(r)
	}
	l.obs = startObserver(l.ns["client"], self)
	return l
}

// killNS kills what still runs in a namespace this command created.
func killNS(ns string) {
	out, _ := exec.Command("ip", "netns", "pids", ns).Output()
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func (l *lab) down() {
	l.stopCheckers()
	l.obs.stop()
	cleanMu.Lock()
	defer cleanMu.Unlock()
	l.clean()
}

func (l *lab) nsdSetup(i int) {
	d := filepath.Join(l.dir, fmt.Sprintf("dns%d", i))
	must(os.MkdirAll(d, 0o755))
	conf := nsdconf.Config(d, []string{anycast, fmt.Sprintf("10.0.%d.10", i)}, "example.com", "example.com.zone")
	zone := fmt.Sprintf(`$ORIGIN example.com.
$TTL 1
@        IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 1
@        IN NS  ns.example.com.
ns       IN A   %[1]s
anycast  IN A   %[1]s
anycast  IN TXT "dns%[2]d"
`, anycast, i)
	must(os.WriteFile(filepath.Join(d, "nsd.conf"), []byte(conf), 0o644))
	must(os.WriteFile(filepath.Join(d, "example.com.zone"), []byte(zone), 0o644))
}

func (l *lab) nsdStart(i int) {
	d := filepath.Join(l.dir, fmt.Sprintf("dns%d", i))
	os.Remove(filepath.Join(d, "nsd.pid"))
	sh("ip", "netns", "exec", l.ns[fmt.Sprintf("dns%d", i)], "nsd", "-c", filepath.Join(d, "nsd.conf"))
}

// nsdKill SIGKILLs nsd of dnsI and its children (a crash) and waits until
// they are gone.
func (l *lab) nsdKill(i int) {
	b, err := os.ReadFile(filepath.Join(l.dir, fmt.Sprintf("dns%d", i), "nsd.pid"))
	must(err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	must(err)
	pids := append([]int{pid}, children(pid)...)
	for _, p := range pids {
		syscall.Kill(p, syscall.SIGKILL)
	}
	for _, p := range pids {
		for alive(p) {
			time.Sleep(2 * time.Millisecond)
		}
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// children returns the descendants of pid.
func children(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	kids := map[int][]int{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 {
			pp, _ := strconv.Atoi(f[1])
			kids[pp] = append(kids[pp], p)
		}
	}
	var out []int
	q := []int{pid}
	for len(q) > 0 {
		p := q[0]
		q = q[1:]
		out = append(out, kids[p]...)
		q = append(q, kids[p]...)
	}
	return out
}

// ---------------------------------------------------------------- FRR

const policy = `ip prefix-list ANYCAST seq 5 permit 192.0.2.0/24 ge 32
route-map ANYCAST permit 10
 match ip address prefix-list ANYCAST
 set metric %d
route-map BACKUP permit 10
 set as-path prepend 65002 65002
!
`

// frrConf is the lab's FRR config (examples/lab/lab.sh), plus, on the BGP
// edges, the iBGP neighbour for the DNS server's ExaBGP.
func (l *lab) frrConf(role string) (string, []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "frr defaults traditional\nhostname %s\nlog file %s/%s-frr.log\n", role, l.dir, role)
	i := strings.TrimPrefix(role, "edge")
	if role != "core" {
		m := 10
		if role == "edge2" {
			m = 100
		}
		fmt.Fprintf(&b, policy, m)
	}
	if l.igp == "bgp" {
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
!
`)
			return b.String(), []string{"bgpd"}
		}
		out := ""
		if role == "edge2" {
			out = "  neighbor 10.99.2.1 route-map BACKUP out\n"
		}
		fmt.Fprintf(&b, `router bgp 6500%[1]s
 bgp router-id 10.99.%[1]s.2
 no bgp ebgp-requires-policy
 timers bgp 1 3
 neighbor 10.99.%[1]s.1 remote-as 65000
 neighbor 10.99.%[1]s.1 timers connect 1
 neighbor 10.99.%[1]s.1 advertisement-interval 0
 neighbor 10.0.%[1]s.10 remote-as 6500%[1]s
 neighbor 10.0.%[1]s.10 timers 1 3
 neighbor 10.0.%[1]s.10 timers connect 1
 neighbor 10.0.%[1]s.10 advertisement-interval 0
 address-family ipv4 unicast
  redistribute kernel route-map ANYCAST
%[2]s exit-address-family
!
`, i, out)
		return b.String(), []string{"bgpd"}
	}
	ifs := []string{"core"}
	rid, nets := "10.99."+i+".2", " network 10.99."+i+".0/30 area 0\n redistribute kernel route-map ANYCAST\n"
	if role == "core" {
		ifs, rid = []string{"edge1", "edge2"}, "10.99.0.1"
		nets = " network 10.99.1.0/30 area 0\n network 10.99.2.0/30 area 0\n network 10.9.0.0/24 area 0\n passive-interface client\n"
	}
	for _, f := range ifs {
		fmt.Fprintf(&b, "interface %s\n ip ospf network point-to-point\n ip ospf hello-interval 1\n ip ospf dead-interval 3\n!\n", f)
	}
	fmt.Fprintf(&b, "router ospf\n ospf router-id %s\n timers throttle spf 0 50 500\n timers lsa min-arrival 0\n%s!\n", rid, nets)
	return b.String(), []string{"ospfd"}
}

func (l *lab) startFRR(role string) {
	ns := l.ns[role]
	run, etc := "/var/run/frr/"+ns, "/etc/frr/"+ns
	l.undo = append(l.undo, func() { os.RemoveAll(run); os.RemoveAll(etc) })
	if _, err := os.Stat("/var/run/frr"); err != nil {
		sh("install", "-d", "-o", "frr", "-g", "frr", "-m", "0755", "/var/run/frr")
	}
	sh("install", "-d", "-o", "frr", "-g", "frr", "-m", "0755", run)
	must(os.MkdirAll(etc, 0o755))
	must(os.WriteFile(etc+"/vtysh.conf", nil, 0o644))
	conf, daemons := l.frrConf(role)
	path := filepath.Join(l.dir, role+"-frr.conf")
	must(os.WriteFile(path, []byte(conf), 0o644))
	sh("chown", "frr:frr", l.dir)
	for _, d := range append([]string{"zebra"}, daemons...) {
		sh("ip", "netns", "exec", ns, frrBin+"/"+d, "-d", "-N", ns, "-f", path, "-i", run+"/"+d+".pid")
		if d == "zebra" {
			waitUntil("zebra socket", 10*time.Second, func() bool { _, err := os.Stat(run + "/zserv.api"); return err == nil })
		}
	}
}

func waitUntil(what string, timeout time.Duration, cond func() bool) time.Duration {
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			fail("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// coreVia returns the interface core forwards the anycast address to.
func (l *lab) coreVia() string {
	out, _ := exec.Command("ip", "-n", l.ns["core"], "route", "show", anycast+"/32").Output()
	f := strings.Fields(string(out))
	if i := slices.Index(f, "dev"); i >= 0 && i+1 < len(f) {
		return f[i+1]
	}
	return ""
}

// bothPaths: core knows the anycast prefix from both edges, so that a
// failover never waits for edge2 to advertise it.
func (l *lab) bothPaths() bool {
	var out []byte
	if l.igp == "bgp" {
		out, _ = exec.Command("vtysh", "-N", l.ns["core"], "-c", "show ip bgp "+anycast+"/32").Output()
	} else {
		out, _ = exec.Command("vtysh", "-N", l.ns["core"], "-c", "show ip ospf database external "+anycast).Output()
	}
	s := string(out)
	return strings.Contains(s, "10.99.1.2") && strings.Contains(s, "10.99.2.2")
}

// ---------------------------------------------------------------- checkers

func (l *lab) startCheckers(c string) (probesPerSec float64) {
	switch c {
	case "ipslad-ios", "ipslad-msec", "ipslad-msec100", "ipslad-idle":
		timers := " frequency 1\n timeout 500\n threshold 500\n"
		probesPerSec = 1
		switch c {
		case "ipslad-idle": // the same daemon with its operation not scheduled: no probes
			timers = " frequency 1\n timeout 500\n threshold 500\nno ip sla schedule 101\n"
			probesPerSec = 0
		case "ipslad-msec":
			timers = " frequency msec 200\n timeout 100\n threshold 100\n"
			probesPerSec = 5
		case "ipslad-msec100":
			timers = " frequency msec 100\n timeout 80\n threshold 80\n"
			probesPerSec = 10
		}
		for i := 1; i <= 2; i++ {
			cfg := filepath.Join(l.dir, fmt.Sprintf("edge%d-%s.cfg", i, c))
			text := fmt.Sprintf("ip sla 101\n dns anycast.example.com name-server 10.0.%d.10\n%sip sla schedule 101 life forever start-time now\ntrack 101 ip sla 101\nip route %s 255.255.255.255 10.0.%d.10 track 101\n", i, timers, anycast, i)
			must(os.WriteFile(cfg, []byte(text), 0o644))
			lf, err := os.Create(filepath.Join(l.dir, fmt.Sprintf("edge%d-%s.log", i, c)))
			must(err)
			cmd := exec.Command("ip", "netns", "exec", l.ns[fmt.Sprintf("edge%d", i)], l.bin, "-f", cfg,
				"--socket", filepath.Join(l.dir, fmt.Sprintf("edge%d.sock", i)))
			cmd.Stdout, cmd.Stderr = lf, lf
			must(cmd.Start())
			l.checkers = append(l.checkers, cmd)
		}
	case "exabgp":
		probesPerSec = 1
		for i := 1; i <= 2; i++ {
			// The check parses dig's rcode: dig exits 0 on SERVFAIL too.
			check := filepath.Join(l.dir, fmt.Sprintf("check-dns%d.sh", i))
			must(os.WriteFile(check, []byte(fmt.Sprintf("#!/bin/sh\ndig @10.0.%d.10 anycast.example.com TXT +time=1 +tries=1 | grep -q 'status: NOERROR'\n", i)), 0o755))
			conf := fmt.Sprintf(`process watch-dns {
    run /usr/bin/python3 -m exabgp healthcheck --cmd %s --interval 1 --fast-interval 1 --rise 1 --fall 1 --timeout 1 --ip %s/32 --withdraw-on-down --no-ip-setup --no-syslog;
    encoder text;
}
neighbor 10.0.%[3]d.1 {
    router-id 10.0.%[3]d.10;
    local-address 10.0.%[3]d.10;
    local-as 6500%[3]d;
    peer-as 6500%[3]d;
    hold-time 3;
    family { ipv4 unicast; }
    api { processes [ watch-dns ]; }
}
`, check, anycast, i)
			path := filepath.Join(l.dir, fmt.Sprintf("exabgp%d.conf", i))
			must(os.WriteFile(path, []byte(conf), 0o644))
			lf, err := os.Create(filepath.Join(l.dir, fmt.Sprintf("exabgp%d.log", i)))
			must(err)
			cmd := exec.Command("ip", "netns", "exec", l.ns[fmt.Sprintf("dns%d", i)], "exabgp", path)
			cmd.Env = append(os.Environ(), "exabgp_daemon_user=root", "exabgp_daemon_drop=false",
				"exabgp_api_cli=false", "exabgp_log_destination=stdout", "exabgp_daemon_daemonize=false")
			cmd.Stdout, cmd.Stderr = lf, lf
			must(cmd.Start())
			l.checkers = append(l.checkers, cmd)
		}
	default:
		fail("unknown case %q", c)
	}
	return probesPerSec
}

func (l *lab) stopCheckers() {
	for _, c := range l.checkers {
		c.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			for _, p := range append(children(c.Process.Pid), c.Process.Pid) {
				syscall.Kill(p, syscall.SIGKILL)
			}
			<-done
		}
	}
	l.checkers = nil
}

// cpuNow returns the CPU time used so far by the checker processes and
// their live descendants (per-thread schedstat, exact) plus their reaped
// children (cutime+cstime, in clock ticks of 10 ms).
func (l *lab) cpuNow() time.Duration {
	var total time.Duration
	for _, c := range l.checkers {
		for _, p := range append([]int{c.Process.Pid}, children(c.Process.Pid)...) {
			tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", p))
			for _, t := range tasks {
				b, err := os.ReadFile(t)
				if err != nil {
					continue
				}
				if f := strings.Fields(string(b)); len(f) > 0 {
					ns, _ := strconv.ParseInt(f[0], 10, 64)
					total += time.Duration(ns)
				}
			}
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
			if err != nil {
				continue
			}
			s := string(b)
			f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
			if len(f) > 14 {
				cu, _ := strconv.ParseInt(f[13], 10, 64) // cutime (field 16)
				cs, _ := strconv.ParseInt(f[14], 10, 64) // cstime (field 17)
				total += time.Duration(cu+cs) * 10 * time.Millisecond
			}
		}
	}
	return total
}

// ---------------------------------------------------------------- trials

type result struct {
	igp, name          string
	failover, recovery []time.Duration
	cpuPerProbe        time.Duration
	probes             float64
	cpuShare           float64 // of one core, per checker (edge or DNS server)
}

func (l *lab) stable() {
	waitUntil("client answered by dns1, core via edge1 and core knowing both paths", 60*time.Second, func() bool {
		return l.obs.last() == "dns1" && l.coreVia() == "edge1" && l.bothPaths()
	})
}

// idleShare measures ipslad's CPU share (of one core, per daemon) with its
// operation configured but not scheduled: the fixed cost without probes.
func (l *lab) idleShare() float64 {
	log.Printf("failover: %s lab, ipslad without probes (fixed cost)", l.igp)
	l.startCheckers("ipslad-idle")
	time.Sleep(2 * time.Second)
	c0, t0 := l.cpuNow(), time.Now()
	time.Sleep(*cpuWindow)
	cpu, wall := l.cpuNow()-c0, time.Since(t0)
	l.stopCheckers()
	return float64(cpu) / float64(wall) / 2
}

func (l *lab) runCase(c string) result {
	log.Printf("failover: %s lab, case %s", l.igp, c)
	pps := l.startCheckers(c)
	l.stable()
	time.Sleep(2 * time.Second) // past start-up (Go runtime, Python imports)
	c0, t0 := l.cpuNow(), time.Now()
	time.Sleep(*cpuWindow)
	cpu, wall := l.cpuNow()-c0, time.Since(t0)
	probes := wall.Seconds() * pps * 2 // two checkers, at most pps probes each
	r := result{igp: l.igp, name: c, cpuPerProbe: time.Duration(float64(cpu) / probes), probes: probes,
		cpuShare: float64(cpu) / float64(wall) / 2}
	for n := 0; n < *trials; n++ {
		l.stable()
		time.Sleep(time.Duration(300+rand.IntN(1000)) * time.Millisecond) // a random point of the probe cycle
		t := time.Now()
		l.nsdKill(1)
		fo := l.obs.waitFirst("dns2", t, 60*time.Second)
		time.Sleep(time.Duration(500+rand.IntN(1000)) * time.Millisecond)
		t = time.Now()
		l.nsdStart(1)
		rec := l.obs.waitFirst("dns1", t, 60*time.Second)
		if fo < 0 || rec < 0 {
			fail("%s/%s trial %d: no failover or recovery within 60 s", l.igp, c, n+1)
		}
		r.failover = append(r.failover, fo)
		r.recovery = append(r.recovery, rec)
		fmt.Printf("  %s %-14s trial %2d: failover %6.0f ms, recovery %6.0f ms\n", l.igp, c, n+1, ms(fo), ms(rec))
	}
	l.stopCheckers()
	// Nothing of the case may stay behind: ipslad withdrew on SIGTERM, ExaBGP's
	// sessions are gone.
	waitUntil("core without the anycast route", 30*time.Second, func() bool { return l.coreVia() == "" })
	return r
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.999999) - 1 // nearest rank
	return s[max(0, min(i, len(s)-1))]
}

func report(rs []result, idle float64) {
	fmt.Printf("\n| lab | case | failover p50 | p95 | max | recovery p50 | p95 | max | CPU per probe | CPU per checker |\n")
	fmt.Printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range rs {
		fmt.Printf("| %s | %s | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.0f µs | %.2f%% |\n", r.igp, r.name,
			ms(pct(r.failover, .5)), ms(pct(r.failover, .95)), ms(slices.Max(r.failover)),
			ms(pct(r.recovery, .5)), ms(pct(r.recovery, .95)), ms(slices.Max(r.recovery)),
			float64(r.cpuPerProbe)/float64(time.Microsecond), 100*r.cpuShare)
	}
	if idle >= 0 {
		fmt.Printf("\nipslad without probes (operation not scheduled): %.3f%% of one core per daemon\n", 100*idle)
		for _, r := range rs {
			if strings.HasPrefix(r.name, "ipslad") && r.probes > 0 {
				pps := r.probes / cpuWindow.Seconds() / 2
				fmt.Printf("  %s %-14s CPU per probe above that fixed cost: %.0f µs\n", r.igp, r.name,
					(r.cpuShare-idle)/pps*1e6)
			}
		}
	}
	var exa *result
	for i := range rs {
		if rs[i].name == "exabgp" {
			exa = &rs[i]
		}
	}
	if exa == nil {
		return
	}
	fmt.Printf("\nratio ipslad/ExaBGP (BGP lab; below 1 = ipslad faster or cheaper):\n")
	for _, r := range rs {
		if r.igp != "bgp" || r.name == "exabgp" {
			continue
		}
		fmt.Printf("  %-14s failover p50 %.2f p95 %.2f max %.2f | recovery p50 %.2f p95 %.2f | CPU per probe %.3f\n", r.name,
			ms(pct(r.failover, .5))/ms(pct(exa.failover, .5)), ms(pct(r.failover, .95))/ms(pct(exa.failover, .95)),
			ms(slices.Max(r.failover))/ms(slices.Max(exa.failover)),
			ms(pct(r.recovery, .5))/ms(pct(exa.recovery, .5)), ms(pct(r.recovery, .95))/ms(pct(exa.recovery, .95)),
			float64(r.cpuPerProbe)/float64(exa.cpuPerProbe))
	}
}

// ---------------------------------------------------------------- observer

// obsState follows the observer's output: every change of the answering
// server, with the time the answer arrived.
type obsState struct {
	cmd     *exec.Cmd
	mu      sync.Mutex
	changes []change
}

type change struct {
	at     time.Time
	server string
}

func startObserver(ns, self string) *obsState {
	o := &obsState{cmd: exec.Command("ip", "netns", "exec", ns, self, "-observe", anycast)}
	out, err := o.cmd.StdoutPipe()
	must(err)
	o.cmd.Stderr = os.Stderr
	must(o.cmd.Start())
	go func() {
		sc := bufio.NewScanner(out)
		prev := ""
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 2 {
				continue
			}
			nsec, _ := strconv.ParseInt(f[0], 10, 64)
			if f[1] != prev {
				prev = f[1]
				o.mu.Lock()
				o.changes = append(o.changes, change{time.Unix(0, nsec), f[1]})
				o.mu.Unlock()
			}
		}
	}()
	return o
}

func (o *obsState) stop() {
	o.cmd.Process.Kill()
	o.cmd.Wait()
}

func (o *obsState) last() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.changes) == 0 {
		return ""
	}
	return o.changes[len(o.changes)-1].server
}

// waitFirst returns the time from t0 to the first answer from server that
// arrived after t0 (-1 after timeout).
func (o *obsState) waitFirst(server string, t0 time.Time, timeout time.Duration) time.Duration {
	for time.Since(t0) < timeout {
		o.mu.Lock()
		for _, c := range o.changes {
			if c.server == server && c.at.After(t0) {
				o.mu.Unlock()
				return c.at.Sub(t0)
			}
		}
		o.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	return -1
}

// observer runs in the client's namespace: it sends a TXT query for
// anycast.example.com to addr every 5 ms and prints "UNIXNANO SERVER" for
// every answer (SERVER: the TXT record, which names the server).
func observer(addr string) {
	conn, err := net.Dial("udp", net.JoinHostPort(addr, "53"))
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		m := new(dns.Msg)
		m.SetQuestion("anycast.example.com.", dns.TypeTXT)
		m.RecursionDesired = false
		for id := uint16(1); ; id++ {
			m.Id = id
			if b, err := m.Pack(); err == nil {
				conn.Write(b) // refused (ICMP) while no server answers: ignored
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	w := bufio.NewWriter(os.Stdout)
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		at := time.Now()
		if err != nil {
			continue // ECONNREFUSED from an ICMP port unreachable
		}
		var r dns.Msg
		if r.Unpack(buf[:n]) != nil {
			continue
		}
		for _, rr := range r.Answer {
			if t, ok := rr.(*dns.TXT); ok && len(t.Txt) > 0 {
				fmt.Fprintf(w, "%d %s\n", at.UnixNano(), t.Txt[0])
				if w.Flush() != nil {
					os.Exit(0) // the parent is gone
				}
				break
			}
		}
	}
}
