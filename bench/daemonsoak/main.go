// Command daemonsoak runs the whole ipslad daemon for a long, bounded time
// with thousands of dns operations, track objects and tracked routes
// against real name servers that keep going away, and reports whether
// anything grows: goroutines, threads, file descriptors, RSS and live heap,
// probe start lateness; and whether the kernel's routes end up exactly as
// the servers' states say (issue 8, load and soak).
//
// As root it builds cmd/ipslad (or takes -ipslad PATH), creates two network
// namespaces joined by a veth pair (a router, where ipslad runs, and a
// servers' namespace), starts -servers real nsd processes (rrl off) on
// 10.200.0.10 upwards in the servers' namespace, writes an IOS-style config
// of -ops dns operations at frequency 1 (timeout and threshold 500 ms)
// spread round-robin over the servers, one track object per operation up to
// IOS's 1000 (track k follows operation k), and one tracked /32 route in
// 198.18.0.0/15 per operation (next hop: the server that operation probes,
// tracked by a track object of the same server), and starts ipslad in the
// router namespace with its control socket and -metrics-listen. Every
// -flap (first after half of one) it brings the server that was down back
// and takes the next one down, so 1/S of the tracks go Down and 1/S of the
// routes are withdrawn while the previous 1/S come back; -flap-mode says
// how: stop (SIGSTOP/SIGCONT: queries go unanswered), kill (SIGTERM, then a
// new nsd: port unreachable) or mixed (even servers killed, odd stopped).
//
// Every -report it scrapes ipslad's /metrics from inside the namespace and
// reads /proc/PID, and prints a line; at the end it stops flapping, waits
// up to -settle for the kernel routes of protocol 200 to match the servers'
// states exactly, prints a start/end table (start = the first report) and
// a verdict. It deletes the namespaces and stops only the processes it
// started on every exit path (end, error, Ctrl-C).
//
// Flat means, between the start and the end sample: goroutines within
// max(5, 10%), OS threads within 4, file descriptors within 2, live heap
// within 20% + 2 MB, RSS within 50%, start lateness p99 within 2× + 10 ms;
// and at the end: at least 97% of -ops runs a second, every operation ran
// in the last period, track objects changed (the flapping reached them),
// ipslad_route_installed equals ipslad_route_desired, and the kernel's
// routes equal the prediction. Lateness is ipslad's per-operation gauge
// (its latest run), so an operation that stopped running keeps its old
// value: "runs/s" and "operations that ran" catch that case.
//
// Goroutines and the live heap come from net/http/pprof, which the soak
// adds to its own build of ipslad with go build -overlay (not in the tree;
// ipslad's /metrics has no Go collector). With -ipslad PATH they are shown
// as n/a unless that binary exports go_goroutines.
//
//	go run ./bench/daemonsoak -ops 10000 -duration 10m
//	go run ./bench/daemonsoak -ops 500 -duration 2m -report 30s   # quick check
//
// See BENCHMARKS.md (## Soak, whole daemon) for recorded runs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
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

	"github.com/ipslad/ipslad/bench/internal/nsdconf"
)

var (
	opsN      = flag.Int("ops", 10000, "dns operations (frequency 1 s)")
	nServers  = flag.Int("servers", 8, "nsd name servers")
	nTracks   = flag.Int("tracks", 0, "track objects (0: one per operation up to IOS's 1000); each route follows one, on its own server")
	duration  = flag.Duration("duration", 10*time.Minute, "how long to run")
	report    = flag.Duration("report", time.Minute, "how often to sample and print a line (the first sample is the start)")
	flapEvery = flag.Duration("flap", 20*time.Second, "how often the next server goes down (and the previous one comes back); 0: never")
	flapMode  = flag.String("flap-mode", "mixed", "how a server goes down: stop (SIGSTOP), kill (SIGTERM, restart) or mixed")
	settle    = flag.Duration("settle", 20*time.Second, "at the end, how long the routes may take to match the servers' states")
	ipsladBin = flag.String("ipslad", "", "ipslad binary to run (default: build ./cmd/ipslad with a pprof overlay)")
	keep      = flag.Bool("keep", false, "keep the work directory (configs, logs)")
)

