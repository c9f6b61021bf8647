package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipslad/ipslad/config"
)

func TestLayoutConfig(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		ops, servers, tracks int
		wantTracks           int
	}{
		{"one track per operation", 40, 8, 0, 40},
		{"capped at IOS's 1000", 2500, 8, 0, 1000},
		{"multiple of the servers", 1003, 7, 0, 994},
		{"groups", 100, 4, 10, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := newLayout(tc.ops, tc.servers, tc.tracks)
			if err != nil {
				t.Fatal(err)
			}
			if l.tracks != tc.wantTracks {
				t.Fatalf("tracks = %d, want %d", l.tracks, tc.wantTracks)
			}
			// The generated text goes through ipslad's own parser.
			path := filepath.Join(t.TempDir(), "soak.cfg")
			if err := os.WriteFile(path, []byte(l.config()), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatalf("config.Load: %v", err)
			}
			if len(cfg.Warnings) > 0 {
				t.Errorf("warnings: %v", cfg.Warnings)
			}
			if len(cfg.Operations) != tc.ops || len(cfg.Tracks) != tc.wantTracks || len(cfg.Routes) != tc.ops {
				t.Fatalf("parsed %d operations, %d tracks, %d routes; want %d, %d, %d",
					len(cfg.Operations), len(cfg.Tracks), len(cfg.Routes), tc.ops, tc.wantTracks, tc.ops)
			}
			for i := 1; i <= tc.ops; i++ {
				// Route i's track follows an operation on route i's server.
				if k := l.track(i); l.server(k) != l.server(i) {
					t.Fatalf("route %d (server %d) follows track %d of server %d", i, l.server(i), k, l.server(k))
				}
			}
			for _, r := range cfg.Routes {
				if r.Prefix.Bits() != 32 || !strings.HasPrefix(r.Prefix.Addr().String(), "198.1") {
					t.Fatalf("route %v outside 198.18.0.0/15", r.Prefix)
				}
			}
		})
	}
}

