package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ipslad/ipslad/config"
	"github.com/ipslad/ipslad/frr"
	"github.com/ipslad/ipslad/route"
	"github.com/ipslad/ipslad/sla"
)

func TestFRRConfigCommand(t *testing.T) {
	tests := []struct {
		name, cfg string
		args      []string
		code      int
		want      []string // lines expected in stdout (or stderr when code != 0)
	}{
		{
			name: "kernel backend",
			cfg: "track 1 ip sla 1\nip route 192.0.2.53 255.255.255.255 10.0.0.10 track 1\n" +
				"ipv6 route 2001:db8::53/128 fd00::10 track 1\nip route 0.0.0.0 0.0.0.0 10.0.0.1\n",
			args: []string{"-asn", "65001"},
			want: []string{"ip prefix-list IPSLAD-V4 seq 5 permit 192.0.2.53/32", "ipv6 prefix-list IPSLAD-V6 seq 5 permit 2001:db8::53/128",
				"router bgp 65001", "  redistribute kernel route-map IPSLAD-V4", "  redistribute kernel route-map IPSLAD-V6"},
		},
		{
			name: "frr backend matches the tag",
			cfg:  "ipslad route backend frr\ntrack 1 ip sla 1\nip route 192.0.2.53 255.255.255.255 10.0.0.10 tag 64001 track 1\n",
			args: []string{"-name", "DNS"},
			want: []string{"route-map DNS-V4 permit 10", " match tag 64001", "! router bgp ASN", "!   redistribute static route-map DNS-V4"},
		},
		{
			name: "no tracked route",
			cfg:  "ip route 0.0.0.0 0.0.0.0 10.0.0.1\n",
			code: 1,
			want: []string{"has no tracked route"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "t.cfg")
			if err := os.WriteFile(file, []byte(tt.cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"frr-config", "-f", file}, tt.args...), &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			out := stdout.String()
			if code != 0 {
				out = stderr.String()
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w+"\n") && !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if code == 0 && strings.Contains(out, "0.0.0.0/0") {
				t.Errorf("untracked route exported:\n%s", out)
			}
		})
	}
}

// flakyFRR is a route backend that can be made unreachable: while down,
// every call fails as vtysh does with FRR not running. It records when
// each call was made.
type flakyFRR struct {
	*fakeKernel
	mu    sync.Mutex
	down  bool
	calls []time.Duration // since start, of every call
	start time.Time
}

var errNoFRR = fmt.Errorf("vtysh: exit status 1: Exiting: failed to connect to any daemons.: %w", frr.ErrUnreachable)

func (f *flakyFRR) call() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, time.Since(f.start))
	if f.down {
		return errNoFRR
	}
	return nil
}

func (f *flakyFRR) setDown(b bool) {
	f.mu.Lock()
	f.down = b
	f.mu.Unlock()
}

func (f *flakyFRR) callTimes() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *flakyFRR) List() ([]route.Route, error) {
	if err := f.call(); err != nil {
		return nil, fmt.Errorf("reading FRR's configuration: %w", err)
	}
	return f.fakeKernel.List()
}

func (f *flakyFRR) Replace(r route.Route) error {
	if err := f.call(); err != nil {
		return fmt.Errorf("route %v: %w", r, err)
	}
	return f.fakeKernel.Replace(r)
}

func (f *flakyFRR) Delete(r route.Route) error {
	if err := f.call(); err != nil {
		return fmt.Errorf("route %v: %w", r, err)
	}
	return f.fakeKernel.Delete(r)
}

const frrSite = `ipslad route backend frr
ip sla 101
 dns anycast.example.com name-server 10.0.0.10
 frequency 1
 timeout 500
 threshold 500
ip sla schedule 101 life forever start-time now
track 101 ip sla 101
ip route 192.0.2.53 255.255.255.255 10.0.0.10 tag 64001 track 101
`