func main() {
	flag.Parse()
	os.Exit(mainCode())
}

func mainCode() (code int) {
	var cl cleanups
	defer func() {
		if r := recover(); r != nil {
			cl.run()
			panic(r)
		}
		cl.run()
	}()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := soak(ctx, &cl); err != nil {
		fmt.Fprintf(os.Stderr, "daemonsoak: %v\n", err)
		return 1
	}
	return 0
}

// sample is ipslad's state at one moment.
type sample struct {
	el         time.Duration // since ipslad started
	status     procStatus
	cpuTicks   int64 // utime+stime
	fds        int
	goroutines int   // -1: not available
	heap       int64 // live heap after a forced GC; -1: not available
	sc         scrape
	scrapeTime time.Duration
	routes     int // kernel routes of protocol 200
	missing    int // expected by the servers' states but not in the kernel
	extra      int // in the kernel but not expected
	load       string
}

// period is what happened between two samples.
type period struct {
	runsPerSec   float64
	opsRan       int // operations with at least one result in the period
	codes        map[string]float64
	trackChanges float64
	cpuPct       float64
}

func between(a, b sample) period {
	dt := (b.el - a.el).Seconds()
	p := period{codes: map[string]float64{}}
	if dt <= 0 {
		return p
	}
	p.runsPerSec = (b.sc.totalRuns() - a.sc.totalRuns()) / dt
	for c, v := range b.sc.results {
		if d := v - a.sc.results[c]; d > 0 {
			p.codes[c] = d
		}
	}
	for id, v := range b.sc.perOp {
		if v > a.sc.perOp[id] {
			p.opsRan++
		}
	}
	p.trackChanges = b.sc.trackChanges - a.sc.trackChanges
	p.cpuPct = float64(b.cpuTicks-a.cpuTicks) / clockTicks / dt * 100
	return p
}

const clockTicks = 100 // USER_HZ on Linux

type soaker struct {
	l        layout
	nsR, nsD string
	dir      string
	ipslad   *proc
	servers  []*nsdServer
	http     *http.Client
	metrics  string // URL, inside nsR
	pprof    string // base URL inside nsR; "" without the overlay
	started  time.Time
	mode     string
	flapMu   sync.Mutex // held while a flap changes servers
	flaps    int
	flapErrs []string
}

