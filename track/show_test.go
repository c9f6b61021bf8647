package track

import (
	"bytes"
	"flag"
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
	WriteTrack(&b, objs, map[int]bool{1: true, 101: true}, now)
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
