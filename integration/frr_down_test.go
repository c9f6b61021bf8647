package integration

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// inNetns runs f on a thread that has joined namespace ns; sockets f
// creates belong to ns for their whole life, whichever goroutine uses them
// later. The thread is never given back to the runtime: it ends with f's
// goroutine, so nothing else ever runs in ns.
func inNetns(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		h, err := os.Open(filepath.Join("/run/netns", ns))
		if err != nil {
			errc <- err
			return
		}
		defer h.Close()
		if err := unix.Setns(int(h.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("joining %s: %w", ns, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// scrapeMetrics fetches http://addr/metrics inside namespace ns (ipslad's
// --metrics-listen on the namespace's loopback) and returns the samples by
// series, e.g. `ipslad_route_backend_up{backend="frr"}`.
func scrapeMetrics(ns, addr string) (map[string]float64, error) {
	var c net.Conn
	if err := inNetns(ns, func() (err error) {
		c, err = net.DialTimeout("tcp", addr, 5*time.Second)
		return err
	}); err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET /metrics HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

// TestFRRBackendWithoutFRR starts the real ipslad with the FRR backend
// while no FRR daemon runs in its namespace (real nsd answering): ipslad
// keeps running and probing, logs the outage once as an error, exports it
// (ipslad_route_backend_up 0, a failures counter), shows it in
// `show ip route track-table`, and retries with backoff. Then zebra and
// staticd start in that namespace: at the next retry the tracked route is
// programmed, zebra has it as a static (vtysh -N ... show ip route json)
// and installs it in the kernel, the metric is 1 and the recovery is
// logged once.
func TestFRRBackendWithoutFRR(t *testing.T) {
	requireLab(t)
	requireBinaries(t, frrDir+"/staticd")
	buildIpslad(t) // first: fail fast
	l := newLab(t)
	r, d := l.netns("r", true), l.netns("d", false)
	l.link(r, routerToDNS+"/24", d, dnsUnicast+"/24")
	startNSD(t, d, "", []string{dnsUnicast}, seedZone(d))
	if _, err := os.Stat(filepath.Join("/var/run/frr", r)); err == nil {
		t.Fatalf("FRR pathspace %s exists before the test started FRR", r)
	}

	dir := t.TempDir()
	cfg := filepath.Join(dir, "ipslad.cfg")
	text := "ipslad route backend frr pathspace " + r + "\n" +
		strings.Replace(seedIpsladConfig, "10.0.0.10 track 101", "10.0.0.10 tag 64001 track 101", 1)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "ipslad.sock")
	const metricsAddr = "127.0.0.1:9119" // r's own loopback
	p := startIpslad(t, r, cfg, "--socket", sock, "--metrics-listen", metricsAddr)
	t0 := time.Now()

	const (
		upSeries       = `ipslad_route_backend_up{backend="frr"}`
		failuresSeries = `ipslad_route_backend_failures_total{backend="frr"}`
		downLine       = "route backend unreachable"
		upLine         = "route backend reachable again"
	)
	if !p.WaitOutput(downLine, 10*time.Second) {
		t.Fatalf("no error logged with FRR not running:\n%s", p.Output())
	}
	metric := func(series string) float64 {
		t.Helper()
		m, err := scrapeMetrics(r, metricsAddr)
		if err != nil {
			t.Fatalf("scraping metrics: %v", err)
		}
		v, ok := m[series]
		if !ok {
			t.Fatalf("metrics lack %s", series)
		}
		return v
	}
	// Let a few retries fail (1 s, then 2 s later): one log line for all.
	if _, ok := waitFor(t, 10*time.Second, 100*time.Millisecond, func() bool { return metric(failuresSeries) >= 3 }); !ok {
		t.Fatalf("%s = %v after %v, want >= 3 (start and two retries)", failuresSeries, metric(failuresSeries), time.Since(t0))
	}
	if v := metric(upSeries); v != 0 {
		t.Errorf("%s = %v with FRR not running, want 0", upSeries, v)
	}
	if n := strings.Count(p.Output(), downLine); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, p.Output())
	}
	if out := p.Output(); !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "failed to connect to any daemons") {
		t.Errorf("the error line does not say what failed:\n%s", out)
	}
	show := control(t, sock, "show ip route track-table")
	if !strings.Contains(show, "state is [up]") || !strings.Contains(show, "Route backend frr is DOWN for") ||
		!strings.Contains(show, "failed to connect to any daemons") {
		t.Errorf("show ip route track-table with FRR down:\n%s", show)
	}
	failures := metric(failuresSeries)
	t.Logf("FRR not running: %v failed attempts in %v; show ip route track-table:\n%s",
		failures, time.Since(t0).Round(time.Millisecond), show)
	if p.Exited() {
		t.Fatalf("ipslad exited with FRR not running:\n%s", p.Output())
	}

	// FRR starts (zebra, then staticd): the next retry programs the route.
	t1 := time.Now()
	startFRR(t, r, "frr defaults traditional\nhostname r\n", "staticd")
	frrUp := time.Since(t1)
	static := func() bool {
		for _, e := range ribRoutes(r, anycastPrefix) {
			if e.Protocol == "static" && e.Selected && e.Installed {
				return true
			}
		}
		return false
	}
	if _, ok := waitFor(t, 40*time.Second, 50*time.Millisecond, static); !ok {
		t.Fatalf("route not programmed after FRR started:\n%s\n%s", p.Output(), vtysh(t, r, "show running-config"))
	}
	inRIB := time.Since(t1)
	if !strings.Contains(vtysh(t, r, "show running-config"), "ip route "+anycastPrefix+" "+dnsUnicast+" tag 64001") {
		t.Error("staticd has not ipslad's tagged static")
	}
	if _, ok := waitFor(t, 10*time.Second, 20*time.Millisecond, func() bool {
		kr, ok := kernelRoute(r, anycastPrefix)
		return ok && kr.Gateway == dnsUnicast
	}); !ok {
		t.Errorf("zebra did not install %s via %s in the kernel:\n%s", anycastPrefix, dnsUnicast, ip(t, r, "route"))
	}
	if v := metric(upSeries); v != 1 {
		t.Errorf("%s = %v with FRR back, want 1", upSeries, v)
	}
	if !p.WaitOutput(upLine, 5*time.Second) || strings.Count(p.Output(), upLine) != 1 {
		t.Errorf("recovery not logged once:\n%s", p.Output())
	}
	if show := control(t, sock, "show ip route track-table"); !strings.Contains(show, "Route backend frr is up\n") {
		t.Errorf("show ip route track-table with FRR back:\n%s", show)
	}
	if n := strings.Count(p.Output(), downLine); n != 1 {
		t.Errorf("outage logged %d times, want once:\n%s", n, p.Output())
	}
	t.Logf("FRR started in %v; route a static in zebra %v after FRR was started (%v failed attempts before)",
		frrUp.Round(time.Millisecond), inRIB.Round(time.Millisecond), metric(failuresSeries))
	fmt.Printf("FRR-DOWN: %v failed attempts, one error line; FRR started -> static in zebra in %v (FRR's own start %v)\n",
		metric(failuresSeries), inRIB.Round(time.Millisecond), frrUp.Round(time.Millisecond))

	// A clean stop withdraws the static from the FRR that is now there.
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(20 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM:\n%s", code, p.Output())
	}
	if static() {
		t.Error("static left in FRR after SIGTERM")
	}
}
