// Command soak runs the IP SLA engine for a long, bounded time against name
// servers that keep changing their behaviour, and reports whether anything
// grows: goroutines, file descriptors, RSS and probe start lateness, at the
// start and at the end of the run (issue 8, load and soak).
//
// N dns operations (sla.Scheduler with sla.NewProbe, as the daemon runs
// them) at 1 s frequency spread over S in-process miekg/dns servers on
// 127.0.0.2.. port 53. Every -flap each server moves to its next
// behaviour: answer, no reply, SERVFAIL, a flood of garbage with the
// query's ID, a slow answer (past the timeout), a truncated reply, then
// answer again. It needs root and ip(8): it creates a network namespace
// of its own, runs itself inside it (so every query stays on that
// namespace's loopback), and deletes the namespace on exit.
//
//	go run ./bench/soak -ops 10000 -duration 10m
//
// Figures are printed every -report and as a start/end table; see
// BENCHMARKS.md (## Soak) for recorded runs.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/ipslad/ipslad/sla"
)

var (
	opsN     = flag.Int("ops", 10000, "dns operations")
	servers  = flag.Int("servers", 8, "name servers (127.0.0.2 upwards)")
	duration = flag.Duration("duration", 10*time.Minute, "how long to run")
	flap     = flag.Duration("flap", 20*time.Second, "how long each server keeps one behaviour")
	report   = flag.Duration("report", time.Minute, "how often to print a line")
	window   = flag.Duration("window", time.Minute, "the start and end windows compared")
	child    = flag.Bool("child", false, "internal: run inside the namespace")
)

const qname = "www.soak.example."

func main() {
	flag.Parse()
	if *child {
		runChild()
		return
	}
	if os.Geteuid() != 0 {
		log.Fatal("soak needs root (a network namespace of its own)")
	}
	ns := "ipslad-soak-" + strconv.Itoa(os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		log.Fatalf("ip netns add: %v: %s", err, out)
	}
	defer exec.Command("ip", "netns", "del", ns).Run()
	if out, err := exec.Command("ip", "-n", ns, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		log.Fatalf("lo up: %v: %s", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	args := append([]string{"netns", "exec", ns, self, "-child"}, os.Args[1:]...)
	cmd := exec.Command("ip", args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	go func() { <-sig; cmd.Process.Signal(syscall.SIGTERM) }()
	if err := cmd.Wait(); err != nil {
		exec.Command("ip", "netns", "del", ns).Run()
		log.Fatalf("soak: %v", err)
	}
}

// behaviour is what a server does with a query.
type behaviour int32

const (
	answer behaviour = iota
	silent
	servfail
	flood
	slow
	truncated
	nBehaviours
)

var behaviourNames = [...]string{"answer", "no reply", "SERVFAIL", "garbage flood", "slow", "truncated"}

type server struct {
	addr netip.AddrPort
	pc   *net.UDPConn
	mode atomic.Int32
}

func (s *server) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		q := new(dns.Msg)
		if q.Unpack(buf[:n]) != nil || len(q.Question) != 1 {
			continue
		}
		m := new(dns.Msg)
		m.SetReply(q)
		switch behaviour(s.mode.Load()) {
		case silent:
			continue
		case servfail:
			m.Rcode = dns.RcodeServerFailure
		case truncated:
			m.Truncated = true
		case flood:
			hdr := append([]byte(nil), buf[:12]...)
			hdr[2] |= 0x80
			for i := range 20 {
				s.pc.WriteToUDPAddrPort(append(hdr, byte(i), 0xC0, 0xFF), from)
			}
			continue
		case slow:
			time.AfterFunc(700*time.Millisecond, func() { s.reply(m, from) }) // after the 500 ms timeout
			continue
		default:
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: qname, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
				A: net.IPv4(192, 0, 2, 53)})
		}
		s.reply(m, from)
	}
}

func (s *server) reply(m *dns.Msg, to netip.AddrPort) {
	if b, err := m.Pack(); err == nil {
		s.pc.WriteToUDPAddrPort(b, to)
	}
}

// sample is the process's state at one moment.
type sample struct {
	at         time.Time
	goroutines int
	fds        int
	rssKB      int
}

func take() sample {
	s := sample{at: time.Now(), goroutines: runtime.NumGoroutine()}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		s.fds = len(ents)
	}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for l := range strings.Lines(string(b)) {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				s.rssKB, _ = strconv.Atoi(f[1])
			}
		}
	}
	return s
}

// lateness collects start lateness in one window.
type lateness struct {
	mu    sync.Mutex
	late  []time.Duration
	codes map[sla.ReturnCode]int
}