func soak(ctx context.Context, cl *cleanups) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (network namespaces, nsd on port 53, kernel routes)")
	}
	for _, b := range []string{"ip", "nsd"} {
		if _, err := exec.LookPath(b); err != nil {
			return fmt.Errorf("%s not found (apt-get install iproute2 nsd): %v", b, err)
		}
	}
	switch *flapMode {
	case "stop", "kill", "mixed":
	default:
		return fmt.Errorf("-flap-mode %q: want stop, kill or mixed", *flapMode)
	}
	l, err := newLayout(*opsN, *nServers, *nTracks)
	if err != nil {
		return err
	}
	s := &soaker{l: l, mode: *flapMode}
	if s.dir, err = os.MkdirTemp("", "ipslad-daemonsoak-"); err != nil {
		return err
	}
	os.Chmod(s.dir, 0o755) // nsd reads its files
	cl.add(func() {
		if *keep {
			fmt.Printf("work directory kept: %s\n", s.dir)
			return
		}
		os.RemoveAll(s.dir)
	})

	bin := *ipsladBin
	if bin == "" {
		fmt.Println("building ./cmd/ipslad (with the pprof overlay) ...")
		if bin, err = buildIpslad(ctx, s.dir); err != nil {
			return err
		}
		s.pprof = "http://127.0.0.1:9120"
	}

	// Namespaces and the link, created directly inside them (nothing in
	// the host's namespace).
	tag := strconv.Itoa(os.Getpid())
	s.nsR, s.nsD = "ipslad-dsoak-r-"+tag, "ipslad-dsoak-d-"+tag
	for _, ns := range []string{s.nsR, s.nsD} {
		if err := ipCmd("netns", "add", ns); err != nil {
			return err
		}
		cl.add(func() {
			if err := ipCmd("netns", "del", ns); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		})
	}
	steps := [][]string{
		{"link", "add", "name", "soakr", "netns", s.nsR, "type", "veth", "peer", "name", "soakd", "netns", s.nsD},
		{"-n", s.nsR, "link", "set", "lo", "up"},
		{"-n", s.nsD, "link", "set", "lo", "up"},
		{"-n", s.nsR, "addr", "add", fmt.Sprintf("%s/%d", routerAddr, linkPrefix), "dev", "soakr"},
		{"-n", s.nsR, "link", "set", "soakr", "up"},
		{"-n", s.nsD, "link", "set", "soakd", "up"},
	}
	for i := range l.servers {
		steps = append(steps, []string{"-n", s.nsD, "addr", "add", fmt.Sprintf("%s/%d", serverAddr(i), linkPrefix), "dev", "soakd"})
	}
	for _, st := range steps {
		if err := ipCmd(st...); err != nil {
			return err
		}
	}

	// Name servers.
	for i := range l.servers {
		n := &nsdServer{idx: i, ns: s.nsD, probeNS: s.nsR, addr: serverAddr(i).String(),
			dir: filepath.Join(s.dir, fmt.Sprintf("nsd%d", i))}
		if err := os.MkdirAll(n.dir, 0o755); err != nil {
			return err
		}
		for name, text := range map[string]string{"nsd.conf": nsdconf.Config(n.dir, []string{serverAddr(i).String()}, "soak.example", "zone.db"), "zone.db": zone} {
			if err := os.WriteFile(filepath.Join(n.dir, name), []byte(text), 0o644); err != nil {
				return err
			}
		}
		if out, err := exec.Command("nsd-checkconf", filepath.Join(n.dir, "nsd.conf")).CombinedOutput(); err != nil {
			return fmt.Errorf("nsd-checkconf: %v: %s", err, out)
		}
		s.servers = append(s.servers, n)
		cl.add(func() {
			if n.p != nil {
				if err := n.p.stop(syscall.SIGTERM, 10*time.Second); err != nil {
					fmt.Fprintln(os.Stderr, err)
				}
			}
		})
		if err := n.start(); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return errors.New("interrupted")
		}
	}

	// ipslad.
	cfg := filepath.Join(s.dir, "soak.cfg")
	if err := os.WriteFile(cfg, []byte(l.config()), 0o644); err != nil {
		return err
	}
	sock := filepath.Join(s.dir, "ipslad.sock")
	s.http = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialIn(ctx, s.nsR, network, addr)
		},
	}}
	s.metrics = "http://127.0.0.1:9119/metrics"
	p, err := startIn("ipslad", s.nsR, filepath.Join(s.dir, "ipslad.log"), []string{"IPSLAD_SOAK_PPROF=127.0.0.1:9120"},
		bin, "-f", cfg, "-socket", sock, "-metrics-listen", "127.0.0.1:9119")
	if err != nil {
		return err
	}
	s.ipslad = p
	s.started = time.Now()
	cl.add(func() {
		// SIGTERM: ipslad withdraws its routes before it exits.
		if err := p.stop(syscall.SIGTERM, time.Minute); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	})
	fmt.Printf("daemonsoak: ipslad (pid %d) with %d dns operations at 1 s, %d track objects, %d tracked /32 routes; %d nsd servers, one going down every %v (%s); %v\n",
		p.pid(), l.ops, l.tracks, l.ops, l.servers, *flapEvery, s.mode, *duration)
	fmt.Printf("  namespaces %s (ipslad) and %s (nsd); work directory %s\n", s.nsR, s.nsD, s.dir)
	if err := s.waitReady(ctx, sock); err != nil {
		return err
	}
	return s.loop(ctx)
}

