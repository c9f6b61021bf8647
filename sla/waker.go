package sla

import (
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// alarm wakes the scheduler's loop at the next start or timeout, or at
// once when poked (a changed configuration, a trigger, the end).
//
// The Go runtime's timers sleep in epoll_wait, whose timeout is in whole
// milliseconds: a timer fires up to a millisecond late, more when the
// runtime rounds the wait up. That floor is the start lateness of every
// operation. A timerfd, read through the runtime's poller, fires on the
// kernel's high-resolution timer instead: the poller sees it as a readable
// descriptor and wakes at once, so starts leave within microseconds of
// their time. The Go timer remains the fallback where timerfd is refused.
type alarm interface {
	// set arms the alarm to go off after d (at once if d <= 0),
	// replacing the previous setting.
	set(d time.Duration)
	// wait blocks until the alarm goes off or poke is called; a poke
	// between set and wait is not lost.
	wait()
	poke()
	close()
}

func newAlarm() alarm {
	if a, err := newTimerfdAlarm(); err == nil {
		return a
	}
	return newGoAlarm()
}

type timerfdAlarm struct {
	f     *os.File
	rc    syscall.RawConn // f's descriptor, held while in use
	poked atomic.Bool
	buf   [8]byte
}

func newTimerfdAlarm() (*timerfdAlarm, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	// A non-blocking descriptor: os.NewFile registers it with the poller.
	f := os.NewFile(uintptr(fd), "ip-sla-alarm")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &timerfdAlarm{f: f, rc: rc}, nil
}

func (a *timerfdAlarm) set(d time.Duration) {
	if d <= 0 {
		d = 1 // a zero value would disarm it
	}
	its := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	var err error
	// Control holds the descriptor: a poke racing with close cannot
	// arm a reused descriptor number.
	if cerr := a.rc.Control(func(fd uintptr) { err = unix.TimerfdSettime(int(fd), 0, &its, nil) }); cerr != nil || err != nil {
		a.poked.Store(true) // cannot arm: do not sleep
	}
}

func (a *timerfdAlarm) poke() {
	// The flag first: a wait that finds it set does not sleep; one that
	// does not is woken by the arming that follows (it replaces the
	// loop's own setting, made before the loop checked the flag).
	a.poked.Store(true)
	a.set(0)
}

func (a *timerfdAlarm) wait() {
	if a.poked.Swap(false) {
		return
	}
	if _, err := a.f.Read(a.buf[:]); err != nil {
		// Closed, or a read error: pause rather than spin.
		time.Sleep(time.Millisecond)
	}
	a.poked.Store(false)
}

func (a *timerfdAlarm) close() { a.f.Close() }

// goAlarm is the runtime-timer fallback.
type goAlarm struct {
	t    *time.Timer
	wake chan struct{}
}

func newGoAlarm() *goAlarm {
	return &goAlarm{t: time.NewTimer(time.Hour), wake: make(chan struct{}, 1)}
}

func (a *goAlarm) set(d time.Duration) { a.t.Reset(d) }

func (a *goAlarm) poke() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *goAlarm) wait() {
	select {
	case <-a.wake:
	case <-a.t.C:
	}
}

func (a *goAlarm) close() { a.t.Stop() }
