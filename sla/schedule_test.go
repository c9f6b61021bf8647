package sla

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

func TestFirstStart(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	now := time.Date(2026, 11, 26, 10, 30, 0, 0, loc)
	half := func(n time.Duration) time.Duration { return n / 2 }
	tests := []struct {
		name string
		s    Schedule
		want time.Time
	}{
		{"now", Schedule{Start: StartNow}, now},
		{"after 00:05:00", Schedule{Start: StartAfter, After: 5 * time.Minute}, now.Add(5 * time.Minute)},
		{"random 1000", Schedule{Start: StartRandom, Random: time.Second}, now.Add(500 * time.Millisecond)},
		{"11:00 today", Schedule{Start: StartAt, After: 11 * time.Hour}, time.Date(2026, 11, 26, 11, 0, 0, 0, loc)},
		{"10:00 tomorrow", Schedule{Start: StartAt, After: 10 * time.Hour}, time.Date(2026, 11, 27, 10, 0, 0, 0, loc)},
		{"10:00 Dec 24", Schedule{Start: StartAt, After: 10 * time.Hour, Month: time.December, Day: 24}, time.Date(2026, 12, 24, 10, 0, 0, 0, loc)},
		{"10:00 Jan 1, next year", Schedule{Start: StartAt, After: 10 * time.Hour, Month: time.January, Day: 1}, time.Date(2027, 1, 1, 10, 0, 0, 0, loc)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.FirstStart(now, half); !got.Equal(tc.want) {
				t.Errorf("FirstStart = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSchedulerRecurringAndAgeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		results := make(chan Result, 64)
		s := NewScheduler(results, scripted(Outcome{Code: CodeOK, RTT: time.Millisecond}), nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rec := testOp(1)
		rec.Schedule = Schedule{Scheduled: true, Life: 2 * time.Second, Start: StartNow, Recurring: true, Ageout: 0}
		aged := testOp(2)
		aged.Schedule = Schedule{Scheduled: true, Life: 2 * time.Second, Start: StartNow, Ageout: 10 * time.Second}
		pend := testOp(3)
		pend.Schedule = Schedule{Scheduled: true, Life: DefaultLife, Start: StartPending, Ageout: 5 * time.Second}
		s.Set([]Operation{rec, aged, pend})
		go s.Run(ctx)
		time.Sleep(3 * time.Second)
		synctest.Wait()
		snap := s.Snapshot()
		if len(snap) != 3 || snap[0].Runs != 2 || snap[0].State != StatePending || snap[1].State != StateInactive {
			t.Fatalf("after 3 s: %+v", snap)
		}
		time.Sleep(5 * time.Second) // 8 s: the pending entry aged out
		synctest.Wait()
		if snap := s.Snapshot(); len(snap) != 2 || snap[1].ID != 2 {
			t.Fatalf("after 8 s: %d entries, want 1 and 2", len(snap))
		}
		time.Sleep(5 * time.Second) // 13 s: the inactive one too (life end 2 s + 10 s)
		synctest.Wait()
		if snap := s.Snapshot(); len(snap) != 1 || snap[0].ID != 1 {
			t.Fatalf("after 13 s: %+v", snap)
		}
		time.Sleep(24 * time.Hour) // the recurring one ran again a day later
		synctest.Wait()
		if st := s.Snapshot()[0]; st.Runs != 4 {
			t.Errorf("recurring: %d runs after a day, want 4", st.Runs)
		}
	})
}

func TestSchedulerHistory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		results := make(chan Result, 64)
		script := scripted(
			Outcome{Code: CodeOK, RTT: time.Millisecond},
			Outcome{Code: CodeDNSQueryError},
			Outcome{Code: CodeOK, RTT: time.Millisecond},
			Outcome{Code: CodeTimeout},
			Outcome{Code: CodeNoConnection},
			Outcome{Code: CodeOK, RTT: time.Millisecond},
		)
		other := scripted(Outcome{Code: CodeTimeout})
		s := NewScheduler(results, func(op Operation) (Probe, error) {
			if op.ID == 1 {
				return script(op)
			}
			return other(op)
		}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		op := testOp(1)
		op.History = History{LivesKept: 1, BucketsKept: 2, Filter: HistoryFailures}
		off := testOp(2)
		off.History = History{LivesKept: 1} // filter none: nothing kept
		s.Set([]Operation{op, off})
		go s.Run(ctx)
		time.Sleep(5500 * time.Millisecond)
		synctest.Wait()
		snap := s.Snapshot()
		h := snap[0].History
		if len(h) != 2 || h[0].Code != CodeTimeout || h[1].Code != CodeNoConnection {
			t.Errorf("history %+v, want the last 2 failures (Timeout, No connection)", h)
		}
		if len(snap[1].History) != 0 {
			t.Errorf("filter none kept %d buckets", len(snap[1].History))
		}
	})
}

func TestSchedulerGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		results := make(chan Result, 64)
		s := NewScheduler(results, scripted(Outcome{Code: CodeOK, RTT: time.Millisecond}), nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		t0 := time.Now()
		var ops []Operation
		for i := range 4 {
			op := testOp(i + 1)
			op.Schedule = Schedule{Scheduled: true, Forever: true, Start: StartNow, Group: 1,
				GroupPeriod: 20 * time.Second, GroupFrequency: 10 * time.Second, GroupOffset: time.Duration(i) * 5 * time.Second}
			ops = append(ops, op)
		}
		s.Set(ops)
		go s.Run(ctx)
		starts := map[int][]time.Duration{}
		for _, r := range collect(results, 10) { // up to +25 s
			starts[r.ID] = append(starts[r.ID], r.Start.Sub(t0))
		}
		for i := range 4 {
			want := []time.Duration{time.Duration(i) * 5 * time.Second, time.Duration(i)*5*time.Second + 10*time.Second}
			if got := starts[i+1]; len(got) < 2 || got[0] != want[0] || got[1] != want[1] {
				t.Errorf("op %d starts %v, want %v", i+1, got, want)
			}
		}
	})
}

// TestSchedulerGroupFrequencyRange: with frequency range A-B, every run
// draws the time to the next start within A-B (IOS's random scheduler).
func TestSchedulerGroupFrequencyRange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		results := make(chan Result, 64)
		s := NewScheduler(results, scripted(Outcome{Code: CodeOK, RTT: time.Millisecond}), nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		op := testOp(1)
		op.Schedule = Schedule{Scheduled: true, Forever: true, Start: StartNow, Group: 1,
			GroupPeriod: 5 * time.Second, GroupFrequency: 8 * time.Second, GroupFrequencyMax: 12 * time.Second}
		s.Set([]Operation{op})
		go s.Run(ctx)
		rs := collect(results, 21)
		gaps := map[time.Duration]bool{}
		for i := 1; i < len(rs); i++ {
			gap := rs[i].Start.Sub(rs[i-1].Start)
			if gap < 8*time.Second || gap > 12*time.Second {
				t.Errorf("run %d started %v after the previous one, want 8-12 s", i, gap)
			}
			gaps[gap] = true
		}
		if len(gaps) < 10 {
			t.Errorf("only %d distinct gaps in 20 runs: %v", len(gaps), gaps)
		}
	})
}
