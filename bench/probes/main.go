// Command probes measures the IP SLA engine against a real nsd: CPU per DNS
// probe, probes per second per core, RSS and start lateness for 1,000 /
// 10,000 / 50,000 dns operations at 1 s frequency, next to a bare
// miekg/dns exchange measured in the same run (the baseline).
//
// It needs root, ip(8) and nsd. It creates a network namespace of its own,
// starts nsd in it on 127.0.0.1:53 with response rate limiting off, runs
// itself inside the namespace (so every query stays on that namespace's
// loopback), and removes nsd, the namespace and its files on exit.
//
//	go run ./bench/probes                       # 1000,10000,50000 ops, 10 s each
//	go run ./bench/probes -ops 10000 -measure 20s
//
// Figures are printed as a table; see BENCHMARKS.md for recorded runs.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/ipslad/ipslad/bench/internal/nsdconf"
	"github.com/ipslad/ipslad/sla"
)

var (
	opsFlag   = flag.String("ops", "1000,10000,50000", "comma-separated operation counts")
	freq      = flag.Duration("frequency", time.Second, "operation frequency")
	warmup    = flag.Duration("warmup", 3*time.Second, "time before measuring, per count")
	measure   = flag.Duration("measure", 10*time.Second, "measuring window, per count")
	baseN     = flag.Int("baseline", 5000, "bare exchanges per baseline")
	child     = flag.Bool("child", false, "internal: run the measurements (inside the namespace)")
	nameSrv   = flag.String("server", "127.0.0.1", "internal: the name server address")
	cpuprof   = flag.String("cpuprofile", "", "write a CPU profile of the engine runs to this file")
	queryName = "www.bench.example."
)

const zone = `$ORIGIN bench.example.
$TTL 300
@   IN SOA ns1 admin 1 3600 600 86400 300
    IN NS  ns1
ns1 IN A   127.0.0.1
www IN A   192.0.2.53
`

func main() {
	flag.Parse()
	log.SetFlags(0)
	if *child {
		runChild()
		return
	}
	runParent()
}

// runParent sets up the namespace and nsd, runs the child inside, and
// cleans up whatever happens.
func runParent() {
	if os.Geteuid() != 0 {
		log.Fatal("probes: needs root (it creates a network namespace)")
	}
	for _, bin := range []string{"ip", "nsd"} {
		if _, err := exec.LookPath(bin); err != nil {
			log.Fatalf("probes: %s not found: %v", bin, err)
		}
	}
	ns := fmt.Sprintf("ipslabench%d", os.Getpid())
	dir, err := os.MkdirTemp("", "ipslabench")
	if err != nil {
		log.Fatal(err)
	}
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
		cleanups = nil
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; cleanup(); os.Exit(1) }()
	fail := func(format string, args ...any) {
		cleanup()
		log.Fatalf(format, args...)
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)

	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		fail("ip netns add: %v: %s", err, out)
	}
	cleanups = append(cleanups, func() { exec.Command("ip", "netns", "del", ns).Run() })
	if out, err := exec.Command("ip", "-n", ns, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		fail("lo up: %v: %s", err, out)
	}
	conf := nsdconf.Config(dir, []string{"127.0.0.1"}, "bench.example", "zone.db")
	for name, text := range map[string]string{"nsd.conf": conf, "zone.db": zone} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			fail("%v", err)
		}
	}
	if out, err := exec.Command("ip", "netns", "exec", ns, "nsd", "-c", filepath.Join(dir, "nsd.conf")).CombinedOutput(); err != nil {
		fail("nsd: %v: %s", err, out)
	}
	cleanups = append(cleanups, func() { stopNSD(filepath.Join(dir, "nsd.pid")) })

	self, err := os.Executable()
	if err != nil {
		fail("%v", err)
	}
	args := append([]string{"netns", "exec", ns, self, "-child"}, os.Args[1:]...)
	cmd := exec.Command("ip", args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	cleanup()
	if err != nil {
		log.Fatalf("probes: %v", err)
	}
}

// stopNSD kills the nsd this run started, by the PID in its pid file.
func stopNSD(pidfile string) {
	var pid int
	for range 50 {
		if b, err := os.ReadFile(pidfile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			if pid > 0 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if pid <= 0 {
		return
	}
	syscall.Kill(pid, syscall.SIGTERM)
	for range 100 {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

func runChild() {
	server := netip.AddrPortFrom(netip.MustParseAddr(*nameSrv), 53)
	waitReady(server)
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), %s, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), cpuModel())
	fresh := baselineFresh(server, *baseN)
	reused := baselineReused(server, *baseN)
	fmt.Printf("baseline: bare miekg/dns exchange with nsd: fresh socket %.1f µs CPU, reused socket %.1f µs CPU (%d each, back to back)\n\n",
		us(fresh), us(reused), *baseN)
	fmt.Printf("%7s %9s %8s %9s %9s %10s %7s %9s %9s %9s %8s %s\n",
		"ops", "probes/s", "CPU%", "µs/probe", "×reused", "probes/s/c", "RSS MB", "late p50", "late p99", "late max", "OK%", "other codes")
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	for _, f := range strings.Split(*opsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			log.Fatalf("-ops: bad count %q", f)
		}
		r := runEngine(server, n)
		perProbe := time.Duration(0)
		if r.probes > 0 {
			perProbe = r.cpu / time.Duration(r.probes)
		}
		rate := float64(r.probes) / r.wall.Seconds()
		cpuFrac := r.cpu.Seconds() / r.wall.Seconds()
		fmt.Printf("%7d %9.0f %7.1f%% %9.1f %9.2f %10.0f %7.1f %9s %9s %9s %7.2f%% %s\n",
			n, rate, 100*cpuFrac, us(perProbe), float64(perProbe)/float64(reused), rate/cpuFrac,
			float64(r.rss)/(1<<20), r.late.quantile(0.5), r.late.quantile(0.99), r.late.max,
			100*float64(r.codes[sla.CodeOK])/float64(max(r.probes, 1)), r.otherCodes())
	}
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}

