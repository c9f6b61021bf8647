package sla

import (
	"container/heap"
	"context"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"time"
)

// Scheduler starts every active operation on its own IOS schedule: first at
// its start time, then every Frequency, until its life runs out. At most one
// run of an operation is in flight; a start that would overlap is skipped and
// counted as busy (MIB rttMonCtrlAdminFrequency). Results go to the channel
// given to NewScheduler, and statistics are kept for Snapshot.
//
// One goroutine owns a min-heap of next start times and one alarm, so idle
// operations cost nothing; starts that fall due in the same Tick share a
// wake-up. With NewProbe as the probe factory, dns probes
// over UDP run without a goroutine each (see starter) on sockets shared per
// source address.
type Scheduler struct {
	results  chan<- Result
	newProbe func(Operation) (Probe, error)
	now      func() time.Time
	log      *slog.Logger
	alarm    alarm
	// starter builds an operation's starter; set when newProbe is NewProbe.
	starter func(Operation) starter

	mu      sync.Mutex // protects the fields below
	entries map[int]*entry
	queue   startQueue

	launches []launch    // startDue's buffer, reused; only Run touches it
	expiries expiryQueue // the starters' runs in flight; only Run touches it
	batch    sendBatch   // the queries of the runs startDue starts; only Run touches it
}

type entry struct {
	op    Operation
	probe Probe
	start starter   // nil: run probe in a goroutine
	index int       // in queue, -1 when not queued
	next  time.Time // next scheduled start
	gen   int       // bumped when the entry is removed, so a run still in flight is ignored
	stats Stats

	// mu protects stats, react, ageoutAt and gen: a run completes under
	// mu alone, so Snapshot and completions never wait for the scheduler's
	// lock, only for one entry's. Lock order: Scheduler.mu, then entry.mu.
	mu sync.Mutex

	react    []ReactState // parallel to op.Reactions
	cycle    time.Time    // start of the current life (recurring schedules)
	ageoutAt time.Time    // when an inactive or pending entry ages out; zero never
}

// NewScheduler returns a scheduler that sends each run's result on results.
// newProbe is usually NewProbe; tests pass fakes.
func NewScheduler(results chan<- Result, newProbe func(Operation) (Probe, error), log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{
		results:  results,
		newProbe: newProbe,
		now:      time.Now,
		log:      log,
		entries:  map[int]*entry{},
	}
	if newProbe != nil && reflect.ValueOf(newProbe).Pointer() == reflect.ValueOf(NewProbe).Pointer() {
		s.starter = newStarter
		s.alarm = newAlarm()
	} else {
		// Fakes keep the runtime's timer, which tests drive with
		// testing/synctest's fake clock.
		s.alarm = newGoAlarm()
	}
	return s
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
	var fresh []*entry
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
		if s.starter != nil {
			e.start = s.starter(op)
		}
		s.entries[op.ID] = e
		fresh = append(fresh, e)
	}
	// Spread the first starts of what starts together (all of it at boot)
	// evenly, at most one per SpreadStep, over at most min(frequency,
	// MaxSpread), so that 10,000 operations do not all fire in the same
	// millisecond; ops keep those phases. A handful of operations still
	// start at once.
	n := time.Duration(len(fresh))
	for i, e := range fresh {
		window := min(e.op.EffectiveFrequency(), MaxSpread, n*SpreadStep)
		s.startLocked(e, now, window*time.Duration(i)/n)
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
		e.mu.Lock()
		e.stats.resetCounters(s.now())
		e.mu.Unlock()
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
	e.mu.Lock()
	e.gen++
	e.mu.Unlock()
	delete(s.entries, id)
}

// Coalesce is the shortest sleep of the scheduler between two batches of
// starts, hence the longest a start off the Tick grid is delayed to share
// a wake-up.
const Coalesce = 100 * time.Microsecond

// Tick is the grid of start times: Set puts first starts on multiples of
// Tick (wall-clock time), so operations whose frequency is a multiple of
// Tick (all whole-second ones) keep starting on the grid and those due in
// the same Tick share one wake-up instead of one each. Timeouts of
// starters' runs are rounded up to the grid too.
const Tick = 2 * time.Millisecond

// onGrid rounds t up to the next multiple of Tick.
func onGrid(t time.Time) time.Time {
	if g := t.Truncate(Tick); !g.Equal(t) {
		return g.Add(Tick)
	}
	return t
}

// MaxSpread caps the window over which Set spreads the first starts of the
// operations it starts; SpreadStep is the spacing below which it does not
// spread them (so at most 20 first starts share a Tick).
const (
	MaxSpread  = time.Second
	SpreadStep = 100 * time.Microsecond
)