// waitReady waits until ipslad answers on /metrics and the control socket.
func (s *soaker) waitReady(ctx context.Context, sock string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if !s.ipslad.running() {
			return fmt.Errorf("ipslad exited: %v; its log:\n%s", s.ipslad.exitErr(), s.logTail(30))
		}
		if ctx.Err() != nil {
			return errors.New("interrupted")
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ipslad not ready within 2 min; its log:\n%s", s.logTail(30))
		}
		_, errM := s.scrape()
		out, errC := control(sock, "show track summary")
		if errM == nil && errC == nil {
			fmt.Printf("  ready after %v; show track summary:\n%s", time.Since(s.started).Round(time.Millisecond), indent(out))
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// control sends one command on ipslad's control socket and returns the answer.
func control(sock, command string) (string, error) {
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, command+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}

func indent(s string) string {
	var b strings.Builder
	for l := range strings.Lines(s) {
		b.WriteString("    " + l)
	}
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteString("\n")
	}
	return b.String()
}

func (s *soaker) logTail(n int) string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "ipslad.log"))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func (s *soaker) scrape() (scrape, error) {
	resp, err := s.http.Get(s.metrics)
	if err != nil {
		return scrape{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return scrape{}, fmt.Errorf("/metrics: %s", resp.Status)
	}
	return parseScrape(resp.Body)
}

func (s *soaker) get(url string) (string, error) {
	resp, err := s.http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// upStates is which servers answer right now.
func (s *soaker) upStates() []bool {
	up := make([]bool, len(s.servers))
	for i, n := range s.servers {
		up[i] = n.isUp()
	}
	return up
}

// kernelRoutes lists the router namespace's routes of protocol 200 and
// compares them with the servers' states.
func (s *soaker) kernelRoutes() (n, missing, extra int, ms, es []kroute, err error) {
	out, err := exec.Command("ip", "-j", "-n", s.nsR, "route", "show", "table", "main", "proto", "200").Output()
	if err != nil {
		return 0, 0, 0, nil, nil, fmt.Errorf("ip route show: %v", err)
	}
	rs, err := parseRoutes(out)
	if err != nil {
		return 0, 0, 0, nil, nil, err
	}
	ms, es = diffRoutes(rs, s.l.expected(s.upStates()))
	return len(rs), len(ms), len(es), ms, es, nil
}

// take samples ipslad. The flap lock is held so that the route check sees
// server states that do not change under it.
func (s *soaker) take() (sample, error) {
	pid := s.ipslad.pid()
	sm := sample{goroutines: -1, heap: -1}
	t0 := time.Now()
	sm.el = t0.Sub(s.started)
	sc, err := s.scrape()
	if err != nil {
		return sm, fmt.Errorf("scrape: %v", err)
	}
	sm.scrapeTime = time.Since(t0)
	sm.sc = sc
	sm.goroutines = sc.goroutines
	if s.pprof != "" {
		if t, err := s.get(s.pprof + "/debug/pprof/goroutine?debug=1"); err == nil {
			if n, err := parseGoroutineProfile(t); err == nil {
				sm.goroutines = n
			}
		}
		if t, err := s.get(s.pprof + "/debug/pprof/heap?debug=1&gc=1"); err == nil {
			if n, err := parseHeapProfile(t); err == nil {
				sm.heap = n
			}
		}
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return sm, err
	}
	if sm.status, err = parseStatus(string(st)); err != nil {
		return sm, err
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		sm.cpuTicks, _ = parseStatCPU(string(b))
	}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return sm, err
	}
	sm.fds = len(ents)
	s.flapMu.Lock()
	sm.routes, sm.missing, sm.extra, _, _, err = s.kernelRoutes()
	s.flapMu.Unlock()
	if err != nil {
		return sm, err
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			sm.load = strings.Join(f[:3], " ")
		}
	}
	return sm, nil
}

// parseStatCPU returns utime+stime (clock ticks) from /proc/PID/stat.
func parseStatCPU(text string) (int64, error) {
	i := strings.LastIndexByte(text, ')')
	if i < 0 {
		return 0, errors.New("/proc stat: no )")
	}
	f := strings.Fields(text[i+1:])
	// After the command: state(0) ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime(11) stime(12).
	if len(f) < 13 {
		return 0, errors.New("/proc stat: too few fields")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return u + st, nil
}

// flapper takes the servers down and back, one after the other, until ctx ends.
func (s *soaker) flapper(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	if *flapEvery <= 0 {
		return
	}
	cur := -1
	// Flaps fall at started + flap/2 + k×flap, on the clock of the end
	// (started + duration), so the last one is half a period before it.
	next := s.started.Add(*flapEvery / 2)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		next = next.Add(*flapEvery)
		s.flapMu.Lock()
		if cur >= 0 {
			if err := s.servers[cur].back(); err != nil {
				s.flapErrs = append(s.flapErrs, err.Error())
			}
		}
		cur = (cur + 1) % len(s.servers)
		freeze := s.mode == "stop" || (s.mode == "mixed" && cur%2 == 1)
		if err := s.servers[cur].down(freeze); err != nil {
			s.flapErrs = append(s.flapErrs, err.Error())
		}
		s.flaps++
		s.flapMu.Unlock()
	}
}

