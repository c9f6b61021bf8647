package sla

import (
	"container/heap"
	"context"
	"log/slog"
	"sync"
	"time"
)

// Scheduler starts every active operation on its own IOS schedule: first at
// its start time, then every Frequency, until its life runs out. At most one
// run of an operation is in flight; a start that would overlap is skipped and
// counted as busy (MIB rttMonCtrlAdminFrequency). Results go to the channel
// given to NewScheduler, and statistics are kept for Snapshot.
//
// One goroutine owns a min-heap of next start times and one timer, so idle
// operations cost nothing.
type Scheduler struct {
	results  chan<- Result
	newProbe func(Operation) (Probe, error)
	now      func() time.Time
	log      *slog.Logger
	wake     chan struct{}

	mu      sync.Mutex // protects the fields below
	entries map[int]*entry
	queue   startQueue
}

type entry struct {
	op    Operation
	probe Probe
	index int       // in queue, -1 when not queued
	next  time.Time // next scheduled start
	gen   int       // bumped when the entry is removed, so a run still in flight is ignored
	stats Stats
}

// NewScheduler returns a scheduler that sends each run's result on results.
// newProbe is usually NewProbe; tests pass fakes.
func NewScheduler(results chan<- Result, newProbe func(Operation) (Probe, error), log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{
		results:  results,
		newProbe: newProbe,
		now:      time.Now,
		log:      log,
		wake:     make(chan struct{}, 1),
		entries:  map[int]*entry{},
	}
}

// Set makes ops the scheduler's whole configuration. An operation equal to
// the running one keeps running with its statistics; a changed or new one
// starts afresh; a missing one stops. It returns the errors of operations
// whose probe could not be built (those are left out).
func (s *Scheduler) Set(ops []Operation) []error {
	var errs []error
	now := s.now()
	s.mu.Lock()
	keep := map[int]bool{}
	for _, op := range ops {
		keep[op.ID] = true
		if e, ok := s.entries[op.ID]; ok && e.op.Equal(op) {
			continue
		}
		probe, err := s.newProbe(op)
		if err != nil {
			errs = append(errs, err)
			s.removeLocked(op.ID)
			continue
		}
		s.removeLocked(op.ID)
		e := &entry{op: op, probe: probe, index: -1}
		s.entries[op.ID] = e
		s.startLocked(e, now)
	}
	for id := range s.entries {
		if !keep[id] {
			s.removeLocked(id)
		}
	}
	s.mu.Unlock()
	s.poke()
	return errs
}

// ClearCounters resets every operation's counters (`clear ip sla counters`)
// and keeps the latest result.
func (s *Scheduler) ClearCounters() {
	s.mu.Lock()
	for _, e := range s.entries {
		e.stats.resetCounters(s.now())
	}
	s.mu.Unlock()
}

func (s *Scheduler) removeLocked(id int) {
	e, ok := s.entries[id]
	if !ok {
		return
	}
	if e.index >= 0 {
		heap.Remove(&s.queue, e.index)
	}
	e.gen++
	delete(s.entries, id)
}

// startLocked (re)initialises e's statistics and queues its first start.
func (s *Scheduler) startLocked(e *entry, now time.Time) {
	e.stats = Stats{ID: e.op.ID, Type: e.op.TypeName(), Target: target(e.op), Reset: now}
	sch := e.op.Schedule
	if !sch.Active() {
		e.stats.State = StatePending
		return
	}
	first := now
	if sch.Start == StartAfter {
		first = now.Add(sch.After)
	}
	e.stats.State = StateActive
	if !sch.Forever {
		e.stats.LifeEnd = first.Add(sch.Life)
		e.stats.HasLifeEnd = true
	}
	e.next = first
	heap.Push(&s.queue, e)
}

func target(op Operation) string {
	if op.DNS != nil {
		return op.DNS.NameServer.String()
	}
	return ""
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run drives the schedule until ctx is done. Runs in flight are cancelled.
func (s *Scheduler) Run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		wait := s.startDue(ctx, &wg)
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// startDue launches every run whose time has come and returns how long to
// sleep until the next one.
func (s *Scheduler) startDue(ctx context.Context, wg *sync.WaitGroup) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for s.queue.Len() > 0 {
		e := s.queue[0]
		if e.next.After(now) {
			return e.next.Sub(now)
		}
		start := e.next
		if e.stats.HasLifeEnd && !start.Before(e.stats.LifeEnd) {
			heap.Pop(&s.queue)
			e.stats.State = StateInactive
			continue
		}
		// Next start on the frequency grid; if we fell behind by more
		// than a period, skip the missed starts rather than burst.
		e.next = start.Add(e.op.Frequency)
		if !e.next.After(now) {
			e.next = now.Add(e.op.Frequency)
		}
		heap.Fix(&s.queue, 0)
		if e.stats.inFlight {
			e.stats.Busies++
			continue
		}
		e.stats.inFlight = true
		wg.Add(1)
		go s.run(ctx, e, e.gen, start, wg)
	}
	return time.Hour
}

func (s *Scheduler) run(ctx context.Context, e *entry, gen int, scheduled time.Time, wg *sync.WaitGroup) {
	defer wg.Done()
	op := e.op
	started := s.now()
	rctx, cancel := context.WithTimeout(ctx, op.Timeout)
	out := e.probe(rctx)
	cancel()
	if ctx.Err() != nil {
		return
	}
	r := Result{ID: op.ID, Code: out.Code, RTT: out.RTT, Start: started, Detail: out.Detail}
	if r.Code == CodeOK && r.RTT > op.Threshold {
		r.Code = CodeOverThreshold
	}
	if !r.Code.Completed() {
		r.RTT = 0
	}
	s.mu.Lock()
	current := e.gen == gen
	if current {
		e.stats.inFlight = false
		e.stats.record(r, started.Sub(scheduled))
	}
	s.mu.Unlock()
	if !current {
		return // the operation was replaced or removed meanwhile
	}
	if r.Code.Completed() {
		s.log.Debug("ip sla run", "id", r.ID, "code", r.Code.String(), "rtt", r.RTT)
	} else {
		s.log.Debug("ip sla run", "id", r.ID, "code", r.Code.String(), "detail", r.Detail)
	}
	select {
	case s.results <- r:
	case <-ctx.Done():
	}
}

// Snapshot returns a copy of every operation's statistics, sorted by ID.
func (s *Scheduler) Snapshot() []Stats {
	s.mu.Lock()
	out := make([]Stats, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e.stats)
	}
	s.mu.Unlock()
	sortStats(out)
	return out
}

// startQueue is a min-heap of entries by next start time.
type startQueue []*entry

func (q startQueue) Len() int           { return len(q) }
func (q startQueue) Less(i, j int) bool { return q[i].next.Before(q[j].next) }
func (q startQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}
func (q *startQueue) Push(x any) {
	e := x.(*entry)
	e.index = len(*q)
	*q = append(*q, e)
}
func (q *startQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*q = old[:len(old)-1]
	return e
}
