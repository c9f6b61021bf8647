package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	ctlOnce sync.Once
	ctlBin  string
	ctlErr  error
	ctlOut  string
)

// buildIpslactl builds cmd/ipslactl next to the ipslad binary.
func buildIpslactl(t testing.TB) string {
	t.Helper()
	bin := buildIpslad(t)
	ctlOnce.Do(func() {
		ctlBin = filepath.Join(filepath.Dir(bin), "ipslactl")
		ctlOut, ctlErr = run(5*time.Minute, goTool(), "build", "-o", ctlBin, "github.com/ipslad/ipslad/cmd/ipslactl")
	})
	if ctlErr != nil {
		t.Fatalf("building ipslactl: %v\n%s", ctlErr, ctlOut)
	}
	return ctlBin
}

// reloadConfig has two sites: the anycast route via 10.0.0.10 (track 101)
// and a second route via 10.0.0.11 (track 102). %s is the distance of the
// second route, which the reload changes.
const reloadConfig = `ip sla 101
 dns anycast.example.com name-server 10.0.0.10
 frequency 1
 timeout 500
 threshold 500
ip sla schedule 101 life forever start-time now
ip sla 102
 dns anycast.example.com name-server 10.0.0.11
 frequency 1
 timeout 500
 threshold 500
ip sla schedule 102 life forever start-time now
track 101 ip sla 101
track 102 ip sla 102
ip route 192.0.2.53 255.255.255.255 10.0.0.10 track 101
ip route 198.51.100.53 255.255.255.255 10.0.0.11 %s track 102
`