func (s *soaker) line(prev, cur sample) string {
	p := between(prev, cur)
	p50, p99, mx := quantiles(cur.sc.lateness)
	return fmt.Sprintf("%6s  goroutines %s, threads %d, fds %d, RSS %d MB, live heap %s, CPU %.0f%% | %.0f runs/s, %d ops ran, lateness p50 %s p99 %s max %s | %s | track changes +%.0f, %d/%d Up | routes %d (missing %d, extra %d) | scrape %.1f MB %v | load %s",
		cur.el.Round(time.Second), na(cur.goroutines), cur.status.threads, cur.fds, cur.status.rssKB/1024, mb(cur.heap), p.cpuPct,
		p.runsPerSec, p.opsRan, ms(p50), ms(p99), ms(mx), codes(p.codes), p.trackChanges, cur.sc.up, cur.sc.tracks,
		cur.routes, cur.missing, cur.extra, float64(cur.sc.bytes)/1e6, cur.scrapeTime.Round(time.Millisecond), cur.load)
}

func na(n int) string {
	if n < 0 {
		return "n/a"
	}
	return strconv.Itoa(n)
}

func mb(b int64) string {
	if b < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func codes(m map[string]float64) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %.0f", k, m[k]))
	}
	if len(parts) == 0 {
		return "no runs"
	}
	return strings.Join(parts, ", ")
}

func (s *soaker) loop(ctx context.Context) error {
	prev, err := s.take()
	if err != nil {
		return err
	}
	fctx, stopFlap := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go s.flapper(fctx, &wg)
	defer func() { stopFlap(); wg.Wait() }()

	tick := time.NewTicker(*report)
	defer tick.Stop()
	end := time.After(*duration - time.Since(s.started))
	var samples []sample
	var prevs []sample // the sample before each of samples
	for done := false; !done; {
		select {
		case <-ctx.Done():
			s.printTable(samples, prevs)
			return errors.New("interrupted; no verdict")
		case <-s.ipslad.done:
			s.printTable(samples, prevs)
			fmt.Println("VERDICT: FAIL: ipslad exited during the soak")
			return fmt.Errorf("ipslad exited: %v; its log:\n%s", s.ipslad.exitErr(), s.logTail(30))
		case <-end:
			done = true
		case <-tick.C:
		}
		cur, err := s.take()
		if err != nil {
			return err
		}
		fmt.Println(s.line(prev, cur))
		samples = append(samples, cur)
		prevs = append(prevs, prev)
		prev = cur
	}
	stopFlap()
	wg.Wait()

	// The end: servers hold still; the routes must come to match them.
	t0 := time.Now()
	var n, missing, extra int
	var msR, esR []kroute
	for {
		n, missing, extra, msR, esR, err = s.kernelRoutes()
		if err != nil {
			return err
		}
		if missing == 0 && extra == 0 || time.Since(t0) > *settle {
			break
		}
		if ctx.Err() != nil {
			return errors.New("interrupted; no verdict")
		}
		time.Sleep(500 * time.Millisecond)
	}
	up := s.upStates()
	nUp := 0
	for _, u := range up {
		if u {
			nUp++
		}
	}
	want := len(s.l.expected(up))
	routesOK := missing == 0 && extra == 0
	fmt.Printf("\nend: %d of %d servers up; kernel routes of protocol 200: %d, expected %d (missing %d, extra %d) %v after flapping stopped\n",
		nUp, len(up), n, want, missing, extra, time.Since(t0).Round(time.Millisecond))
	for i, r := range msR[:min(5, len(msR))] {
		fmt.Printf("  missing %d: %s via %s\n", i+1, r.dst, r.gw)
	}
	for i, r := range esR[:min(5, len(esR))] {
		fmt.Printf("  extra %d: %s via %s\n", i+1, r.dst, r.gw)
	}
	if out, err := control(filepath.Join(s.dir, "ipslad.sock"), "show track summary"); err == nil {
		fmt.Printf("show track summary:\n%s", indent(out))
	}
	fmt.Printf("flaps: %d; flap errors: %d\n", s.flaps, len(s.flapErrs))
	for _, e := range s.flapErrs[:min(5, len(s.flapErrs))] {
		fmt.Printf("  %s\n", e)
	}
	s.printTable(samples, prevs)
	if bad := s.verdict(samples, prevs, routesOK); len(bad) > 0 {
		fmt.Printf("VERDICT: FAIL: %s\n", strings.Join(bad, "; "))
		return errors.New("soak failed")
	}
	fmt.Println("VERDICT: PASS: goroutines, threads, file descriptors, RSS, live heap and start lateness flat; every run kept; routes match the servers")
	return nil
}

