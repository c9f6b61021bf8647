package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ipslad/ipslad/config"
	"github.com/ipslad/ipslad/route"
	"github.com/ipslad/ipslad/sla"
)

// fakeKernel is an in-memory routing table of ipslad's protocol.
type fakeKernel struct {
	mu     sync.Mutex
	routes map[string]route.Route
	writes int
}

func newFakeKernel(rs ...route.Route) *fakeKernel {
	k := &fakeKernel{routes: map[string]route.Route{}}
	for _, r := range rs {
		k.routes[fmt.Sprint(r.Prefix, r.Metric)] = r
	}
	return k
}

func (k *fakeKernel) List() ([]route.Route, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []route.Route
	for _, r := range k.routes {
		out = append(out, r)
	}
	return out, nil
}

func (k *fakeKernel) Replace(r route.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.writes++
	k.routes[fmt.Sprint(r.Prefix, r.Metric)] = r
	return nil
}

func (k *fakeKernel) Delete(r route.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.writes++
	delete(k.routes, fmt.Sprint(r.Prefix, r.Metric))
	return nil
}

// state returns the routes and the number of writes so far.
func (k *fakeKernel) state() (string, int) {
	k.mu.Lock()
	n := k.writes
	k.mu.Unlock()
	return k.String(), n
}

func (k *fakeKernel) String() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var lines []string
	for _, r := range k.routes {
		lines = append(lines, r.String())
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// switchable is a probe factory whose probes all answer the current
// outcome of their operation's name server.
type switchable struct {
	mu   sync.Mutex
	code map[string]sla.ReturnCode
}

func (s *switchable) set(server string, c sla.ReturnCode) {
	s.mu.Lock()
	s.code[server] = c
	s.mu.Unlock()
}

func (s *switchable) newProbe(op sla.Operation) (sla.Probe, error) {
	server := op.DNS.NameServer.String()
	return func(ctx context.Context) sla.Outcome {
		time.Sleep(2 * time.Millisecond)
		s.mu.Lock()
		defer s.mu.Unlock()
		return sla.Outcome{Code: s.code[server], RTT: 2 * time.Millisecond}
	}, nil
}

const twoSites = `
ip sla 101
 dns anycast.example.com name-server 10.0.0.10
 frequency 1
 timeout 500
 threshold 500
ip sla schedule 101 life forever start-time now
ip sla 102
 dns anycast.example.com name-server 10.0.1.10
 frequency 1
 timeout 500
 threshold 500
ip sla schedule 102 life forever start-time now
track 101 ip sla 101
 delay down 2
track 102 ip sla 102
ip route 192.0.2.53 255.255.255.255 10.0.0.10 track 101
ip route 192.0.2.53 255.255.255.255 10.0.1.10 track 102
`

func startDaemon(t *testing.T, src string, k route.Kernel, probes *switchable) (*daemon, context.CancelFunc, chan error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "test.cfg")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := newDaemon(options{file: file, protocol: 200}, cfg, log, k, probes.newProbe)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	return d, cancel, done
}

func TestDaemonDrivesRoutes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFakeKernel()
		probes := &switchable{code: map[string]sla.ReturnCode{"10.0.0.10": sla.CodeOK, "10.0.1.10": sla.CodeOK}}
		d, cancel, done := startDaemon(t, twoSites, k, probes)

		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		const both = "192.0.2.53/32 metric 1 nexthop via 10.0.0.10 nexthop via 10.0.1.10"
		if got := k.String(); got != both {
			t.Fatalf("both healthy: kernel\n%s\nwant\n%s", got, both)
		}

		// Server 1 fails: track 101 has delay down 2, so the next hop goes
		// 2 s after the first failed run, not at once.
		probes.set("10.0.0.10", sla.CodeTimeout)
		time.Sleep(time.Second)
		synctest.Wait()
		if got := k.String(); got != both {
			t.Fatalf("within delay down: kernel\n%s", got)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got, want := k.String(), "192.0.2.53/32 metric 1 nexthop via 10.0.1.10"; got != want {
			t.Fatalf("after delay down: kernel\n%s\nwant\n%s", got, want)
		}
		if out := d.execute("sh ip route track"); !strings.Contains(out, " ip route 192.0.2.53 255.255.255.255 10.0.0.10 track 101 state is [down]") {
			t.Errorf("track-table:\n%s", out)
		}
		if out := d.execute("show track brief"); !strings.Contains(out, "101     ip sla      101                        state            Down") {
			t.Errorf("show track brief:\n%s", out)
		}
		if out := d.execute("sh ip sla s"); !strings.HasPrefix(out, "% Ambiguous") {
			t.Errorf("ambiguous abbreviation answered:\n%s", out)
		}

		// Both fail: the route is withdrawn; SIGTERM (cancel) leaves nothing.
		probes.set("10.0.1.10", sla.CodeDNSQueryError)
		time.Sleep(1100 * time.Millisecond)
		synctest.Wait()
		if got := k.String(); got != "" {
			t.Fatalf("both failed: kernel still has\n%s", got)
		}
		probes.set("10.0.1.10", sla.CodeOK)
		time.Sleep(1100 * time.Millisecond)
		synctest.Wait()
		if got := k.String(); got == "" {
			t.Fatal("recovered server's route not reinstalled")
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := k.String(); got != "" {
			t.Fatalf("after stop: kernel still has\n%s", got)
		}
	})
}