// startLogged is startDaemon with the log kept.
func startLogged(t *testing.T, src string, k route.Kernel, probes *switchable) (*daemon, *syncLog, context.CancelFunc, chan error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "test.cfg")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	var buf syncLog
	log := slog.New(slog.NewTextHandler(&buf, nil))
	d := newDaemon(options{file: file, protocol: 200}, cfg, log, k, probes.newProbe)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	return d, &buf, cancel, done
}

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestBackendBackoff(t *testing.T) {
	h := newBackendHealth("frr", time.Unix(0, 0))
	at := time.Unix(100, 0)
	var got []time.Duration
	firsts := 0
	for range 8 {
		first, d := h.fail(at, errNoFRR)
		if first {
			firsts++
		}
		got = append(got, d)
		at = at.Add(d)
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(got, want) || firsts != 1 {
		t.Errorf("delays %v (%d outage starts), want %v (1)", got, firsts, want)
	}
	if st := h.Status(); st.Up || st.Failures != 8 || st.Attempts != 8 || !st.Since.Equal(time.Unix(100, 0)) {
		t.Errorf("status %+v", st)
	}
	if rec, down, n := h.ok(at); !rec || down != at.Sub(time.Unix(100, 0)) || n != 8 {
		t.Errorf("ok: recovered %v after %v, %d attempts", rec, down, n)
	}
	if rec, _, _ := h.ok(at); rec {
		t.Error("ok twice: recovered twice")
	}
	// A new outage starts from the minimum again; the counter keeps going.
	if first, d := h.fail(at, errNoFRR); !first || d != time.Second || h.Status().Failures != 9 {
		t.Errorf("second outage: first %v, delay %v, failures %d", first, d, h.Status().Failures)
	}
}

// TestDaemonFRRUnreachable starts the daemon with the FRR backend
// unreachable: it keeps running, logs the outage once, retries after 1, 2,
// 4 ... 30 s (never in between: not at the 30 s resync, not on probe
// results), reports it in the metrics and in show ip route track-table,
// and programs the route at the first retry after FRR is back, logging the
// recovery once. A second outage (FRR gone while a route must be
// withdrawn) starts again from a 1 s retry.
func TestDaemonFRRUnreachable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := &flakyFRR{fakeKernel: newFakeKernel(), down: true, start: time.Now()}
		probes := &switchable{code: map[string]sla.ReturnCode{"10.0.0.10": sla.CodeOK}}
		d, log, cancel, done := startLogged(t, frrSite, k, probes)
		defer func() { cancel(); <-done }()

		time.Sleep(95 * time.Second)
		synctest.Wait()
		want := []time.Duration{0, 1, 3, 7, 15, 31, 61, 91} // start (adopt), then the retries
		for i := range want {
			want[i] *= time.Second
		}
		if got := k.callTimes(); !slices.Equal(got, want) {
			t.Errorf("calls to FRR at %v, want %v", got, want)
		}
		if n := log.count("route backend unreachable"); n != 1 {
			t.Errorf("outage logged %d times, want once:\n%s", n, log)
		}
		if n := log.count("level=ERROR"); n != 1 {
			t.Errorf("%d error lines, want 1:\n%s", n, log)
		}
		wantShow := " ip route 192.0.2.53 255.255.255.255 10.0.0.10 tag 64001 track 101 state is [up]\n" +
			"Route backend frr is DOWN for 00:01:35: 8 failed attempts, next retry in 26 secs\n" +
			"  Last error: listing routes: reading FRR's configuration: " + errNoFRR.Error() + "\n"
		if got := d.execute("show ip route track-table"); got != wantShow {
			t.Errorf("show ip route track-table:\n%s\nwant\n%s", got, wantShow)
		}
		metrics := func(up, failures int) string {
			return fmt.Sprintf(`
# HELP ipslad_route_backend_failures_total Attempts to reach the route backend that failed (FRR or staticd not running, vtysh timed out).
# TYPE ipslad_route_backend_failures_total counter
ipslad_route_backend_failures_total{backend="frr"} %d
# HELP ipslad_route_backend_up 1 when the route backend (FRR through vtysh) answers, 0 while it is unreachable and retried with backoff.
# TYPE ipslad_route_backend_up gauge
ipslad_route_backend_up{backend="frr"} %d
`, failures, up)
		}
		if err := testutil.CollectAndCompare(d.metrics, strings.NewReader(metrics(0, 8)),
			"ipslad_route_backend_up", "ipslad_route_backend_failures_total"); err != nil {
			t.Error(err)
		}

		// FRR is back: the next retry (at 121 s) programs the route.
		k.setDown(false)
		time.Sleep(121*time.Second - time.Since(k.start) - time.Millisecond)
		synctest.Wait()
		if k.fakeKernel.String() != "" {
			t.Fatalf("route programmed before the retry, at %v", time.Since(k.start))
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		const installed = "192.0.2.53/32 metric 1 nexthop via 10.0.0.10"
		if got := k.fakeKernel.String(); got != installed {
			t.Fatalf("after the retry at 121 s: %q, want %q", got, installed)
		}
		if n := log.count("route backend reachable again"); n != 1 || !strings.Contains(log.String(), `"down for"=2m1s "failed attempts"=8`) {
			t.Errorf("recovery logged %d times, want once with its duration and attempts:\n%s", n, log)
		}
		if got := d.execute("show ip route track-table"); !strings.HasSuffix(got, "[up]\nRoute backend frr is up\n") {
			t.Errorf("show ip route track-table:\n%s", got)
		}
		if err := testutil.CollectAndCompare(d.metrics, strings.NewReader(metrics(1, 8)),
			"ipslad_route_backend_up", "ipslad_route_backend_failures_total"); err != nil {
			t.Error(err)
		}
		calls := len(k.callTimes())
		time.Sleep(10 * time.Second) // healthy, nothing changes: FRR is left alone
		synctest.Wait()
		if n := len(k.callTimes()); n != calls {
			t.Errorf("%d calls to FRR while nothing changed", n-calls)
		}

		// Second outage: the server fails while FRR is away, so the route
		// must go: retried from 1 s again, withdrawn once FRR is back.
		k.setDown(true)
		probes.set("10.0.0.10", sla.CodeTimeout) // the next run, within a second, fails
		time.Sleep(time.Second)
		synctest.Wait()
		if n := log.count("route backend unreachable"); n != 2 {
			t.Fatalf("second outage logged %d times in all, want 2:\n%s", n, log)
		}
		fails := k.callTimes()[calls:]
		if len(fails) != 1 {
			t.Fatalf("calls to FRR %v, want 1 (the withdrawal)", fails)
		}
		k.setDown(false)
		time.Sleep(time.Second)
		synctest.Wait()
		if got := k.fakeKernel.String(); got != "" {
			t.Fatalf("route kept after FRR came back (calls %v)", k.callTimes()[calls:])
		}
		if got := k.callTimes()[calls:]; len(got) != 3 || got[1] != fails[0]+time.Second {
			t.Errorf("calls %v: want the failed withdrawal, then a retry 1 s later (listing, withdrawal)", got)
		}
		if n := log.count("route backend reachable again"); n != 2 {
			t.Errorf("second recovery not logged once:\n%s", log)
		}
	})
}