// verdict lists what is not flat between the first and the last sample.
func (s *soaker) verdict(samples, prevs []sample, routesOK bool) []string {
	var bad []string
	if len(samples) < 2 {
		return []string{"too short: fewer than two samples"}
	}
	a, b := samples[0], samples[len(samples)-1]
	pb := between(prevs[len(prevs)-1], b)
	if b.goroutines >= 0 && a.goroutines >= 0 && b.goroutines > a.goroutines+max(5, a.goroutines/10) {
		bad = append(bad, fmt.Sprintf("goroutines %d -> %d", a.goroutines, b.goroutines))
	}
	if b.status.threads > a.status.threads+4 {
		bad = append(bad, fmt.Sprintf("threads %d -> %d", a.status.threads, b.status.threads))
	}
	if b.fds > a.fds+2 {
		bad = append(bad, fmt.Sprintf("file descriptors %d -> %d", a.fds, b.fds))
	}
	if a.heap >= 0 && b.heap >= 0 && float64(b.heap) > float64(a.heap)*1.2+2<<20 {
		bad = append(bad, fmt.Sprintf("live heap %s -> %s", mb(a.heap), mb(b.heap)))
	}
	if float64(b.status.rssKB) > float64(a.status.rssKB)*1.5 {
		bad = append(bad, fmt.Sprintf("RSS %d MB -> %d MB", a.status.rssKB/1024, b.status.rssKB/1024))
	}
	_, ap99, _ := quantiles(a.sc.lateness)
	_, bp99, _ := quantiles(b.sc.lateness)
	if bp99 > 2*ap99+10*time.Millisecond {
		bad = append(bad, fmt.Sprintf("lateness p99 %s -> %s", ms(ap99), ms(bp99)))
	}
	if pb.runsPerSec < 0.97*float64(s.l.ops) {
		bad = append(bad, fmt.Sprintf("runs/s %.0f at the end, want %d", pb.runsPerSec, s.l.ops))
	}
	if pb.opsRan < s.l.ops {
		bad = append(bad, fmt.Sprintf("only %d of %d operations ran in the last period", pb.opsRan, s.l.ops))
	}
	if b.sc.trackChanges == 0 && *flapEvery > 0 {
		bad = append(bad, "no track changed state: the flapping did not reach the tracks")
	}
	if !routesOK {
		bad = append(bad, "kernel routes do not match the servers' states")
	}
	if b.sc.installed != b.sc.desired {
		bad = append(bad, fmt.Sprintf("ipslad_route_installed %d != ipslad_route_desired %d", b.sc.installed, b.sc.desired))
	}
	if len(s.flapErrs) > 0 {
		bad = append(bad, fmt.Sprintf("%d flap errors", len(s.flapErrs)))
	}
	return bad
}

