package sla

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"
)

var aggT0 = time.Date(2026, 11, 26, 9, 28, 16, 0, time.UTC)

func aggRun(at time.Duration, code ReturnCode, rtt time.Duration) Result {
	return Result{ID: 1, Code: code, RTT: rtt, Start: aggT0.Add(at)}
}

// TestAggregateBuckets: completions land in interval-wide buckets, the last
// one open-ended; failures are counted by code; sums and extremes per
// bucket are those of the MIB (whole ms, rounded up).
func TestAggregateBuckets(t *testing.T) {
	h := History{DistKept: 3, DistInterval: 10}
	var st Stats
	for _, r := range []Result{
		aggRun(0, CodeOK, 5*time.Millisecond),
		aggRun(time.Second, CodeOK, 300*time.Microsecond), // 1 ms, as show ip sla statistics
		aggRun(2*time.Second, CodeOK, 15*time.Millisecond),
		aggRun(3*time.Second, CodeOverThreshold, 25*time.Millisecond),
		aggRun(4*time.Second, CodeOverThreshold, 500*time.Millisecond), // beyond the last bucket's start: in it
		aggRun(5*time.Second, CodeTimeout, 0),
		aggRun(6*time.Second, CodeDNSQueryError, 0),
		aggRun(7*time.Second, CodeDNSQueryError, 0),
	} {
		st.record(r, 0, h)
	}
	st.busy(aggT0.Add(8*time.Second), h)
	hours := st.Aggregated()
	if len(hours) != 1 {
		t.Fatalf("%d hours, want 1", len(hours))
	}
	g := hours[0]
	want := []AggBucket{
		{Completions: 2, SumMS: 6, Sum2MS: 26, MinMS: 1, MaxMS: 5},
		{Completions: 1, SumMS: 15, Sum2MS: 225, MinMS: 15, MaxMS: 15},
		{Completions: 2, OverThresholds: 2, SumMS: 525, Sum2MS: 625 + 250000, MinMS: 25, MaxMS: 500},
	}
	if !g.Start.Equal(aggT0) || g.IntervalMS != 10 || len(g.Buckets) != 3 {
		t.Fatalf("hour %+v", g)
	}
	for i, w := range want {
		if g.Buckets[i] != w {
			t.Errorf("bucket %d = %+v, want %+v", i, g.Buckets[i], w)
		}
	}
	if g.Failures[CodeTimeout] != 1 || g.Failures[CodeDNSQueryError] != 2 || g.Failures[CodeBusy] != 1 || g.Failed() != 3 {
		t.Errorf("failures %v (failed %d), want 1 timeout, 2 dns query errors, 1 busy; 3 failed", g.Failures, g.Failed())
	}
	if tot := g.Total(); tot.Completions != 5 || tot.OverThresholds != 2 || tot.MinMS != 1 || tot.MaxMS != 500 || tot.SumMS != 546 {
		t.Errorf("total %+v", tot)
	}
	for i, w := range []struct {
		lo, hi int64
		open   bool
	}{{0, 9, false}, {10, 19, false}, {20, 0, true}} {
		if lo, hi, open := g.BucketRange(i); lo != w.lo || hi != w.hi || open != w.open {
			t.Errorf("BucketRange(%d) = %d %d %v, want %+v", i, lo, hi, open, w)
		}
	}
	// The copy is a copy.
	hours[0].Buckets[0].Completions = 99
	if st.Aggregated()[0].Buckets[0].Completions != 2 {
		t.Error("Aggregated shares its buckets with the operation")
	}
}

