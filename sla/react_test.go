package sla

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestReactionObserve(t *testing.T) {
	ms := time.Millisecond
	ok := func(rtt time.Duration) Result { return Result{Code: CodeOK, RTT: rtt} }
	to := Result{Code: CodeTimeout}
	nc := Result{Code: CodeNoConnection}
	ve := Result{Code: CodeVerifyError}
	rtt := func(typ ThresholdType, n, of int) Reaction {
		r := NewReaction(ReactRTT)
		r.Type, r.Count, r.Of, r.Upper, r.Lower = typ, n, of, 100*ms, 50*ms
		return r
	}
	el := func(e ReactElement, typ ThresholdType, n, of int) Reaction {
		r := NewReaction(e)
		r.Type, r.Count, r.Of = typ, n, of
		return r
	}
	const o, c, z = ReactOccurred, ReactCleared, ReactNoChange
	tests := []struct {
		name    string
		r       Reaction
		results []Result
		want    []ReactEvent
	}{
		{"never", el(ReactTimeout, ThresholdNever, 0, 0), []Result{to, to}, []ReactEvent{z, z}},
		{"immediate timeout", el(ReactTimeout, ThresholdImmediate, 0, 0),
			[]Result{ok(ms), to, to, ok(ms), ok(ms)}, []ReactEvent{z, o, z, c, z}},
		{"immediate rtt with hysteresis", rtt(ThresholdImmediate, 0, 0),
			[]Result{ok(120 * ms), ok(80 * ms), to, ok(40 * ms), ok(101 * ms)}, []ReactEvent{o, z, z, c, o}},
		{"consecutive 3", el(ReactTimeout, ThresholdConsecutive, 3, 0),
			[]Result{to, to, ok(ms), to, to, to, to, ok(ms), ok(ms), ok(ms)}, []ReactEvent{z, z, z, z, z, o, z, z, z, c}},
		{"xofy 2 of 3", el(ReactConnectionLoss, ThresholdXofY, 2, 3),
			[]Result{nc, ok(ms), ok(ms), nc, ok(ms), nc, ok(ms), ok(ms)}, []ReactEvent{z, z, z, z, z, o, c, z}},
		{"xofy X > Y never occurs", el(ReactTimeout, ThresholdXofY, 4, 3), []Result{to, to, to, to}, []ReactEvent{z, z, z, z}},
		{"average 3", rtt(ThresholdAverage, 3, 0),
			[]Result{ok(200 * ms), ok(60 * ms), to, ok(60 * ms), ok(10 * ms), ok(10 * ms)}, []ReactEvent{z, z, z, o, c, z}},
		{"verifyError", el(ReactVerifyError, ThresholdImmediate, 0, 0), []Result{ve, to, ok(ms)}, []ReactEvent{o, c, z}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var st ReactState
			for i, r := range tc.results {
				if got := tc.r.Observe(&st, r); got != tc.want[i] {
					t.Errorf("result %d (%v %v): event %d, want %d", i, r.Code, r.RTT, got, tc.want[i])
				}
			}
		})
	}
}

func TestTrapLine(t *testing.T) {
	r := NewReaction(ReactTimeout)
	if got, want := r.TrapLine(1, ReactOccurred), "%RTT-3-IPSLATHRESHOLD: IP SLAs(1): Threshold Occurred for timeout"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got := r.TrapLine(7, ReactCleared); !strings.Contains(got, "IP SLAs(7): Threshold Cleared for timeout") {
		t.Errorf("%q", got)
	}
}

func TestSchedulerReactionTrigger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		results := make(chan Result, 64)
		var logs strings.Builder
		var mu sync.Mutex
		log := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
		// Op 1 times out on its second run; op 2 is pending until then.
		probes := map[int]func(Operation) (Probe, error){
			1: scripted(Outcome{Code: CodeOK, RTT: time.Millisecond}, Outcome{Code: CodeTimeout}, Outcome{Code: CodeOK, RTT: time.Millisecond}),
			2: scripted(Outcome{Code: CodeOK, RTT: time.Millisecond}),
		}
		s := NewScheduler(results, func(op Operation) (Probe, error) { return probes[op.ID](op) }, log)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		watcher := testOp(1)
		rc := NewReaction(ReactTimeout)
		rc.Type, rc.Action = ThresholdImmediate, ActionTrapAndTrigger
		watcher.Reactions, watcher.Triggers, watcher.LogTraps = []Reaction{rc}, []int{2}, true
		target := testOp(2)
		target.Schedule = Schedule{Scheduled: true, Life: 3 * time.Second, Start: StartPending}
		s.Set([]Operation{watcher, target})
		go s.Run(ctx)
		time.Sleep(1500 * time.Millisecond) // op 1 ran OK at 0 s and timed out at 1 s
		synctest.Wait()
		snap := s.Snapshot()
		if snap[0].Traps != 1 || snap[0].Triggers != 1 {
			t.Errorf("traps %d triggers %d, want 1 and 1", snap[0].Traps, snap[0].Triggers)
		}
		if snap[1].State != StateActive || snap[1].Runs != 1 {
			t.Errorf("target: state %v runs %d, want Active and 1", snap[1].State, snap[1].Runs)
		}
		time.Sleep(5 * time.Second) // op 1 is OK again: cleared; op 2's life is over
		synctest.Wait()
		snap = s.Snapshot()
		if snap[0].Traps != 2 || snap[1].State != StatePending || snap[1].Runs != 3 {
			t.Errorf("after 6.5 s: traps %d, target state %v runs %d; want 2, Pending, 3", snap[0].Traps, snap[1].State, snap[1].Runs)
		}
		mu.Lock()
		out := logs.String()
		mu.Unlock()
		for _, want := range []string{"IP SLAs(1): Threshold Occurred for timeout", "IP SLAs(1): Threshold Cleared for timeout"} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q:\n%s", want, out)
			}
		}
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
