package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ipslad/ipslad/config"
	"github.com/ipslad/ipslad/sla"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// goldenConfig has a healthy site (101), a failing one (102) with a
// delayed object and a floating route, and an unscheduled operation.
const goldenConfig = twoSites + `ip sla 103
 dns 192.0.2.1 name-server 10.0.2.10
 owner noc
track 103 ip sla 103 reachability
ip route 198.51.100.0 255.255.255.0 10.0.1.10 5 track 102
ip route 203.0.113.0 255.255.255.0 10.0.0.1
`

var (
	fracSeconds = regexp.MustCompile(`(T\d\d:\d\d:\d\d)\.\d+Z`)
	lateness    = regexp.MustCompile(`"lateness_ms": [0-9.]+`)
)

// TestControlGolden runs the daemon on a fake clock and kernel and checks
// every command's output, as IOS text and as JSON, and the ? help.
func TestControlGolden(t *testing.T) {
	local := time.Local
	time.Local = time.UTC // the IOS time lines name the zone
	defer func() { time.Local = local }()
	type goldenCase struct{ name, line, out string }
	var cases []goldenCase
	synctest.Test(t, func(t *testing.T) {
		k := newFakeKernel()
		probes := &switchable{code: map[string]sla.ReturnCode{"10.0.0.10": sla.CodeOK, "10.0.1.10": sla.CodeTimeout}}
		d, cancel, done := startDaemon(t, goldenConfig, k, probes)
		time.Sleep(3500 * time.Millisecond)
		synctest.Wait()
		for _, tc := range []goldenCase{
			{"sla-statistics", "show ip sla statistics", ""},
			{"sla-statistics-101", "sh ip sla stat 101", ""},
			{"sla-statistics-details", "show ip sla statistics details", ""},
			{"sla-statistics-102-details", "show ip sla statistics 102 details", ""},
			{"sla-statistics-missing", "show ip sla statistics 7", ""},
			{"sla-statistics-aggregated", "show ip sla statistics aggregated", ""},
			{"sla-statistics-aggregated-102-details", "sh ip sla stat agg 102 det", ""},
			{"sla-group-schedule", "show ip sla group schedule", ""},
			{"sla-summary", "sh ip sla sum", ""},
			{"sla-configuration", "show ip sla configuration", ""},
			{"sla-configuration-103", "show ip sla conf 103", ""},
			{"sla-application", "show ip sla application", ""},
			{"track", "show track", ""},
			{"track-101", "sh tr 101", ""},
			{"track-missing", "show track 5", ""},
			{"track-brief", "show track brief", ""},
			{"track-summary", "show track summary", ""},
			{"route-track-table", "show ip route track-table", ""},
			{"static-route", "show ip static route", ""},
			{"running-config", "sh run", ""},
			{"debugging", "show debugging", ""},
			{"ambiguous", "sh ip sla s", ""},
			{"invalid", "show ip bgp", ""},
			{"out-of-range", "show track 1001", ""},
			{"help-top", "?", ""},
			{"help-show", "show ?", ""},
			{"help-show-ip-sla", "show ip sla ?", ""},
			{"help-partial", "show ip sla s?", ""},
			{"help-statistics", "sh ip sla stat ?", ""},
			{"help-statistics-n", "sh ip sla stat 101 ?", ""},
			{"help-track", "show track ?", ""},
			{"help-unknown", "show foo ?", ""},
			{"help-ip-sla", "ip sla ?", ""},
			{"json-sla-statistics", "show ip sla statistics | json", ""},
			{"json-sla-summary", "show ip sla summary | json", ""},
			{"json-sla-configuration", "show ip sla configuration 101 | json", ""},
			{"json-sla-application", "show ip sla application | json", ""},
			{"json-sla-statistics-aggregated", "show ip sla statistics aggregated 101 | json", ""},
			{"json-sla-group-schedule", "show ip sla group schedule | json", ""},
			{"json-track", "show track | json", ""},
			{"json-track-brief", "show track brief | json", ""},
			{"json-track-summary", "show track summary | json", ""},
			{"json-route-track-table", "show ip route track-table | json", ""},
			{"json-static-route", "show ip static route | json", ""},
			{"json-running-config", "show running-config | json", ""},
			{"json-debugging", "show debugging | json", ""},
			{"json-error", "show track 5 | json", ""},
		} {
			tc.out = d.execute(tc.line)
			if strings.HasSuffix(tc.line, "| json") {
				// The scheduler batches starts within a millisecond, so
				// sub-second times and lateness vary between runs.
				tc.out = fracSeconds.ReplaceAllString(tc.out, "${1}Z")
				tc.out = lateness.ReplaceAllString(tc.out, `"lateness_ms": L`)
			}
			cases = append(cases, tc)
		}
		cancel()
		<-done
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, "control/"+tc.name+".golden", []byte(tc.out))
		})
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want: the matched command, or the error's start
	}{
		{"sh ip sla sum", "show ip sla summary"},
		{"SH IP SLA SUM", "show ip sla summary"},
		{"s ip sla sum", "show ip sla summary"}, // no other command starts with s
		{"sh ip sla s", "% Ambiguous"},
		{"sh ip sla st 5 d", "show ip sla statistics <1-2147483647> details"},
		{"sh ip sla st 0", "% Invalid"},
		{"sh tr 1000", "show track <1-1000>"},
		{"sh tr 1001", "% Invalid"},
		{"sh tr b", "show track brief"},
		{"sh ip st r", "show ip static route"},
		{"sh ip r t", "show ip route track-table"},
		{"sh deb", "show debugging"},
		{"cl ip sla c", "clear ip sla counters"},
		{"ip sla rest 5", "ip sla restart <1-2147483647>"},
		{"ip sla restart 0", "% Invalid"},
		{"rel", "reload"},
		{"und a", "undebug all"},
		{"no deb all", "no debug all"},
		{"show", "% Invalid"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			c, _, err := match(strings.Fields(tc.in))
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = strings.Join(c.words, " ")
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("match(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func testDaemon(t *testing.T) *daemon {
	t.Helper()
	file := filepath.Join(t.TempDir(), "test.cfg")
	if err := os.WriteFile(file, []byte(twoSites), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	probes := &switchable{code: map[string]sla.ReturnCode{}}
	return newDaemon(options{file: file, protocol: 200}, cfg, log, newFakeKernel(), probes.newProbe)
}

func TestRootOnly(t *testing.T) {
	d := testDaemon(t)
	for _, line := range []string{"reload", "clear ip sla counters", "ip sla restart 101", "debug all", "undebug all"} {
		if out := d.executeAs(line, false); !strings.HasPrefix(out, "% Permission denied") {
			t.Errorf("%q as non-root: %q", line, out)
		}
	}
	if out := d.executeAs("show track brief", false); strings.HasPrefix(out, "%") {
		t.Errorf("show as non-root: %q", out)
	}
}

func TestDebugToggle(t *testing.T) {
	d := testDaemon(t)
	d.opt.level = new(slog.LevelVar)
	d.opt.level.Set(slog.LevelWarn)
	d.opt.baseLevel = slog.LevelWarn
	d.execute("debug all")
	if got := d.opt.level.Level(); got != slog.LevelDebug {
		t.Errorf("after debug all: %v", got)
	}
	if out := d.execute("show debugging"); !strings.Contains(out, "debugging is on") {
		t.Errorf("show debugging: %q", out)
	}
	d.execute("undebug all")
	if got := d.opt.level.Level(); got != slog.LevelWarn {
		t.Errorf("after undebug all: %v", got)
	}
}

// TestSocketPermissions runs the real ipslactl as another user against a
// real control socket: a user neither root nor in -socket-group cannot
// connect; one in the group can show but not reload.
func TestSocketPermissions(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs ipslactl as uid 65534")
	}
	dir := t.TempDir() // and its parent: 0700, so nobody could not reach ipslactl
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctl := filepath.Join(dir, "ipslactl")
	if out, err := exec.Command(goTool(), "build", "-o", ctl, "github.com/ipslad/ipslad/cmd/ipslactl").CombinedOutput(); err != nil {
		t.Fatalf("building ipslactl: %v\n%s", err, out)
	}
	d := testDaemon(t)
	sock := filepath.Join(dir, "run", "ipslad.sock")
	d.opt.socket, d.opt.socketGroup = sock, "65534"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	defer func() { cancel(); <-done }()
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i > 500 {
			t.Fatal("control socket not created")
		}
		time.Sleep(10 * time.Millisecond)
	}
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o660 || st.Uid != 0 || st.Gid != 65534 {
		t.Errorf("socket mode %v owner %d:%d; want 0660 0:65534", fi.Mode().Perm(), st.Uid, st.Gid)
	}
	as := func(uid, gid uint32, args ...string) (string, int) {
		cmd := exec.Command(ctl, append([]string{"-s", sock}, args...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}}
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	for _, tc := range []struct {
		name     string
		uid, gid uint32
		args     []string
		want     string
		code     int
	}{
		{"other user refused", 65534, 65533, []string{"show", "track", "brief"}, "permission denied", 1},
		{"group member shows", 65534, 65534, []string{"sh", "track", "brief"}, "Track   Type", 0},
		{"group member cannot reload", 65534, 65534, []string{"reload"}, "% Permission denied", 1},
		{"group member cannot clear", 65534, 65534, []string{"clear", "ip", "sla", "counters"}, "% Permission denied", 1},
		{"root reloads", 0, 0, []string{"reload"}, "Configuration reloaded.", 0},
		{"help", 65534, 65534, []string{"show", "ip", "sla", "?"}, "statistics", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, code := as(tc.uid, tc.gid, tc.args...)
			if !strings.Contains(out, tc.want) || code != tc.code {
				t.Errorf("exit %d, output:\n%s\nwant exit %d and %q", code, out, tc.code, tc.want)
			}
		})
	}
}

// goTool finds the go command: on PATH, else the usual install location.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// TestTrackSet drives a stub object from the CLI through the event loop:
// the route it tracks follows.
func TestTrackSet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFakeKernel()
		probes := &switchable{code: map[string]sla.ReturnCode{"10.0.0.10": sla.CodeOK, "10.0.1.10": sla.CodeOK}}
		src := twoSites + "track 200 stub-object\nip route 198.51.100.0 255.255.255.0 10.0.0.10 track 200\n"
		d, cancel, done := startDaemon(t, src, k, probes)
		defer func() { cancel(); <-done }()
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		if strings.Contains(k.String(), "198.51.100.0/24") {
			t.Fatalf("stub object starts Down, yet its route is installed:\n%s", k)
		}
		for _, tc := range []struct{ line, want string }{
			{"track 200 set up", ""},
			{"track 101 set up", "% track 101: not a stub object\n"},
			{"track 999 set up", "% track 999 does not exist\n"},
		} {
			if out := d.execute(tc.line); out != tc.want {
				t.Errorf("%q: %q, want %q", tc.line, out, tc.want)
			}
		}
		synctest.Wait()
		if !strings.Contains(k.String(), "198.51.100.0/24") {
			t.Errorf("track 200 set up: route not installed:\n%s", k)
		}
		if out := d.execute("sh track 200"); !strings.Contains(out, "State is Up") {
			t.Errorf("show track 200:\n%s", out)
		}
		d.execute("tr 200 set d")
		synctest.Wait()
		if strings.Contains(k.String(), "198.51.100.0/24") {
			t.Errorf("track 200 set down: route still installed:\n%s", k)
		}
	})
}