// TestKernelBackendUnaffected: with the kernel backend a kernel that
// cannot be read stops the start as before (no retries), and neither the
// backend metrics nor the backend line exist.
func TestKernelBackendUnaffected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := &flakyFRR{fakeKernel: newFakeKernel(), down: true, start: time.Now()}
		probes := &switchable{code: map[string]sla.ReturnCode{"10.0.0.10": sla.CodeOK}}
		src := strings.Replace(strings.TrimPrefix(frrSite, "ipslad route backend frr\n"), " tag 64001", "", 1)
		d, _, cancel, done := startLogged(t, src, k, probes)
		defer cancel()
		if err := <-done; err == nil || !errors.Is(err, frr.ErrUnreachable) {
			t.Fatalf("run = %v, want the listing error", err)
		}
		if d.backend != nil {
			t.Error("kernel backend has a backend health")
		}
		if n, err := testutil.GatherAndCount(registry(t, d.metrics), "ipslad_route_backend_up", "ipslad_route_backend_failures_total"); err != nil || n != 0 {
			t.Errorf("kernel backend: %d backend series, %v", n, err)
		}
		if got := d.execute("show ip route track-table"); strings.Contains(got, "Route backend") {
			t.Errorf("kernel backend: %q", got)
		}
	})
}

func registry(t *testing.T, c prometheus.Collector) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	return reg
}
