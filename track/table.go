package track

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ipslad/ipslad/sla"
)

// State is a track object's reported state.
type State int

const (
	Down State = iota
	Up
)

func (s State) String() string {
	if s == Up {
		return "Up"
	}
	return "Down"
}

// Change is one reported state change: the caller logs it and acts on it.
type Change struct {
	Object Object
	From   State
	To     State
	At     time.Time
}

// String is the IOS syslog line, e.g.
// "%TRACK-6-STATE: 101 ip sla 101 state Down -> Up".
func (c Change) String() string {
	return fmt.Sprintf("%%TRACK-6-STATE: %d ip sla %d %s %s -> %s",
		c.Object.ID, c.Object.SLA, c.Object.Mode, c.From, c.To)
}

// Table is the set of track objects as a pure state machine: time is always
// an argument, so the owner decides when things happen and tests need no
// clock. It is safe for concurrent use (show commands read it while the
// owner drives it).
//
// Per object:
//
//	raw state  = the mode's verdict on the latest result (Down before any)
//	reported   = what clients (routes) see
//	raw != reported, no pending change   -> pending change to raw at now+delay
//	raw == reported while pending        -> pending change cancelled (IOS rule)
//	pending deadline reached             -> reported = raw, one Change
type Table struct {
	mu      sync.Mutex // protects objects
	objects map[int]*object
}

type object struct {
	Object
	state      State
	changes    int
	lastChange time.Time
	latest     sla.Result // Code Unknown until the first result
	pending    bool
	pendingTo  State
	pendingAt  time.Time
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{objects: map[int]*object{}} }

// Set makes objs the table's configuration at time now. An object whose
// definition is unchanged keeps its state and counters. A new or changed
// object starts as IOS creates one: Down, return code Unknown, "1 change" —
// unless its ID is in presumeUp, which starts it Up instead (used at daemon
// start for objects whose routes were adopted from a previous run, so that
// a restart with healthy servers does not flap them).
func (t *Table) Set(objs []Object, now time.Time, presumeUp map[int]bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	next := make(map[int]*object, len(objs))
	for _, o := range objs {
		if cur, ok := t.objects[o.ID]; ok && cur.Object == o {
			next[o.ID] = cur
			continue
		}
		ob := &object{Object: o, changes: 1, lastChange: now}
		if cur, ok := t.objects[o.ID]; ok && cur.SLA == o.SLA && cur.Mode == o.Mode {
			// Only the delays changed: keep state and history.
			ob.state, ob.changes, ob.lastChange, ob.latest = cur.state, cur.changes, cur.lastChange, cur.latest
		} else if presumeUp[o.ID] {
			ob.state = Up
		}
		next[o.ID] = ob
	}
	t.objects = next
}

// Observe feeds one operation result to every object that tracks it and
// returns the changes reported at once (no delay configured).
func (t *Table) Observe(r sla.Result, now time.Time) []Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Change
	for _, id := range t.sortedIDsLocked() {
		ob := t.objects[id]
		if ob.SLA != r.ID {
			continue
		}
		ob.latest = r
		if c, ok := ob.evaluate(now); ok {
			out = append(out, c)
		}
	}
	return out
}

// Forget returns every object tracking operation id to "no result" (the
// operation was deleted or unscheduled), which IOS shows as Down/Unknown.
func (t *Table) Forget(slaID int, now time.Time) []Change {
	return t.Observe(sla.Result{ID: slaID, Code: sla.CodeUnknown}, now)
}

// Advance reports the delayed changes whose time has come.
func (t *Table) Advance(now time.Time) []Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Change
	for _, id := range t.sortedIDsLocked() {
		ob := t.objects[id]
		if ob.pending && !now.Before(ob.pendingAt) {
			out = append(out, ob.report(ob.pendingTo, now))
		}
	}
	return out
}

// Next returns the earliest pending delay deadline.
func (t *Table) Next() (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var next time.Time
	found := false
	for _, ob := range t.objects {
		if ob.pending && (!found || ob.pendingAt.Before(next)) {
			next, found = ob.pendingAt, true
		}
	}
	return next, found
}

// Up reports whether object id is Up; an undefined object is Down (IOS
// accepts a route tracking a missing object and keeps it out).
func (t *Table) Up(id int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	ob, ok := t.objects[id]
	return ok && ob.state == Up
}

func (t *Table) sortedIDsLocked() []int {
	ids := make([]int, 0, len(t.objects))
	for id := range t.objects {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// raw is the mode's verdict on the latest result (cisco-semantics §4.1).
func (ob *object) raw() State {
	switch {
	case ob.latest.Code == sla.CodeOK:
		return Up
	case ob.latest.Code == sla.CodeOverThreshold && ob.Mode == ModeReachability:
		return Up
	}
	return Down
}

func (ob *object) evaluate(now time.Time) (Change, bool) {
	raw := ob.raw()
	if raw == ob.state {
		ob.pending = false // flipped back before the delay expired: cancelled
		return Change{}, false
	}
	if ob.pending && ob.pendingTo == raw {
		return Change{}, false // already counting down
	}
	delay := ob.DelayDown
	if raw == Up {
		delay = ob.DelayUp
	}
	if delay <= 0 {
		return ob.report(raw, now), true
	}
	ob.pending, ob.pendingTo, ob.pendingAt = true, raw, now.Add(delay)
	return Change{}, false
}

func (ob *object) report(to State, now time.Time) Change {
	c := Change{Object: ob.Object, From: ob.state, To: to, At: now}
	ob.state = to
	ob.changes++
	ob.lastChange = now
	ob.pending = false
	return c
}

// Status is a snapshot of one object for show commands and metrics.
type Status struct {
	Object
	State      State
	Changes    int
	LastChange time.Time
	Latest     sla.Result
	Pending    bool  // a delayed change is counting down
	PendingTo  State // with Pending
	PendingAt  time.Time
}

// Snapshot returns every object's status, sorted by ID.
func (t *Table) Snapshot() []Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Status, 0, len(t.objects))
	for _, id := range t.sortedIDsLocked() {
		ob := t.objects[id]
		out = append(out, Status{
			Object: ob.Object, State: ob.state, Changes: ob.changes, LastChange: ob.lastChange,
			Latest: ob.latest, Pending: ob.pending, PendingTo: ob.pendingTo, PendingAt: ob.pendingAt,
		})
	}
	return out
}