func (l *lateness) add(r sla.Result) {
	l.mu.Lock()
	l.late = append(l.late, r.Late)
	l.codes[r.Code]++
	l.mu.Unlock()
}

func (l *lateness) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.late) == 0 {
		return "no runs"
	}
	s := slices.Clone(l.late)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	var codes []string
	for c, n := range l.codes {
		codes = append(codes, fmt.Sprintf("%s %d", c, n))
	}
	slices.Sort(codes)
	return fmt.Sprintf("%d runs, lateness p50 %v p99 %v max %v; %s", len(s),
		q(0.5).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), s[len(s)-1].Round(10*time.Microsecond), strings.Join(codes, ", "))
}

func runChild() {
	var srvs []*server
	for i := range *servers {
		a := netip.AddrFrom4([4]byte{127, 0, 0, byte(2 + i)})
		pc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, 53)))
		if err != nil {
			log.Fatal(err)
		}
		pc.SetReadBuffer(4 << 20)
		s := &server{addr: netip.AddrPortFrom(a, 53), pc: pc}
		s.mode.Store(int32(i % int(nBehaviours))) // servers start out of step
		srvs = append(srvs, s)
		go s.serve()
	}
	results := make(chan sla.Result, 4096)
	sched := sla.NewScheduler(results, sla.NewProbe, nil)
	var ops []sla.Operation
	for i := range *opsN {
		op := sla.NewOperation(i + 1)
		op.DNS = &sla.DNS{Target: "www.soak.example", NameServer: srvs[i%len(srvs)].addr.Addr()}
		op.Frequency = time.Second
		op.Timeout = 500 * time.Millisecond
		op.Threshold = 500 * time.Millisecond
		op.Schedule = sla.Schedule{Scheduled: true, Forever: true, Start: sla.StartNow}
		ops = append(ops, op)
	}
	if errs := sched.Set(ops); len(errs) > 0 {
		log.Fatal(errs)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	ctx, stop := context.WithTimeout(ctx, *duration)
	defer stop()
	go sched.Run(ctx)

	start := time.Now()
	first := &lateness{codes: map[sla.ReturnCode]int{}}
	last := &lateness{codes: map[sla.ReturnCode]int{}}
	var cur atomic.Pointer[lateness]
	cur.Store(&lateness{codes: map[sla.ReturnCode]int{}})
	go func() {
		for r := range results {
			el := time.Since(start)
			if el < *window {
				first.add(r)
			}
			if el >= *duration-*window {
				last.add(r)
			}
			cur.Load().add(r)
		}
	}()
	flapT := time.NewTicker(*flap)
	reportT := time.NewTicker(*report)
	defer flapT.Stop()
	defer reportT.Stop()
	var samples []sample
	fmt.Printf("soak: %d dns operations at 1 s over %d servers flapping every %v through %s, for %v\n",
		*opsN, len(srvs), *flap, strings.Join(behaviourNames[:], " / "), *duration)
	// The start sample comes after one window: the engine's sockets, the
	// heap and the first spread of starts are then in place.
	startSample := time.After(*window)
	for {
		select {
		case <-ctx.Done():
			printEnd(samples, take(), first, last)
			return
		case <-startSample:
			samples = append(samples, take())
		case <-flapT.C:
			for _, s := range srvs {
				s.mode.Store((s.mode.Load() + 1) % int32(nBehaviours))
			}
		case <-reportT.C:
			s := take()
			l := cur.Swap(&lateness{codes: map[sla.ReturnCode]int{}})
			fmt.Printf("%6s goroutines %d, fds %d, RSS %d MB; last %v: %s\n", time.Since(start).Round(time.Second),
				s.goroutines, s.fds, s.rssKB/1024, *report, l.summary())
		}
	}
}

func printEnd(samples []sample, end sample, first, last *lateness) {
	if len(samples) == 0 {
		fmt.Println("soak: too short for a start sample")
		return
	}
	s := samples[0]
	fmt.Printf("\n| | after %v (start) | at the end (%v) |\n| --- | ---: | ---: |\n", *window, *duration)
	fmt.Printf("| goroutines | %d | %d |\n", s.goroutines, end.goroutines)
	fmt.Printf("| file descriptors | %d | %d |\n", s.fds, end.fds)
	fmt.Printf("| RSS | %d MB | %d MB |\n", s.rssKB/1024, end.rssKB/1024)
	fmt.Printf("| first %v | %s | |\n", *window, first.summary())
	fmt.Printf("| last %v | | %s |\n", *window, last.summary())
}