// TestAggregateHours: a new group starts each hour (on the first group's
// hourly grid, skipping idle hours), only hours-of-statistics-kept of them
// are kept, and 0 keeps none.
func TestAggregateHours(t *testing.T) {
	var st Stats
	h := History{} // IOS defaults: 2 hours, 1 bucket of 20 ms (open-ended)
	for _, at := range []time.Duration{0, 59 * time.Minute, 61 * time.Minute, 3*time.Hour + 30*time.Minute, 3*time.Hour + 59*time.Minute} {
		st.record(aggRun(at, CodeOK, 40*time.Millisecond), 0, h)
	}
	hours := st.Aggregated()
	if len(hours) != 2 {
		t.Fatalf("%d hours, want 2", len(hours))
	}
	if !hours[0].Start.Equal(aggT0.Add(time.Hour)) || !hours[1].Start.Equal(aggT0.Add(3*time.Hour)) {
		t.Errorf("hours start at %v and %v, want +1h and +3h", hours[0].Start, hours[1].Start)
	}
	if hours[0].Total().Completions != 1 || hours[1].Total().Completions != 2 {
		t.Errorf("completions %d and %d, want 1 and 2", hours[0].Total().Completions, hours[1].Total().Completions)
	}
	if len(hours[1].Buckets) != 1 || hours[1].Buckets[0].MaxMS != 40 {
		t.Errorf("default: one bucket holding everything, got %+v", hours[1].Buckets)
	}

	var off Stats
	off.record(aggRun(0, CodeOK, time.Millisecond), 0, History{HoursKept: HoursKeptOff})
	off.busy(aggT0, History{HoursKept: HoursKeptOff})
	if got := off.Aggregated(); got != nil || off.Runs != 1 || off.Busies != 1 {
		t.Errorf("hours-of-statistics-kept 0: %v, runs %d, busies %d", got, off.Runs, off.Busies)
	}
}

func aggStats() []Stats {
	h := History{DistKept: 3, DistInterval: 10}
	one := Stats{ID: 1, Type: "dns"}
	for i, r := range []Result{
		aggRun(0, CodeOK, 5*time.Millisecond),
		aggRun(time.Second, CodeOK, 15*time.Millisecond),
		aggRun(2*time.Second, CodeOverThreshold, 200*time.Millisecond),
		aggRun(3*time.Second, CodeTimeout, 0),
		aggRun(time.Hour+time.Second, CodeOK, 3*time.Millisecond),
		aggRun(time.Hour+2*time.Second, CodeDNSQueryError, 0),
	} {
		one.record(r, 0, h)
		if i == 3 {
			one.busy(r.Start, h)
		}
	}
	two := Stats{ID: 2, Type: "icmp-echo"}
	two.record(aggRun(0, CodeOK, 2*time.Millisecond), 0, History{})
	none := Stats{ID: 3, Type: "dns"} // never ran: no hours
	return []Stats{one, two, none}
}

func TestWriteAggregated(t *testing.T) {
	var b bytes.Buffer
	WriteAggregated(&b, aggStats(), false)
	golden(t, "aggregated.golden", b.Bytes())
	b.Reset()
	WriteAggregated(&b, aggStats(), true)
	golden(t, "aggregated-details.golden", b.Bytes())
	js, err := json.MarshalIndent(AggregatedViews(aggStats()), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "aggregated.json.golden", append(js, '\n'))
}

// TestSchedulerAggregated runs an operation for 2½ hours of (fake) time
// while readers take snapshots and read their aggregated statistics, as
// ipslactl does (go test -race checks that nothing is shared unlocked).
func TestSchedulerAggregated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		results := make(chan Result, 16)
		outs := []Outcome{{Code: CodeOK, RTT: 3 * time.Millisecond}, {Code: CodeOK, RTT: 30 * time.Millisecond}, {Code: CodeTimeout}}
		var n int
		s := NewScheduler(results, func(Operation) (Probe, error) {
			return func(context.Context) Outcome {
				n++ // one run at a time
				return outs[n%len(outs)]
			}, nil
		}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		op := testOp(1)
		op.Frequency = time.Minute
		op.History = History{HoursKept: 3, DistKept: 2, DistInterval: 10}
		s.Set([]Operation{op})
		go s.Run(ctx)
		go func() {
			for {
				select {
				case <-results:
				case <-ctx.Done():
					return
				}
			}
		}()
		var wg sync.WaitGroup
		wg.Go(func() {
			for range 150 {
				time.Sleep(time.Minute)
				for _, st := range s.Snapshot() {
					for _, h := range st.Aggregated() {
						_ = h.Total()
					}
				}
			}
		})
		time.Sleep(150*time.Minute + 30*time.Second)
		synctest.Wait()
		wg.Wait()
		st := s.Snapshot()[0]
		hours := st.Aggregated()
		if len(hours) != 3 {
			t.Fatalf("%d hours, want 3", len(hours))
		}
		var runs, ok, timeouts int
		for i, h := range hours {
			if want := hours[0].Start.Add(time.Duration(i) * time.Hour); !h.Start.Equal(want) {
				t.Errorf("hour %d starts %v, want %v", i, h.Start, want)
			}
			ok += h.Total().Completions
			timeouts += h.Failures[CodeTimeout]
			runs += h.Total().Completions + h.Failed()
		}
		if runs != st.Runs || timeouts != st.Failures || ok != st.Successes {
			t.Errorf("hours hold %d runs (%d ok, %d timeouts), the operation %d (%d, %d)", runs, ok, timeouts, st.Runs, st.Successes, st.Failures)
		}
		if hours[0].Total().Completions+hours[0].Failed() != 60 || hours[2].Total().Completions+hours[2].Failed() != 31 {
			t.Errorf("runs per hour: %d, %d, %d; want 60, 60, 31", hours[0].Total().Completions+hours[0].Failed(),
				hours[1].Total().Completions+hours[1].Failed(), hours[2].Total().Completions+hours[2].Failed())
		}
		if b := hours[1].Buckets; b[0].MaxMS != 3 || b[1].MinMS != 30 {
			t.Errorf("buckets of hour 2: %+v, want 3 ms runs in the first and 30 ms ones in the second", b)
		}
		// clear ip sla counters clears them too.
		s.ClearCounters()
		if got := s.Snapshot()[0].Aggregated(); got != nil {
			t.Errorf("after clear: %d hours", len(got))
		}
	})
}