// startLocked (re)initialises e's statistics and queues its first start,
// offset after its scheduled start time.
func (s *Scheduler) startLocked(e *entry, now time.Time, offset time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stats = Stats{ID: e.op.ID, Type: e.op.TypeName(), Target: target(e.op), Reset: now}
	sch := e.op.Schedule
	if !sch.Active() {
		e.stats.State = StatePending
		if sch.Scheduled && sch.Ageout > 0 {
			e.ageoutAt = now.Add(sch.Ageout)
		}
		return
	}
	first := sch.FirstStart(now, func(n time.Duration) time.Duration {
		if n <= 0 {
			return 0
		}
		return rand.N(n)
	})
	first = onGrid(first)
	switch {
	case sch.Group != 0:
		first = first.Add(sch.GroupOffset.Round(Tick)) // the group spreads its own starts
	case sch.Start != StartAt:
		first = first.Add(offset.Round(Tick)) // an absolute start time is kept exact
	}
	e.cycle = first
	e.stats.State = StateActive
	if !sch.Forever {
		e.stats.LifeEnd = first.Add(sch.Life)
		e.stats.HasLifeEnd = true
	}
	e.next = first
	heap.Push(&s.queue, e)
}

func target(op Operation) string {
	switch {
	case op.DNS != nil:
		return op.DNS.NameServer.String()
	case op.ICMPEcho != nil:
		return op.ICMPEcho.Target.String()
	case op.TCPConnect != nil:
		return op.TCPConnect.Target.String()
	case op.UDPEcho != nil:
		return op.UDPEcho.Target.String()
	case op.HTTP != nil:
		return op.HTTP.URL
	}
	return ""
}

func (s *Scheduler) poke() { s.alarm.poke() }

// Run drives the schedule until ctx is done. Runs in flight are cancelled.
//
// The alarm stays open when Run returns, so that Run may be called again;
// its descriptor is closed with the Scheduler by the garbage collector.
func (s *Scheduler) Run(ctx context.Context) {
	stop := context.AfterFunc(ctx, s.poke)
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer func() {
		// Let the starters' runs in flight go (their results are dropped).
		for s.expiries.Len() > 0 {
			heap.Pop(&s.expiries).(expiry).expire()
		}
	}()
	for ctx.Err() == nil {
		// Starts and timeouts are on the Tick grid, so the runs due
		// in the same Tick share one wake-up (at 10,000 operations a
		// second, one every 2 ms instead of one per 100 µs); the alarm
		// wakes the loop on time (see alarm). Sleeping at least
		// Coalesce keeps off-grid starts from waking it in quick
		// succession.
		wait := s.startDue(ctx, &wg)
		s.alarm.set(max(min(wait, s.expireDue()), Coalesce))
		s.alarm.wait()
	}
}

// launch is one run to start once the lock is released.
type launch struct {
	e         *entry
	gen       int
	scheduled time.Time
}

// startDue launches every run whose time has come and returns how long to
// sleep until the next one.
func (s *Scheduler) startDue(ctx context.Context, wg *sync.WaitGroup) time.Duration {
	s.mu.Lock()
	wait, due := s.dueLocked(s.launches[:0])
	s.mu.Unlock()
	for _, l := range due {
		s.launch(ctx, l, wg)
	}
	s.batch.flush() // one sendmmsg for the queries of the runs due together
	clear(due)
	s.launches = due
	return wait
}

func (s *Scheduler) launch(ctx context.Context, l launch, wg *sync.WaitGroup) {
	e := l.e
	if e.start == nil {
		wg.Add(1)
		go s.run(ctx, e, l.gen, l.scheduled, wg)
		return
	}
	started := s.now()
	deadline := started.Add(e.op.Timeout)
	expire := e.start.start(deadline, func(out Outcome) {
		s.finish(ctx, e, l.gen, l.scheduled, started, out)
	}, &s.batch)
	if expire != nil {
		heap.Push(&s.expiries, expiry{onGrid(deadline), expire})
	}
}

// expireDue ends the starters' runs whose timeout has passed and returns
// how long until the next one.
func (s *Scheduler) expireDue() time.Duration {
	now := time.Now()
	for s.expiries.Len() > 0 {
		x := s.expiries[0]
		if x.at.After(now) {
			return x.at.Sub(now)
		}
		heap.Pop(&s.expiries)
		x.expire()
	}
	return time.Hour
}

// expiry is when a starter's run times out, and how to end it then (a
// no-op when it has completed already).
type expiry struct {
	at     time.Time
	expire func()
}