func TestLayoutErrors(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		ops, servers, tracks int
	}{
		{"no servers", 10, 0, 0},
		{"fewer ops than servers", 3, 4, 0},
		{"too many tracks", 10, 2, 1001},
		{"tracks below servers", 10, 4, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := newLayout(tc.ops, tc.servers, tc.tracks); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestExpected(t *testing.T) {
	l, err := newLayout(8, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := l.expected([]bool{true, false})
	if len(want) != 4 {
		t.Fatalf("%d routes expected with one of two servers up, want 4", len(want))
	}
	if !want[kroute{"198.18.0.1", "10.200.0.10"}] || want[kroute{"198.18.0.2", "10.200.0.11"}] {
		t.Fatalf("expected = %v", want)
	}
	got := []kroute{{"198.18.0.1", "10.200.0.10"}, {"198.18.0.2", "10.200.0.11"}}
	missing, extra := diffRoutes(got, want)
	if len(missing) != 3 || len(extra) != 1 || extra[0].dst != "198.18.0.2" {
		t.Fatalf("missing %v, extra %v", missing, extra)
	}
}

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       procStatus
		err        bool
	}{
		{"status", "Name:\tipslad\nVmPeak:\t 1000 kB\nVmRSS:\t   45312 kB\nThreads:\t9\n", procStatus{45312, 9}, false},
		{"no rss", "Name:\tipslad\nThreads:\t9\n", procStatus{}, true},
		{"garbage", "VmRSS:\tx kB\nThreads:\t9\n", procStatus{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatus(tc.text)
			if (err != nil) != tc.err || !tc.err && got != tc.want {
				t.Fatalf("parseStatus = %+v, %v; want %+v (error %v)", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestParseStatCPU(t *testing.T) {
	// The command may hold spaces and parentheses.
	text := "1234 (ip sla (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0 100 0 0\n"
	if got, err := parseStatCPU(text); err != nil || got != 325 {
		t.Fatalf("parseStatCPU = %d, %v; want 325", got, err)
	}
	if _, err := parseStatCPU("1234 (x) S 1"); err == nil {
		t.Fatal("short line: no error")
	}
}

func TestParseScrape(t *testing.T) {
	text := `# HELP ipslad_sla_results_total IP SLA runs by return code.
# TYPE ipslad_sla_results_total counter
ipslad_sla_results_total{code="OK",sla="1"} 10
ipslad_sla_results_total{code="OK",sla="2"} 5
ipslad_sla_results_total{code="Timeout",sla="2"} 3
ipslad_sla_start_lateness_seconds{sla="1"} 0.001
ipslad_sla_start_lateness_seconds{sla="2"} 0.003
ipslad_track_changes_total{track="1"} 2
ipslad_track_changes_total{track="2"} 1
ipslad_track_up{track="1"} 1
ipslad_track_up{track="2"} 0
ipslad_route_desired{metric="1",prefix="198.18.0.1/32"} 1
ipslad_route_installed{metric="1",prefix="198.18.0.1/32"} 1
ipslad_route_installed{metric="1",prefix="198.18.0.2/32"} 0
ipslad_build_info{goversion="go1.26",version="a \"q\" b"} 1
`
	s, err := parseScrape(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if s.results["OK"] != 15 || s.results["Timeout"] != 3 || s.totalRuns() != 18 {
		t.Errorf("results = %v", s.results)
	}
	if len(s.perOp) != 2 || s.perOp["2"] != 8 {
		t.Errorf("perOp = %v", s.perOp)
	}
	if len(s.lateness) != 2 || s.lateness[1] != 3*time.Millisecond {
		t.Errorf("lateness = %v", s.lateness)
	}
	if s.trackChanges != 3 || s.tracks != 2 || s.up != 1 || s.desired != 1 || s.installed != 1 || s.goroutines != -1 {
		t.Errorf("scrape = %+v", s)
	}
	m, ok := parseMetricLine(`ipslad_build_info{goversion="go1.26",version="a \"q\" b"} 1`)
	if !ok || m.labels["version"] != `a "q" b` || m.value != 1 {
		t.Errorf("escaped label: %+v %v", m, ok)
	}
	for _, bad := range []string{`x{a="1"`, `x{a=1} 2`, `x{a="1"} y`, `{a="1"} 2`} {
		if _, ok := parseMetricLine(bad); ok {
			t.Errorf("parseMetricLine(%q) accepted", bad)
		}
	}
}

func TestQuantiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	p50, p99, mx := quantiles(ds)
	if p50 != 50*time.Millisecond || p99 != 99*time.Millisecond || mx != 100*time.Millisecond {
		t.Fatalf("quantiles = %v %v %v", p50, p99, mx)
	}
	if a, b, c := quantiles(nil); a != 0 || b != 0 || c != 0 {
		t.Fatal("empty: not zero")
	}
}

func TestParseProfiles(t *testing.T) {
	if n, err := parseGoroutineProfile("goroutine profile: total 25\n5 @ 0x1\n"); err != nil || n != 25 {
		t.Fatalf("goroutines = %d, %v", n, err)
	}
	if n, err := parseHeapProfile("heap profile: 1: 2 [3: 4] @ heap/1048576\n\n# runtime.MemStats\n# Alloc = 7\n# HeapAlloc = 123456\n"); err != nil || n != 123456 {
		t.Fatalf("heap = %d, %v", n, err)
	}
	if _, err := parseGoroutineProfile("nothing"); err == nil {
		t.Fatal("no error")
	}
}

func TestParseRoutes(t *testing.T) {
	js := `[{"dst":"198.18.0.1","gateway":"10.200.0.10","dev":"soakr","protocol":"200","flags":[]},
{"dst":"198.18.0.2","nexthops":[{"gateway":"10.200.0.10"},{"gateway":"10.200.0.11"}]}]`
	rs, err := parseRoutes([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || rs[0] != (kroute{"198.18.0.1", "10.200.0.10"}) || rs[2] != (kroute{"198.18.0.2", "10.200.0.11"}) {
		t.Fatalf("routes = %v", rs)
	}
	if _, err := parseRoutes([]byte("not json")); err == nil {
		t.Fatal("no error")
	}
}