func query() *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(queryName, dns.TypeA)
	return m
}

func waitReady(server netip.AddrPort) {
	c := new(dns.Client)
	for range 100 {
		if r, _, err := c.Exchange(query(), server.String()); err == nil && len(r.Answer) > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Fatal("probes: nsd does not answer")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// baselineFresh is dns.Client.Exchange as a naive prober uses it: a new
// socket per query.
func baselineFresh(server netip.AddrPort, n int) time.Duration {
	c := new(dns.Client)
	m := query()
	t0 := cpuTime()
	for range n {
		if _, _, err := c.Exchange(m, server.String()); err != nil {
			log.Fatalf("baseline: %v", err)
		}
	}
	return (cpuTime() - t0) / time.Duration(n)
}

// baselineReused is the same exchange on one long-lived socket.
func baselineReused(server netip.AddrPort, n int) time.Duration {
	c := new(dns.Client)
	conn, err := c.Dial(server.String())
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	m := query()
	t0 := cpuTime()
	for range n {
		m.Id = dns.Id()
		if _, _, err := c.ExchangeWithConn(m, conn); err != nil {
			log.Fatalf("baseline: %v", err)
		}
	}
	return (cpuTime() - t0) / time.Duration(n)
}

type engineRun struct {
	probes int
	cpu    time.Duration
	wall   time.Duration
	rss    int64
	late   histogram
	codes  map[sla.ReturnCode]int
}

func (r engineRun) otherCodes() string {
	var parts []string
	for c, n := range r.codes {
		if c != sla.CodeOK {
			parts = append(parts, fmt.Sprintf("%s:%d", c, n))
		}
	}
	return strings.Join(parts, " ")
}

// runEngine runs n dns operations through sla.Scheduler and sla.NewProbe,
// as the daemon does, and measures the window after the warm-up.
func runEngine(server netip.AddrPort, n int) engineRun {
	ops := make([]sla.Operation, n)
	for i := range ops {
		op := sla.NewOperation(i + 1)
		op.DNS = &sla.DNS{Target: strings.TrimSuffix(queryName, "."), NameServer: server.Addr()}
		op.Frequency = *freq
		op.Timeout = min(*freq*9/10, sla.DefaultTimeout)
		op.Threshold = op.Timeout
		op.Schedule = sla.Schedule{Scheduled: true, Forever: true, Start: sla.StartNow}
		ops[i] = op
	}
	results := make(chan sla.Result, 4096)
	s := sla.NewScheduler(results, sla.NewProbe, nil)
	if errs := s.Set(ops); len(errs) > 0 {
		log.Fatal(errs[0])
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.Run(ctx) }()

	var (
		mu        sync.Mutex
		measuring bool
		r         = engineRun{codes: map[sla.ReturnCode]int{}}
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case res := <-results:
				mu.Lock()
				if measuring {
					r.probes++
					r.codes[res.Code]++
					r.late.add(res.Late)
				}
				mu.Unlock()
			case <-ctx.Done():
				return
			}
		}
	}()
	time.Sleep(*warmup)
	mu.Lock()
	measuring = true
	t0, c0 := time.Now(), cpuTime()
	mu.Unlock()
	time.Sleep(*measure)
	mu.Lock()
	measuring = false
	r.wall, r.cpu = time.Since(t0), cpuTime()-c0
	r.rss = rss()
	mu.Unlock()
	cancel()
	wg.Wait()
	<-done
	s.Set(nil)
	runtime.GC()
	debug.FreeOSMemory()
	return r
}

// rss is the process's resident set size from /proc/self/status.
func rss() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// histogram counts durations in 10 µs buckets up to 100 ms.
type histogram struct {
	buckets [10000]int
	over    int
	n       int
	max     time.Duration
}

const bucket = 10 * time.Microsecond

func (h *histogram) add(d time.Duration) {
	h.n++
	h.max = max(h.max, d)
	i := int(max(d, 0) / bucket)
	if i >= len(h.buckets) {
		h.over++
		return
	}
	h.buckets[i]++
}

// quantile returns the upper edge of the bucket holding quantile q.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	want := int(q * float64(h.n))
	sum := 0
	for i, c := range h.buckets {
		sum += c
		if sum > want {
			return time.Duration(i+1) * bucket
		}
	}
	return h.max
}