// TestReloadWithoutFlap runs the real ipslad and ipslactl against nsd and
// the kernel in a namespace, watching the routing table with
// `ip monitor route`: a reload that changes one route and adds an
// operation leaves the untouched route alone (no netlink event for it) and
// keeps the unchanged operation's statistics and object state; a broken
// file is refused with its errors and the old configuration keeps running.
func TestReloadWithoutFlap(t *testing.T) {
	requireLab(t)
	ctl := buildIpslactl(t)
	l := newLab(t)
	r, d := l.netns("r", true), l.netns("d", false)
	_, ifD := l.link(r, routerToDNS+"/24", d, dnsUnicast+"/24")
	ip(t, d, "addr", "add", "10.0.0.11/24", "dev", ifD)
	startNSD(t, d, "", []string{dnsUnicast, "10.0.0.11"}, seedZone(d))

	dir := t.TempDir()
	cfg := filepath.Join(dir, "ipslad.cfg")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf(reloadConfig, ""))
	sock := filepath.Join(dir, "ipslad.sock")
	p := startIpslad(t, r, cfg, "--socket", sock, "--metrics-listen", "127.0.0.1:9119")
	installed := func(prefix, metric string) bool {
		out, err := run(10*time.Second, "ip", "-n", r, "route", "show", prefix, "proto", "200")
		return err == nil && strings.Contains(out, "metric "+metric)
	}
	if _, ok := waitFor(t, 30*time.Second, 20*time.Millisecond, func() bool {
		return installed("192.0.2.53", "1") && installed("198.51.100.53", "1")
	}); !ok {
		t.Fatalf("routes not installed:\n%s", mustRun(t, "ip", "-n", r, "route"))
	}
	ipslactl := func(args ...string) (string, error) {
		out, err := exec.Command(ctl, append([]string{"-s", sock}, args...)...).CombinedOutput()
		return string(out), err
	}
	type status struct {
		ID        int `json:"id"`
		Successes int `json:"successes"`
		Changes   int `json:"changes"`
	}
	get := func(args ...string) map[int]status {
		t.Helper()
		out, err := ipslactl(append([]string{"--json"}, args...)...)
		if err != nil {
			t.Fatalf("ipslactl --json %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		var ss []status
		if err := json.Unmarshal([]byte(out), &ss); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		m := map[int]status{}
		for _, s := range ss {
			m[s.ID] = s
		}
		return m
	}
	time.Sleep(1500 * time.Millisecond) // a run or two more
	statsBefore, tracksBefore := get("sh", "ip", "sla", "stat"), get("show", "track")

	mon := exec.Command("ip", "-n", r, "monitor", "route")
	var events syncBuffer
	mon.Stdout = &events
	if err := mon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mon.Process.Kill(); mon.Wait() })
	time.Sleep(200 * time.Millisecond) // let the monitor subscribe

	// 1. A good reload: route 2 moves to distance 7, a new operation and
	// object appear. Route 1, operation 101 and track 101 are unchanged.
	write(fmt.Sprintf(reloadConfig, "7") + `ip sla 103
 dns anycast.example.com name-server 10.0.0.10
 frequency 5
ip sla schedule 103 life forever start-time now
track 103 ip sla 103
`)
	if out, err := ipslactl("reload"); err != nil || out != "Configuration reloaded.\n" {
		t.Fatalf("ipslactl reload: %v\n%s", err, out)
	}
	if _, ok := waitFor(t, 10*time.Second, 20*time.Millisecond, func() bool { return installed("198.51.100.53", "7") }); !ok {
		t.Fatalf("changed route not moved to distance 7:\n%s", mustRun(t, "ip", "-n", r, "route"))
	}
	time.Sleep(1500 * time.Millisecond) // more runs of the kept operation
	ev := events.String()
	if !strings.Contains(ev, "198.51.100.53") {
		t.Errorf("no netlink event for the changed route: is the monitor working?\n%s", ev)
	}
	if strings.Contains(ev, "192.0.2.53") {
		t.Errorf("reload touched the unchanged route; route events:\n%s", ev)
	}
	if !installed("192.0.2.53", "1") {
		t.Error("unchanged route gone after reload")
	}
	statsAfter, tracksAfter := get("show", "ip", "sla", "statistics"), get("show", "track")
	if a, b := statsAfter[101].Successes, statsBefore[101].Successes; a <= b {
		t.Errorf("ip sla 101: %d successes after reload, %d before: statistics reset or stopped", a, b)
	}
	if a, b := tracksAfter[101].Changes, tracksBefore[101].Changes; a != b {
		t.Errorf("track 101: %d changes after reload, %d before", a, b)
	}
	if _, ok := statsAfter[103]; !ok {
		t.Error("new ip sla 103 not running after reload")
	}

	for _, cmd := range [][]string{{"show", "ip", "sla", "statistics"}, {"show", "track", "brief"},
		{"show", "ip", "sla", "summary"}, {"show", "ip", "route", "track-table"}, {"show", "ip", "static", "route"}} {
		out, _ := ipslactl(cmd...)
		t.Logf("ipslactl %s\n%s", strings.Join(cmd, " "), out)
	}

	// 2. A broken file is refused, with FILE:LINE:COL, and changes nothing.
	running, _ := ipslactl("show", "running-config")
	write(fmt.Sprintf(reloadConfig, "7") + "ip sla 104\n dns x name-server 10.0.0.300\n")
	out, err := ipslactl("reload")
	t.Logf("ipslactl reload of a broken file:\n%s", out)
	if err == nil || !strings.HasPrefix(out, "% Reload refused") || !strings.Contains(out, cfg+":18:") {
		t.Errorf("reload of a broken file: err %v, output:\n%s", err, out)
	}
	if now, _ := ipslactl("show", "running-config"); now != running {
		t.Errorf("running-config changed by a refused reload:\nbefore:\n%s\nafter:\n%s", running, now)
	}
	if !p.WaitOutput("reload refused", 5*time.Second) {
		t.Errorf("refused reload not logged:\n%s", p.Output())
	}
	time.Sleep(1200 * time.Millisecond)
	if s := get("show", "ip", "sla", "statistics"); s[101].Successes <= statsAfter[101].Successes {
		t.Errorf("ip sla 101 stopped after a refused reload: %d successes, %d before", s[101].Successes, statsAfter[101].Successes)
	}
	if !installed("192.0.2.53", "1") || !installed("198.51.100.53", "7") {
		t.Errorf("routes changed after a refused reload:\n%s", mustRun(t, "ip", "-n", r, "route"))
	}
	if strings.Contains(events.String(), "192.0.2.53") {
		t.Errorf("the unchanged route was touched; route events:\n%s", events.String())
	}

	// 3. The metrics tell the same story, with the routes read back from
	// the kernel.
	if _, err := exec.LookPath("curl"); err != nil {
		t.Log("curl not installed: metrics not scraped")
		return
	}
	metrics, err := run(10*time.Second, "ip", "netns", "exec", r, "curl", "-sf", "http://127.0.0.1:9119/metrics")
	if err != nil {
		t.Fatalf("scraping metrics: %v\n%s", err, metrics)
	}
	for _, want := range []string{
		"ipslad_config_last_reload_successful 0",
		`ipslad_config_reloads_total{result="error"} 1`,
		`ipslad_config_reloads_total{result="ok"} 1`,
		`ipslad_route_installed{metric="1",prefix="192.0.2.53/32"} 1`,
		`ipslad_route_installed{metric="7",prefix="198.51.100.53/32"} 1`,
		`ipslad_route_desired{metric="7",prefix="198.51.100.53/32"} 1`,
		`ipslad_track_up{track="101"} 1`,
		`ipslad_sla_latest_return_code{code="OK",sla="101"} 1`,
		`ipslad_sla_rtt_seconds_count{sla="101"}`,
		"ipslad_build_info{",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", metrics)
	}
}
