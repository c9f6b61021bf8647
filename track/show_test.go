package track

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipslad/ipslad/sla"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
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

func TestShowGolden(t *testing.T) {
	now := t0.Add(40 * time.Hour)
	objs := []Status{
		{Object: Object{ID: 1, SLA: 1, Mode: ModeReachability}, State: Up, Changes: 2, LastChange: now.Add(-time.Second),
			Latest: sla.Result{Code: sla.CodeOK, RTT: 34 * time.Millisecond}},
		{Object: Object{ID: 34, SLA: 34}, State: Up, Changes: 11, LastChange: now.Add(-40 * time.Hour),
			Latest: sla.Result{Code: sla.CodeOverThreshold, RTT: 16 * time.Millisecond}},
		{Object: Object{ID: 50, SLA: 400, DelayUp: 60 * time.Second, DelayDown: time.Second}, State: Down, Changes: 1,
			LastChange: now.Add(-23 * time.Second), Pending: true, PendingTo: Up, PendingAt: now.Add(37 * time.Second)},
		{Object: Object{ID: 101, SLA: 101, DelayDown: 2 * time.Second}, State: Down, Changes: 3, LastChange: now.Add(-15 * 24 * time.Hour),
			Latest: sla.Result{Code: sla.CodeTimeout}},
	}
	var b bytes.Buffer
	WriteTrack(&b, objs, objs, Clients{1: 1, 101: 2}, now)
	golden(t, "track.golden", b.Bytes())
	b.Reset()
	WriteBrief(&b, objs, now)
	golden(t, "brief.golden", b.Bytes())
}

func TestUptime(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                          "00:00:00",
		23 * time.Second:           "00:00:23",
		25*time.Hour - time.Second: "1d0h",
		40 * time.Hour:             "1d16h",
		15 * 24 * time.Hour:        "2w1d",
		-time.Second:               "00:00:00",
	} {
		if got := Uptime(d); got != want {
			t.Errorf("Uptime(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestShowAllTypesGolden(t *testing.T) {
	now := t0.Add(time.Hour)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	p := netip.MustParsePrefix
	objs := []Status{
		{Object: Object{ID: 1, SLA: 1}, State: Up, Changes: 2, LastChange: ago(time.Minute),
			Latest: sla.Result{Code: sla.CodeOK, RTT: 3 * time.Millisecond}},
		{Object: Object{ID: 2, SLA: 2, HysteresisUp: 3, HysteresisDown: 2}, State: Down, Changes: 1, LastChange: ago(time.Hour),
			Latest: sla.Result{Code: sla.CodeOK, RTT: 4 * time.Millisecond}, Streak: 1, Verdict: Up},
		{Object: Object{ID: 3, SLA: 3, Dampening: Dampening{Enabled: true}}, State: Down, Changes: 7, LastChange: ago(2 * time.Second),
			Latest: sla.Result{Code: sla.CodeOK, RTT: 4 * time.Millisecond}, Penalty: 2371, Suppressed: true},
		{Object: Object{ID: 10, Type: TypeInterface, Interface: "eth0", Mode: ModeLineProtocol, DelayDown: 2 * time.Second},
			State: Up, Changes: 3, LastChange: ago(5 * time.Second), Link: LinkState{Name: "eth0", Exists: true, Up: true}},
		{Object: Object{ID: 11, Type: TypeInterface, Interface: "eth1", Mode: ModeIPRouting},
			State: Down, Changes: 1, LastChange: ago(time.Hour), Link: LinkState{Name: "eth1", Exists: true, Up: true}},
		{Object: Object{ID: 12, Type: TypeInterface, Interface: "eth9", Mode: ModeLineProtocol},
			State: Down, Changes: 1, LastChange: ago(time.Hour)},
		{Object: Object{ID: 20, Type: TypeRoute, Mode: ModeReachability, Prefix: p("10.16.0.0/16")},
			State: Up, Changes: 2, LastChange: ago(time.Minute), Route: RouteState{Present: true, Protocol: "bgp", Metric: 20, Interface: "eth0"}},
		{Object: Object{ID: 21, Type: TypeRoute, Mode: ModeMetricThreshold, Prefix: p("10.17.0.0/16"), VRF: "red", MetricUp: 100, MetricDown: 200},
			State: Up, Changes: 2, LastChange: ago(time.Minute), Route: RouteState{Present: true, Protocol: "static", Metric: 50, Interface: "eth1"}},
		{Object: Object{ID: 22, Type: TypeRoute, Mode: ModeReachability, Prefix: p("2001:db8::/32")},
			State: Down, Changes: 1, LastChange: ago(time.Hour)},
		{Object: Object{ID: 30, Type: TypeList, List: ListAnd, Members: []Member{{ID: 1}, {ID: 10, Not: true}, {ID: 99}}, DelayUp: 10 * time.Second},
			State: Down, Changes: 1, LastChange: ago(time.Hour)},
		{Object: Object{ID: 31, Type: TypeList, List: ListWeight, Members: []Member{{ID: 1, Weight: 15}, {ID: 2}}, ThresholdUp: 15, ThresholdDown: 5},
			State: Up, Changes: 2, LastChange: ago(time.Minute)},
		{Object: Object{ID: 32, Type: TypeList, List: ListPercentage, Members: []Member{{ID: 1}, {ID: 2}}},
			State: Up, Changes: 2, LastChange: ago(time.Minute)},
		{Object: Object{ID: 42, Type: TypeStub, DefaultState: Up}, State: Up, Changes: 1, LastChange: ago(time.Hour)},
	}
	var b bytes.Buffer
	routes := Clients{20: 1, 30: 2, 42: 1}
	WriteTrack(&b, objs, objs, routes, now)
	golden(t, "track_types.golden", b.Bytes())
	b.Reset()
	WriteBrief(&b, objs, now)
	golden(t, "brief_types.golden", b.Bytes())
	b.Reset()
	WriteSummary(&b, objs, routes)
	golden(t, "summary_types.golden", b.Bytes())
}