// TestConfigurationShowsStatisticsSettings: show ip sla configuration
// prints the distribution and history settings in force.
func TestConfigurationShowsStatisticsSettings(t *testing.T) {
	op := testOp(7)
	op.History = History{LivesKept: 1, BucketsKept: 30, Filter: HistoryOverThreshold, HoursKept: HoursKeptOff, DistKept: 5, DistInterval: 10}
	var b bytes.Buffer
	WriteConfiguration(&b, []Operation{op}, nil)
	for _, line := range []string{
		"   Number of statistic hours kept: 0\n",
		"   Number of statistic distribution buckets kept: 5\n",
		"   Statistic distribution interval (milliseconds): 10\n",
		"   Number of history Lives kept: 1\n",
		"   Number of history Buckets kept: 30\n",
		"   History Filter Type: OverThreshold\n",
	} {
		if !bytes.Contains(b.Bytes(), []byte(line)) {
			t.Errorf("missing %q in:\n%s", line, b.String())
		}
	}
	b.Reset()
	WriteConfiguration(&b, []Operation{testOp(8)}, nil)
	if !bytes.Contains(b.Bytes(), []byte("   Number of statistic hours kept: 2\n   Number of statistic distribution buckets kept: 1\n   Statistic distribution interval (milliseconds): 20\n")) {
		t.Errorf("defaults:\n%s", b.String())
	}
}

func TestWriteGroupSchedule(t *testing.T) {
	var ops []Operation
	for _, id := range []int{1, 2, 3, 5} {
		op := testOp(id)
		op.Schedule = Schedule{Scheduled: true, Start: StartNow, Group: 1, GroupPeriod: 20 * time.Second, GroupFrequency: 10 * time.Second}
		ops = append(ops, op)
	}
	for _, id := range []int{6, 7} {
		op := testOp(id)
		op.Schedule = Schedule{Scheduled: true, Start: StartNow, Group: 2, GroupPeriod: 50 * time.Second,
			GroupFrequency: 80 * time.Second, GroupFrequencyMax: 100 * time.Second}
		ops = append(ops, op)
	}
	ops = append(ops, testOp(9)) // not in a group
	var b bytes.Buffer
	WriteGroupSchedule(&b, Groups(ops))
	golden(t, "group-schedule.golden", b.Bytes())
}