// printTable prints the start (first sample) against the end (last), with
// the range of the samples in between.
func (s *soaker) printTable(samples, prevs []sample) {
	if len(samples) == 0 {
		fmt.Println("no samples yet")
		return
	}
	a, b := samples[0], samples[len(samples)-1]
	pa, pb := between(prevs[0], a), between(prevs[len(prevs)-1], b)
	mid := samples[1:max(1, len(samples)-1)]
	midP := make([]period, 0, len(mid))
	for i := range mid {
		midP = append(midP, between(prevs[i+1], mid[i]))
	}
	rng := func(f func(int) float64, format string) string {
		if len(mid) == 0 {
			return ""
		}
		lo, hi := f(0), f(0)
		for i := range mid {
			lo, hi = min(lo, f(i)), max(hi, f(i))
		}
		if fmt.Sprintf(format, lo) == fmt.Sprintf(format, hi) {
			return fmt.Sprintf(format, lo)
		}
		return fmt.Sprintf(format+"-"+format, lo, hi)
	}
	a50, a99, amx := quantiles(a.sc.lateness)
	b50, b99, bmx := quantiles(b.sc.lateness)
	fmt.Printf("\n| | start (%v) | end (%v) | samples in between |\n| --- | ---: | ---: | --- |\n", a.el.Round(time.Second), b.el.Round(time.Second))
	row := func(name, x, y, r string) { fmt.Printf("| %s | %s | %s | %s |\n", name, x, y, r) }
	row("goroutines", na(a.goroutines), na(b.goroutines), rng(func(i int) float64 { return float64(mid[i].goroutines) }, "%.0f"))
	row("OS threads", strconv.Itoa(a.status.threads), strconv.Itoa(b.status.threads), rng(func(i int) float64 { return float64(mid[i].status.threads) }, "%.0f"))
	row("file descriptors", strconv.Itoa(a.fds), strconv.Itoa(b.fds), rng(func(i int) float64 { return float64(mid[i].fds) }, "%.0f"))
	row("RSS", fmt.Sprintf("%d MB", a.status.rssKB/1024), fmt.Sprintf("%d MB", b.status.rssKB/1024), rng(func(i int) float64 { return float64(mid[i].status.rssKB / 1024) }, "%.0f MB"))
	row("live heap (after GC)", mb(a.heap), mb(b.heap), rng(func(i int) float64 { return float64(mid[i].heap) / (1 << 20) }, "%.1f MB"))
	row("ipslad CPU", fmt.Sprintf("%.0f%%", pa.cpuPct), fmt.Sprintf("%.0f%%", pb.cpuPct), rng(func(i int) float64 { return midP[i].cpuPct }, "%.0f%%"))
	row("runs/s", fmt.Sprintf("%.0f", pa.runsPerSec), fmt.Sprintf("%.0f", pb.runsPerSec), rng(func(i int) float64 { return midP[i].runsPerSec }, "%.0f"))
	row("operations that ran in the period", strconv.Itoa(pa.opsRan), strconv.Itoa(pb.opsRan), rng(func(i int) float64 { return float64(midP[i].opsRan) }, "%.0f"))
	row("start lateness p50 / p99 / max (latest run of each operation)", ms(a50)+" / "+ms(a99)+" / "+ms(amx), ms(b50)+" / "+ms(b99)+" / "+ms(bmx),
		"p99 "+rng(func(i int) float64 { _, p, _ := quantiles(mid[i].sc.lateness); return float64(p) / 1e6 }, "%.2f ms"))
	row("return codes in the period", codes(pa.codes), codes(pb.codes), "")
	row("track changes in the period", fmt.Sprintf("%.0f", pa.trackChanges), fmt.Sprintf("%.0f", pb.trackChanges), rng(func(i int) float64 { return midP[i].trackChanges }, "%.0f"))
	row("tracks Up", fmt.Sprintf("%d / %d", a.sc.up, a.sc.tracks), fmt.Sprintf("%d / %d", b.sc.up, b.sc.tracks), "")
	row("kernel routes proto 200 (missing, extra)", fmt.Sprintf("%d (%d, %d)", a.routes, a.missing, a.extra), fmt.Sprintf("%d (%d, %d)", b.routes, b.missing, b.extra), rng(func(i int) float64 { return float64(mid[i].routes) }, "%.0f"))
	row("/metrics size, time", fmt.Sprintf("%.1f MB, %v", float64(a.sc.bytes)/1e6, a.scrapeTime.Round(time.Millisecond)), fmt.Sprintf("%.1f MB, %v", float64(b.sc.bytes)/1e6, b.scrapeTime.Round(time.Millisecond)), "")
	row("load average", a.load, b.load, "")
	fmt.Println()
}