// expiryQueue is a min-heap of expiries by time.
type expiryQueue []expiry

func (q expiryQueue) Len() int           { return len(q) }
func (q expiryQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q expiryQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *expiryQueue) Push(x any)        { *q = append(*q, x.(expiry)) }
func (q *expiryQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	old[len(old)-1] = expiry{}
	*q = old[:len(old)-1]
	return x
}

// dueLocked pops the runs whose time has come into due.
func (s *Scheduler) dueLocked(due []launch) (time.Duration, []launch) {
	now := s.now()
	for s.queue.Len() > 0 {
		e := s.queue[0]
		if e.next.After(now) {
			return e.next.Sub(now), due
		}
		start := e.next
		e.mu.Lock()
		l, ok := s.dueEntryLocked(e, start, now)
		e.mu.Unlock()
		if ok {
			due = append(due, l)
		}
	}
	return time.Hour, due
}

// dueEntryLocked handles the queue's head e, due at start: its life's end,
// or its next start and this run (ok), or a busy skip. s.mu and e.mu are
// held.
func (s *Scheduler) dueEntryLocked(e *entry, start, now time.Time) (launch, bool) {
	if e.stats.HasLifeEnd && !start.Before(e.stats.LifeEnd) {
		sch := e.op.Schedule
		if sch.Recurring {
			// Again tomorrow at the same time, for the same life.
			e.cycle = e.cycle.AddDate(0, 0, 1)
			e.next, e.stats.LifeEnd = e.cycle, e.cycle.Add(sch.Life)
			e.stats.State = StatePending
			heap.Fix(&s.queue, 0)
			return launch{}, false
		}
		heap.Pop(&s.queue)
		e.stats.State = StateInactive
		if sch.Start == StartPending {
			// A triggered run is over: pending again, for the next trigger.
			e.stats.State = StatePending
			return launch{}, false
		}
		if sch.Ageout > 0 {
			e.ageoutAt = e.stats.LifeEnd.Add(sch.Ageout)
		}
		return launch{}, false
	}
	e.stats.State = StateActive
	// Next start on the frequency grid; if we fell behind by more
	// than a period, skip the missed starts rather than burst.
	freq := e.op.NextFrequency() // random within a group's frequency range
	e.next = start.Add(freq)
	if !e.next.After(now) {
		e.next = now.Add(freq)
	}
	heap.Fix(&s.queue, 0)
	if e.stats.inFlight {
		e.stats.busy(start, e.op.History)
		return launch{}, false
	}
	e.stats.inFlight = true
	return launch{e, e.gen, start}, true
}

func (s *Scheduler) run(ctx context.Context, e *entry, gen int, scheduled time.Time, wg *sync.WaitGroup) {
	defer wg.Done()
	started := s.now()
	rctx, cancel := context.WithTimeout(ctx, e.op.Timeout)
	out := e.probe(rctx)
	cancel()
	s.finish(ctx, e, gen, scheduled, started, out)
}

// finish records a run's outcome and sends its result. It runs in the
// run's goroutine or, for a starter, wherever the run completed; a slow
// reader of the results channel therefore holds up completions.
func (s *Scheduler) finish(ctx context.Context, e *entry, gen int, scheduled, started time.Time, out Outcome) {
	if ctx.Err() != nil {
		return
	}
	op := e.op
	r := Result{ID: op.ID, Code: out.Code, RTT: out.RTT, Start: started, Late: started.Sub(scheduled), Detail: out.Detail, entry: e, gen: gen}
	if r.Code == CodeOK && r.RTT > op.Threshold {
		r.Code = CodeOverThreshold
	}
	if !r.Code.Completed() {
		r.RTT = 0
	}
	var (
		traps   []string
		targets []int
	)
	e.mu.Lock()
	current := e.gen == gen
	// The run is over either way; after a restart the entry's next run
	// waited for it (busy) rather than sharing its socket or port.
	e.stats.inFlight = false
	if current {
		e.stats.record(r, started.Sub(scheduled), op.History)
		if h := op.History; h.On() && h.Keeps(r.Code) {
			e.stats.History = append(e.stats.History, r)
			if n := len(e.stats.History) - h.Buckets(); n > 0 {
				e.stats.History = slices.Delete(e.stats.History, 0, n)
			}
		}
		before := occurredBits(e.react)
		traps, targets = e.reactLocked(r)
		e.stats.countElementTraps(op.Reactions, before, occurredBits(e.react))
	}
	e.mu.Unlock()
	for _, line := range traps {
		s.log.Warn(line)
	}
	if len(targets) > 0 {
		n := 0
		s.mu.Lock()
		for _, t := range targets {
			if s.triggerLocked(t) {
				n++
			}
		}
		s.mu.Unlock()
		e.mu.Lock()
		e.stats.Triggers += n
		e.mu.Unlock()
	}
	if !current {
		return // the operation was replaced or removed meanwhile
	}
	if !s.log.Enabled(ctx, slog.LevelDebug) {
		// Skip building the record: at 10,000 runs a second it shows.
	} else if r.Code.Completed() {
		s.log.Debug("ip sla run", "id", r.ID, "code", r.Code.String(), "rtt", r.RTT)
	} else {
		s.log.Debug("ip sla run", "id", r.ID, "code", r.Code.String(), "detail", r.Detail)
	}
	select {
	case s.results <- r:
	case <-ctx.Done():
	}
}

