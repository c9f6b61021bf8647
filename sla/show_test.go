package sla

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
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

var showNow = time.Date(2026, 8, 22, 5, 22, 30, 0, time.UTC)

func showStats() []Stats {
	start := time.Date(2026, 8, 22, 5, 22, 1, 0, time.UTC)
	return []Stats{
		{ID: 1, Type: "dns", Target: "10.0.0.10", State: StateActive, Runs: 2, Successes: 1, Failures: 1,
			Latest: Result{ID: 1, Code: CodeOK, RTT: 34 * time.Millisecond, Start: start}},
		{ID: 2, Type: "dns", Target: "10.0.1.10", State: StateActive, Runs: 5, Failures: 5,
			Latest:     Result{ID: 2, Code: CodeDNSQueryError, Start: start.Add(-5 * time.Second)},
			HasLifeEnd: true, LifeEnd: showNow.Add(3000 * time.Second)},
		{ID: 3, Type: "dns", Target: "10.0.2.10", State: StateActive, Runs: 1, Failures: 1,
			Latest: Result{ID: 3, Code: CodeTimeout, Start: start}},
		{ID: 4, Type: "dns", Target: "2001:db8::53", State: StatePending},
	}
}

func TestShowGolden(t *testing.T) {
	var b bytes.Buffer
	WriteStatistics(&b, showStats(), false, showNow)
	golden(t, "statistics.golden", b.Bytes())
	b.Reset()
	WriteStatistics(&b, showStats(), true, showNow)
	golden(t, "statistics-details.golden", b.Bytes())
	b.Reset()
	WriteSummary(&b, showStats(), showNow)
	golden(t, "summary.golden", b.Bytes())
}