func TestDaemonAdoptsWithoutFlap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A previous run left the route (crash or -keep-routes), plus a route
		// of ours that the configuration no longer has.
		prev := route.Route{Prefix: mustPrefix("192.0.2.53/32"), Metric: 1, NextHops: []route.NextHop{{Gateway: mustAddr("10.0.0.10")}}}
		stale := route.Route{Prefix: mustPrefix("198.51.100.1/32"), Metric: 1, NextHops: []route.NextHop{{Gateway: mustAddr("10.0.0.10")}}}
		k := newFakeKernel(prev, stale)
		probes := &switchable{code: map[string]sla.ReturnCode{"10.0.0.10": sla.CodeOK}}
		src := strings.Split(twoSites, "ip sla 102")[0] + "track 101 ip sla 101\nip route 192.0.2.53 255.255.255.255 10.0.0.10 track 101\n"
		_, cancel, done := startDaemon(t, src, k, probes)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if got, want := k.String(), prev.String(); got != want {
			t.Fatalf("kernel\n%s\nwant\n%s", got, want)
		}
		if k.writes != 1 {
			t.Errorf("%d kernel writes; want exactly 1 (removing the stale route), the adopted route untouched", k.writes)
		}
		cancel()
		<-done
	})
}

func TestReload(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFakeKernel()
		probes := &switchable{code: map[string]sla.ReturnCode{"10.0.0.10": sla.CodeOK, "10.0.1.10": sla.CodeOK}}
		d, cancel, done := startDaemon(t, twoSites, k, probes)
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		writes := k.writes
		before := d.config()

		// A broken file is refused; the running configuration stays.
		os.WriteFile(d.opt.file, []byte(twoSites+"ip sla 103\n dns x name-server 10.0.0.300\n"), 0o644)
		if out := d.execute("reload"); !strings.HasPrefix(out, "% Reload refused") || !strings.Contains(out, "test.cfg:20:20:") {
			t.Errorf("reload of a broken file: %q", out)
		}
		if d.config() != before {
			t.Error("running configuration replaced by a failed reload")
		}

		// A good file that changes only a tag and adds an untracked route:
		// operations keep their statistics, the tracked route is untouched.
		runs := d.sched.Snapshot()[0].Runs
		changed := strings.Replace(twoSites, "10.0.0.10 track 101", "10.0.0.10 tag 7 track 101", 1) +
			"ip route 198.51.100.0 255.255.255.0 10.0.0.10\n"
		os.WriteFile(d.opt.file, []byte(changed), 0o644)
		if out := d.execute("reload"); out != "Configuration reloaded.\n" {
			t.Fatalf("reload: %q", out)
		}
		synctest.Wait()
		if k.writes != writes+1 {
			t.Errorf("reload made %d kernel writes; want 1 (the new route only)", k.writes-writes)
		}
		if got := d.sched.Snapshot()[0].Runs; got < runs {
			t.Errorf("unchanged operation lost its statistics: %d runs, had %d", got, runs)
		}
		if !strings.Contains(d.execute("show running-config"), "tag 7 track 101") {
			t.Error("show running-config does not show the reloaded configuration")
		}
		cancel()
		<-done
	})
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }

// TestSecondInstanceTouchesNothing: a second ipslad started by mistake on
// the same control socket fails before it adopts, changes or removes any
// of the running daemon's routes.
func TestSecondInstanceTouchesNothing(t *testing.T) {
	k := newFakeKernel()
	probes := &switchable{code: map[string]sla.ReturnCode{"10.0.0.10": sla.CodeOK, "10.0.1.10": sla.CodeOK}}
	dir := t.TempDir()
	sock := filepath.Join(dir, "ipslad.sock")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	load := func(src string) *config.Config {
		file := filepath.Join(dir, "x.cfg")
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	first := newDaemon(options{file: "first.cfg", protocol: 200, socket: sock}, load(twoSites), log, k, probes.newProbe)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- first.run(ctx) }()
	defer func() { cancel(); <-done }()
	// Wait until the first daemon has installed its routes and is quiet.
	deadline := time.Now().Add(10 * time.Second)
	before, writes := k.state()
	for time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		now, n := k.state()
		if now != "" && now == before && n == writes {
			break
		}
		before, writes = now, n
	}
	if before == "" {
		t.Fatal("first daemon installed nothing")
	}

	// The second one's configuration has no routes at all: had it adopted
	// and applied, it would have withdrawn the first one's.
	second := newDaemon(options{file: "second.cfg", protocol: 200, socket: sock}, load("hostname x\n"), log, k, probes.newProbe)
	err := second.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second daemon: err = %v, want the socket in use", err)
	}
	if got, n := k.state(); got != before || n != writes {
		t.Errorf("second daemon touched the routes:\nbefore\n%s\nafter\n%s", before, got)
	}
}