// TestNoLogPerProbe: at the default level (info) a healthy daemon logs
// its start and the state changes, not each probe run.
func TestNoLogPerProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs syncBuf
		file := filepath.Join(t.TempDir(), "test.cfg")
		os.WriteFile(file, []byte(twoSites), 0o644)
		cfg, err := config.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		probes := &switchable{code: map[string]sla.ReturnCode{"10.0.0.10": sla.CodeOK, "10.0.1.10": sla.CodeOK}}
		lv := new(slog.LevelVar)
		log, _ := newLogger(&logs, "text", "info", lv)
		d := newDaemon(options{file: file, protocol: 200, level: lv}, cfg, log, newFakeKernel(), probes.newProbe)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.run(ctx) }()
		time.Sleep(time.Second)
		synctest.Wait()
		before := strings.Count(logs.String(), "\n")
		time.Sleep(30 * time.Second) // 60 probe runs
		synctest.Wait()
		if after := strings.Count(logs.String(), "\n"); after != before {
			t.Errorf("%d log lines during 60 healthy probe runs:\n%s", after-before, logs.String())
		}
		d.execute("debug all")
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if !strings.Contains(logs.String(), "ip sla run") {
			t.Errorf("debug all: no probe runs logged:\n%s", logs.String())
		}
		cancel()
		<-done
	})
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRestart: `ip sla restart N` clears an active entry's statistics and
// starts it again at once; an entry that is not active is refused, as IOS.
func TestRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		probes := &switchable{code: map[string]sla.ReturnCode{"10.0.0.10": sla.CodeOK, "10.0.1.10": sla.CodeTimeout}}
		d, cancel, done := startDaemon(t, goldenConfig, newFakeKernel(), probes)
		defer func() { cancel(); <-done }()
		time.Sleep(3500 * time.Millisecond)
		synctest.Wait()
		stats := func(id int) sla.Stats {
			for _, st := range d.sched.Snapshot() {
				if st.ID == id {
					return st
				}
			}
			t.Fatalf("ip sla %d: no statistics", id)
			return sla.Stats{}
		}
		before := stats(102)
		if before.Runs < 3 || before.Failures < 3 {
			t.Fatalf("before restart: %d runs, %d failures; want at least 3 each", before.Runs, before.Failures)
		}
		other := stats(101).Runs
		at := time.Now()
		if out := d.execute("ip sla rest 102"); out != "" {
			t.Fatalf("ip sla restart 102: %q", out)
		}
		if st := stats(102); st.Runs != 0 || st.Failures != 0 {
			t.Errorf("right after restart: %d runs, %d failures; want cleared", st.Runs, st.Failures)
		}
		time.Sleep(600 * time.Millisecond) // the restarted run times out at +500 ms
		synctest.Wait()
		after := stats(102)
		if after.Runs != 1 || after.Failures != 1 || !after.Reset.Equal(at) || after.State != sla.StateActive {
			t.Errorf("after restart: %d runs, %d failures, reset %v (want 1, 1, %v), state %v",
				after.Runs, after.Failures, after.Reset, at, after.State)
		}
		if got := stats(101).Runs; got < other {
			t.Errorf("restart of 102 touched 101: %d runs, had %d", got, other)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := stats(102).Runs; got != 3 {
			t.Errorf("2.6 s after restart: %d runs, want 3 (runs at +0, +1, +2 s)", got)
		}
		for _, line := range []string{"ip sla restart 103", "ip sla restart 7"} {
			if out := d.execute(line); !strings.HasPrefix(out, "% IP SLA entry") || !strings.Contains(out, "is not active") {
				t.Errorf("%s: %q", line, out)
			}
		}
		if out := d.execute("ip sla restart 7 | json"); !strings.HasPrefix(out, `{"error"`) {
			t.Errorf("json error: %q", out)
		}
	})
}