// reactLocked feeds r to e's reactions and counts traps; it returns the
// trap lines to log (with ip sla logging traps) and the operations to
// trigger. e.mu is held.
func (e *entry) reactLocked(r Result) (lines []string, targets []int) {
	for i, rc := range e.op.Reactions {
		if len(e.react) < len(e.op.Reactions) {
			e.react = make([]ReactState, len(e.op.Reactions))
		}
		ev := rc.Observe(&e.react[i], r)
		if ev == ReactNoChange {
			continue
		}
		if rc.Action.Trap() {
			e.stats.Traps++
			if e.op.LogTraps {
				lines = append(lines, rc.TrapLine(e.op.ID, ev))
			}
		}
		if ev == ReactOccurred && rc.Action.Trigger() {
			targets = append(targets, e.op.Triggers...)
		}
	}
	return lines, targets
}

// Trigger starts operation id if it is scheduled with start-time pending
// and not running, as a reaction trigger does; it reports whether it did.
func (s *Scheduler) Trigger(id int) bool {
	s.mu.Lock()
	ok := s.triggerLocked(id)
	s.mu.Unlock()
	return ok
}

func (s *Scheduler) triggerLocked(id int) bool {
	e := s.entries[id]
	if e == nil || !e.op.Schedule.Scheduled || e.op.Schedule.Start != StartPending || e.index >= 0 {
		return false
	}
	now := s.now()
	e.mu.Lock()
	e.stats.State = StateActive
	e.stats.HasLifeEnd = !e.op.Schedule.Forever
	e.stats.LifeEnd = now.Add(e.op.Schedule.Life)
	e.ageoutAt = time.Time{}
	e.mu.Unlock()
	e.next = now
	heap.Push(&s.queue, e)
	s.poke()
	return true
}

// Restart is `ip sla restart id`: an active operation's statistics are
// cleared and its schedule starts again from now. It reports whether id is
// an active operation.
func (s *Scheduler) Restart(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[id]
	if e == nil {
		return false
	}
	e.mu.Lock()
	active := e.stats.State == StateActive
	inFlight := e.stats.inFlight
	if active {
		e.gen++ // a run in flight no longer counts
		e.react = nil
	}
	e.mu.Unlock()
	if !active {
		return false
	}
	if e.index >= 0 {
		heap.Remove(&s.queue, e.index)
	}
	s.startLocked(e, s.now(), 0)
	// A run still in flight keeps the entry busy until it ends, so two runs
	// of one operation never overlap (one source port, one socket).
	e.mu.Lock()
	e.stats.inFlight = inFlight
	e.mu.Unlock()
	s.poke()
	return true
}

// Snapshot returns a copy of every operation's statistics, sorted by ID.
// An entry that aged out (ip sla schedule ... ageout) is left out.
func (s *Scheduler) Snapshot() []Stats {
	s.mu.Lock()
	now := s.now()
	entries := make([]*entry, 0, len(s.entries))
	for _, e := range s.entries {
		entries = append(entries, e)
	}
	s.mu.Unlock()
	out := make([]Stats, 0, len(entries))
	for _, e := range entries {
		e.mu.Lock()
		if e.ageoutAt.IsZero() || now.Before(e.ageoutAt) {
			st := e.stats
			st.History = slices.Clone(st.History)
			out = append(out, st)
		}
		e.mu.Unlock()
	}
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

// Current reports whether r still speaks for its operation: false when the
// operation was changed, removed or restarted after r was produced (r may
// have waited in the results channel meanwhile). A Result not made by a
// Scheduler is always current.
func (s *Scheduler) Current(r Result) bool {
	if r.entry == nil {
		return true
	}
	r.entry.mu.Lock()
	defer r.entry.mu.Unlock()
	return r.entry.gen == r.gen
}