// BenchmarkStatsRecord is the cost the hourly statistics add to every run
// (go test ./sla -run '^$' -bench StatsRecord): "off" is history
// hours-of-statistics-kept 0, "default" IOS's 2 hours of one bucket,
// "20 buckets" the most distributions IOS keeps. bytes/op-kept is the
// memory an operation's statistics hold once its hours are full.
func BenchmarkStatsRecord(b *testing.B) {
	for _, tc := range []struct {
		name string
		h    History
	}{
		{"off", History{HoursKept: HoursKeptOff}},
		{"default", History{}},
		{"20 buckets", History{DistKept: 20, DistInterval: 5}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var st Stats
			r := aggRun(0, CodeOK, 7*time.Millisecond)
			for i := 0; b.Loop(); i++ {
				r.Start = aggT0.Add(time.Duration(i) * time.Second)
				r.RTT = time.Duration(i%50) * time.Millisecond
				st.record(r, 0, tc.h)
			}
			kept := 0
			for _, h := range st.Aggregated() {
				kept += int(unsafe.Sizeof(h)) + len(h.Buckets)*int(unsafe.Sizeof(AggBucket{}))
			}
			b.ReportMetric(float64(kept), "bytes/op-kept")
		})
	}
}

// TestElementTraps: the trap events are counted per reaction element too,
// and those counts add up to the operation's Traps; a reaction without a
// trap action counts none.
func TestElementTraps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		results := make(chan Result, 64)
		outs := []Outcome{{Code: CodeOK, RTT: 20 * time.Millisecond}, {Code: CodeTimeout}, {Code: CodeOK, RTT: time.Millisecond}}
		var n int
		s := NewScheduler(results, func(Operation) (Probe, error) {
			return func(context.Context) Outcome {
				o := outs[n%len(outs)]
				n++
				return o
			}, nil
		}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		op := testOp(1)
		op.Threshold = 500 * time.Millisecond
		rtt := NewReaction(ReactRTT)
		rtt.Type, rtt.Upper, rtt.Lower, rtt.Action = ThresholdImmediate, 10*time.Millisecond, 5*time.Millisecond, ActionTrapAndTrigger
		timeout := NewReaction(ReactTimeout)
		timeout.Type, timeout.Action = ThresholdImmediate, ActionTrapOnly
		verify := NewReaction(ReactVerifyError) // no trap action
		verify.Type, verify.Action = ThresholdImmediate, ActionTriggerOnly
		op.Reactions = []Reaction{rtt, timeout, verify}
		s.Set([]Operation{op})
		go s.Run(ctx)
		collect(results, 6) // 20 ms, timeout, 1 ms, 20 ms, timeout, 1 ms
		st := s.Snapshot()[0]
		// rtt: occurred (20 ms), cleared (1 ms), twice: 4. timeout:
		// occurred, cleared (on the 1 ms run), twice: 4.
		want := [numReactElements]int{ReactRTT: 4, ReactTimeout: 4}
		if st.ElementTraps != want || st.Traps != 8 {
			t.Errorf("element traps %v (traps %d), want %v (8)", st.ElementTraps, st.Traps, want)
		}
	})
}

// TestConfigurationGroupScheduled: a group-scheduled entry shows its
// group's frequency and Group Scheduled TRUE; a frequency range shows
// Randomly Scheduled TRUE.
func TestConfigurationGroupScheduled(t *testing.T) {
	fixed, random := testOp(1), testOp(2)
	fixed.Schedule = Schedule{Scheduled: true, Start: StartNow, Group: 1, GroupPeriod: 20 * time.Second, GroupFrequency: 30 * time.Second}
	random.Schedule = Schedule{Scheduled: true, Start: StartNow, Group: 2, GroupPeriod: 50 * time.Second,
		GroupFrequency: 80 * time.Second, GroupFrequencyMax: 100 * time.Second}
	for _, tc := range []struct {
		op    Operation
		lines []string
	}{
		{fixed, []string{"Operation frequency (seconds): 30  (not", "Group Scheduled : TRUE\n", "Randomly Scheduled : FALSE\n"}},
		{random, []string{"Operation frequency (seconds): 80  (not", "Group Scheduled : TRUE\n", "Randomly Scheduled : TRUE\n"}},
		{testOp(3), []string{"Operation frequency (seconds): 1  (not", "Group Scheduled : FALSE\n", "Randomly Scheduled : FALSE\n"}},
	} {
		var b bytes.Buffer
		WriteConfiguration(&b, []Operation{tc.op}, nil)
		for _, line := range tc.lines {
			if !bytes.Contains(b.Bytes(), []byte(line)) {
				t.Errorf("ip sla %d: missing %q in:\n%s", tc.op.ID, line, b.String())
			}
		}
	}
}
