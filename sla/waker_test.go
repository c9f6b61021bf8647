package sla

import (
	"context"
	"testing"
	"time"
)

// The alarms: never early, a poke before or during the wait is not lost.
func TestAlarm(t *testing.T) {
	fd, err := newTimerfdAlarm()
	if err != nil {
		t.Skipf("no timerfd: %v", err)
	}
	for name, a := range map[string]alarm{"timerfd": fd, "go timer": newGoAlarm()} {
		t.Run(name, func(t *testing.T) {
			defer a.close()
			for range 3 {
				start := time.Now()
				a.set(20 * time.Millisecond)
				a.wait()
				if d := time.Since(start); d < 20*time.Millisecond {
					t.Errorf("went off after %v, set for 20ms", d)
				}
			}

			a.set(time.Hour)
			a.poke() // before the wait
			done := make(chan struct{})
			go func() { a.wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("a poke before the wait was lost")
			}

			a.set(time.Hour)
			done = make(chan struct{})
			go func() { a.wait(); close(done) }()
			time.Sleep(20 * time.Millisecond) // most likely waiting by now
			a.poke()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("a poke during the wait was lost")
			}

			// A poke between set and wait, as Run's loop can see it.
			a.poke()
			a.set(time.Hour)
			done = make(chan struct{})
			go func() { a.wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("a poke before the loop's set was lost")
			}
		})
	}
}

// TestRunTwice: a Scheduler with the real probes (timerfd alarm) can be run
// again after its first Run returned, and then sleeps rather than spins.
func TestRunTwice(t *testing.T) {
	s := NewScheduler(make(chan Result, 1), NewProbe, nil)
	for range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		s.Run(ctx)
		cancel()
	}
	// A spinning loop's wait returns at once whatever the setting.
	s.alarm.set(time.Hour)
	done := make(chan struct{})
	go func() { s.alarm.wait(); close(done) }()
	select {
	case <-done:
		t.Fatal("the alarm went off at once after a second Run: the loop would spin")
	case <-time.After(100 * time.Millisecond):
	}
	s.poke()
	<-done
}
