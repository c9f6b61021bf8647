package sla

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// scripted returns a probe factory whose probes replay outs in order (the
// last one repeats), sleeping each outcome's RTT as a real probe would.
func scripted(outs ...Outcome) func(Operation) (Probe, error) {
	var mu sync.Mutex
	i := 0
	return func(Operation) (Probe, error) {
		return func(ctx context.Context) Outcome {
			mu.Lock()
			o := outs[min(i, len(outs)-1)]
			i++
			mu.Unlock()
			select {
			case <-time.After(o.RTT):
			case <-ctx.Done():
				return Outcome{Code: CodeTimeout}
			}
			return o
		}, nil
	}
}

func testOp(id int) Operation {
	op := NewOperation(id)
	op.DNS = &DNS{Target: "anycast.example.com", NameServer: netip.MustParseAddr("10.0.0.10")}
	op.Frequency = time.Second
	op.Timeout = 500 * time.Millisecond
	op.Threshold = 100 * time.Millisecond
	op.Schedule = Schedule{Scheduled: true, Forever: true, Start: StartNow}
	return op
}

func collect(ch <-chan Result, n int) []Result {
	var out []Result
	for range n {
		out = append(out, <-ch)
	}
	return out
}

func TestSchedulerRunsOnFrequency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		results := make(chan Result, 16)
		s := NewScheduler(results, scripted(
			Outcome{Code: CodeOK, RTT: 10 * time.Millisecond},
			Outcome{Code: CodeOK, RTT: 200 * time.Millisecond}, // over threshold 100
			Outcome{Code: CodeOK, RTT: time.Second},            // beyond timeout 500
			Outcome{Code: CodeDNSQueryError, RTT: time.Millisecond},
		), nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		t0 := time.Now()
		s.Set([]Operation{testOp(101)})
		go s.Run(ctx)

		got := collect(results, 4)
		want := []struct {
			code  ReturnCode
			start time.Duration
			rtt   time.Duration
		}{
			{CodeOK, 0, 10 * time.Millisecond},
			{CodeOverThreshold, time.Second, 200 * time.Millisecond},
			{CodeTimeout, 2 * time.Second, 0},
			{CodeDNSQueryError, 3 * time.Second, 0},
		}
		for i, w := range want {
			r := got[i]
			if r.ID != 101 || r.Code != w.code || r.Start.Sub(t0) != w.start || r.RTT != w.rtt {
				t.Errorf("run %d = {%d %v start +%v rtt %v}, want {101 %v +%v %v}",
					i, r.ID, r.Code, r.Start.Sub(t0), r.RTT, w.code, w.start, w.rtt)
			}
		}
		st := s.Snapshot()[0]
		if st.Successes != 2 || st.Failures != 2 || st.OverThresholds != 1 || st.Busies != 0 {
			t.Errorf("counters = %+v", st)
		}
		if st.RTTMin != 10*time.Millisecond || st.RTTMax != 200*time.Millisecond || st.RTTAvg() != 105*time.Millisecond {
			t.Errorf("rtt min/max/avg = %v/%v/%v", st.RTTMin, st.RTTMax, st.RTTAvg())
		}
	})
}

func TestSchedulerBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		results := make(chan Result, 16)
		// A probe that ignores its deadline and takes 2.5 s: the starts at
		// 1 s and 2 s find it still running and are skipped as busy.
		slow := func(Operation) (Probe, error) {
			return func(ctx context.Context) Outcome {
				time.Sleep(2500 * time.Millisecond)
				return Outcome{Code: CodeOK, RTT: time.Millisecond}
			}, nil
		}
		s := NewScheduler(results, slow, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s.Set([]Operation{testOp(1)})
		go s.Run(ctx)
		<-results
		synctest.Wait()
		if st := s.Snapshot()[0]; st.Busies != 2 || st.Successes != 1 {
			t.Errorf("busies %d successes %d, want 2 and 1", st.Busies, st.Successes)
		}
	})
}

func TestSchedulerLifeAndPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		results := make(chan Result, 16)
		s := NewScheduler(results, scripted(Outcome{Code: CodeOK, RTT: time.Millisecond}), nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		finite := testOp(1)
		finite.Schedule = Schedule{Scheduled: true, Life: 3 * time.Second, Start: StartNow}
		pending := testOp(2)
		pending.Schedule = Schedule{Life: DefaultLife}
		after := testOp(3)
		after.Schedule = Schedule{Scheduled: true, Forever: true, Start: StartAfter, After: 10 * time.Second}
		s.Set([]Operation{finite, pending, after})
		go s.Run(ctx)
		time.Sleep(9 * time.Second)
		synctest.Wait()
		snap := s.Snapshot()
		if snap[0].Runs != 3 || snap[0].State != StateInactive {
			t.Errorf("finite life: runs %d state %v, want 3 Inactive", snap[0].Runs, snap[0].State)
		}
		if snap[1].Runs != 0 || snap[1].State != StatePending {
			t.Errorf("pending: runs %d state %v", snap[1].Runs, snap[1].State)
		}
		if snap[2].Runs != 0 {
			t.Errorf("start-time after 10 s ran at 9 s")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := s.Snapshot()[2].Runs; n != 1 {
			t.Errorf("start-time after: %d runs at 11 s, want 1", n)
		}
	})
}

func TestSchedulerSetKeepsUnchanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		results := make(chan Result, 16)
		s := NewScheduler(results, scripted(Outcome{Code: CodeOK, RTT: time.Millisecond}), nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, b := testOp(1), testOp(2)
		s.Set([]Operation{a, b})
		go s.Run(ctx)
		collect(results, 4) // two rounds
		b.Frequency = 2 * time.Second
		s.Set([]Operation{a, b})
		synctest.Wait()
		snap := s.Snapshot()
		if snap[0].Runs != 2 {
			t.Errorf("unchanged op lost its statistics: runs %d", snap[0].Runs)
		}
		if snap[1].Runs > 1 {
			t.Errorf("changed op kept old statistics: runs %d", snap[1].Runs)
		}
		s.Set([]Operation{b})
		if snap := s.Snapshot(); len(snap) != 1 || snap[0].ID != 2 {
			t.Errorf("removed op still there: %+v", snap)
		}
	})
}

func TestSchedulerSpreadsStarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 500
		results := make(chan Result, 2*n)
		s := NewScheduler(results, scripted(Outcome{Code: CodeOK, RTT: time.Millisecond}), nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		t0 := time.Now()
		var ops []Operation
		for i := range n {
			ops = append(ops, testOp(i+1))
		}
		s.Set(ops)
		go s.Run(ctx)
		perTick := map[time.Duration]int{}
		var last time.Duration
		for _, r := range collect(results, n) {
			at := r.Start.Sub(t0)
			perTick[at]++
			last = max(last, at)
			if r.Late != 0 {
				t.Errorf("op %d late by %v under a fake clock", r.ID, r.Late)
			}
		}
		// 500 ops: spread over 500 × 100 µs = 50 ms, on the 2 ms grid.
		if last < 48*time.Millisecond || last > 50*time.Millisecond {
			t.Errorf("last first start at +%v, want about +50 ms", last)
		}
		for at, k := range perTick {
			if at%Tick != 0 || k > int(Tick/SpreadStep) {
				t.Errorf("%d starts at +%v (grid %v, at most %d per tick)", k, at, Tick, Tick/SpreadStep)
			}
		}
	})
}

func TestSchedulerFewStartTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		results := make(chan Result, 16)
		s := NewScheduler(results, scripted(Outcome{Code: CodeOK, RTT: time.Millisecond}), nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		t0 := time.Now()
		s.Set([]Operation{testOp(1), testOp(2), testOp(3)})
		go s.Run(ctx)
		for _, r := range collect(results, 3) {
			if d := r.Start.Sub(t0); d != 0 {
				t.Errorf("op %d first start +%v, want at once", r.ID, d)
			}
		}
	})
}

// TestStaleResult: a result produced before its operation was changed,
// removed or restarted is no longer Current, so a consumer that reads it
// late (from a queue) can drop it.
func TestStaleResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		results := make(chan Result, 16)
		s := NewScheduler(results, scripted(Outcome{Code: CodeOK, RTT: time.Millisecond}), nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		op := testOp(1)
		s.Set([]Operation{op})
		go s.Run(ctx)
		first := <-results
		if !s.Current(first) {
			t.Fatal("fresh result not current")
		}
		s.Set([]Operation{op}) // unchanged: still current
		if !s.Current(first) {
			t.Error("result of an unchanged operation became stale")
		}
		changed := op
		changed.Threshold = 50 * time.Millisecond
		s.Set([]Operation{changed})
		if s.Current(first) {
			t.Error("result of the operation before its change is still current")
		}
		second := <-results
		s.Set(nil)
		if s.Current(second) {
			t.Error("result of a removed operation is still current")
		}
		if !s.Current(Result{ID: 1}) {
			t.Error("a Result not made by a Scheduler must count as current")
		}
	})
}
