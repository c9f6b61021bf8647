package track

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
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
// "%TRACK-6-STATE: 101 ip sla 101 state Down -> Up" or
// "%TRACK-6-STATE: 9 list boolean and Down -> Up".
func (c Change) String() string {
	return fmt.Sprintf("%%TRACK-6-STATE: %d %s %s -> %s", c.Object.ID, c.Object.Describe(), c.From, c.To)
}

// Describe is "<type words> <instance> <mode>" without empty parts, e.g.
// "interface eth0 line-protocol", "list threshold weight", "stub-object".
func (o Object) Describe() string {
	var parts []string
	for _, s := range []string{o.TypeWords(), o.Instance(), o.Parameter()} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

// LinkState is one network interface as the kernel reports it.
type LinkState struct {
	Name   string
	Exists bool
	Up     bool // line protocol (operational state) up
	IPv4   bool // has an IPv4 address
}

// RouteState is the best route for one prefix in one routing table
// (VRF "" is the main table).
type RouteState struct {
	VRF       string
	Prefix    netip.Prefix
	Present   bool
	Metric    int    // kernel route priority of the best route
	Protocol  string // e.g. "kernel", "static", "bgp"
	Interface string // first hop
}

type routeKey struct {
	vrf    string
	prefix netip.Prefix
}

// RouteKey is what a route object watches: its VRF and prefix.
type RouteKey struct {
	VRF    string
	Prefix netip.Prefix
}

// Table is the set of track objects as a pure state machine: time is always
// an argument, so the owner decides when things happen and tests need no
// clock. It is safe for concurrent use (show commands read it while the
// owner drives it).
//
// Per object:
//
//	verdict   = the type's judgement of its input (an SLA result, the
//	            interface or route state, the members' reported states,
//	            the stub setting); Down before any input
//	effective = verdict after count hysteresis (extension): it follows the
//	            verdict once the verdict held for HysteresisUp/Down inputs
//	target    = effective, or Down while flap damping suppresses the object
//	reported  = what clients (routes, lists) see:
//	target != reported, no pending change -> pending change at now+delay
//	target == reported while pending      -> pending change cancelled (IOS)
//	pending deadline reached              -> reported = target, one Change
//
// A list is a client of its members: every reported member change
// re-evaluates the lists holding it, whose own delay then applies.
type Table struct {
	mu          sync.Mutex // protects everything below
	objects     map[int]*object
	links       map[string]LinkState
	linksSynced bool
	routes      map[routeKey]RouteState

	// Indexes, rebuilt by Set: object IDs in order, the objects in that
	// order (Next scans them after every event of the daemon's loop: a
	// slice, not the map), and who watches what.
	ids     []int
	ordered []*object
	bySLA   map[int][]*object
	byLink  map[string][]*object
	byRoute map[routeKey][]*object
	listsOf map[int][]*object // member ID -> the lists holding it, by ID
}

type object struct {
	Object
	state      State
	changes    int
	lastChange time.Time
	latest     sla.Result // Code Unknown until the first result
	stub       State
	verdict    State // the last verdict (threshold lists keep it between bounds)
	eff        State
	streak     int // consecutive verdicts differing from eff
	penalty    float64
	penaltyAt  time.Time
	suppressed bool
	pending    bool
	pendingTo  State
	pendingAt  time.Time
}

// NewTable returns an empty table.
func NewTable() *Table {
	return &Table{objects: map[int]*object{}, links: map[string]LinkState{}, routes: map[routeKey]RouteState{}}
}

// Set makes objs the table's configuration at time now and returns the
// changes that follow at once (lists and interface or route objects judged
// on what is already known). An object whose definition is unchanged keeps
// its state and counters, and so does one where only delays, hysteresis or
// damping changed. A new or changed object starts as IOS creates one:
// Down, return code Unknown, "1 change" (a stub object in its
// default-state) — unless its ID is in presumeUp, which starts it Up
// instead (used at daemon start for objects whose routes were adopted from
// a previous run, so that a restart with healthy servers does not flap them).
func (t *Table) Set(objs []Object, now time.Time, presumeUp map[int]bool) []Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	next := make(map[int]*object, len(objs))
	for _, o := range objs {
		cur, ok := t.objects[o.ID]
		if ok && cur.Object.Equal(o) {
			next[o.ID] = cur
			continue
		}
		if ok && cur.sameInput(o) {
			cur.Object = o
			if !o.Dampening.Enabled {
				cur.suppressed, cur.penalty = false, 0
			}
			next[o.ID] = cur
			continue
		}
		ob := &object{Object: o, changes: 1, lastChange: now}
		if o.Type == TypeStub {
			ob.state, ob.stub = o.DefaultState, o.DefaultState
		}
		if presumeUp[o.ID] {
			ob.state = Up
		}
		ob.eff, ob.verdict = ob.state, ob.state
		next[o.ID] = ob
	}
	t.objects = next
	t.reindex()
	var out []Change
	for _, id := range t.ids {
		ob := t.objects[id]
		if ob.Type == TypeInterface && !t.linksSynced {
			continue
		}
		if _, known := t.routes[ob.routeKey()]; ob.Type == TypeRoute && !known {
			continue
		}
		if ob.Type == TypeSLA {
			continue // judged on results only (hysteresis counts them)
		}
		if c, ok := t.step(ob, now); ok {
			out = append(out, c)
		}
	}
	// Lists may hold lists: repeat until nothing moves (no cycles: the
	// configuration forbids them; the bound guards anyway).
	for range len(t.objects) {
		var more []Change
		for _, id := range t.ids {
			if ob := t.objects[id]; ob.Type == TypeList {
				if c, ok := t.step(ob, now); ok {
					more = append(more, c)
				}
			}
		}
		if len(more) == 0 {
			break
		}
		out = append(out, more...)
	}
	return out
}

// reindex rebuilds the indexes after the objects changed.
func (t *Table) reindex() {
	t.ids = t.ids[:0]
	for id := range t.objects {
		t.ids = append(t.ids, id)
	}
	slices.Sort(t.ids)
	t.ordered = t.ordered[:0]
	for _, id := range t.ids {
		t.ordered = append(t.ordered, t.objects[id])
	}
	t.bySLA, t.byLink = map[int][]*object{}, map[string][]*object{}
	t.byRoute, t.listsOf = map[routeKey][]*object{}, map[int][]*object{}
	for _, id := range t.ids {
		ob := t.objects[id]
		switch ob.Type {
		case TypeSLA:
			t.bySLA[ob.SLA] = append(t.bySLA[ob.SLA], ob)
		case TypeInterface:
			t.byLink[ob.Interface] = append(t.byLink[ob.Interface], ob)
		case TypeRoute:
			t.byRoute[ob.routeKey()] = append(t.byRoute[ob.routeKey()], ob)
		case TypeList:
			for _, m := range ob.Members {
				if l := t.listsOf[m.ID]; len(l) == 0 || l[len(l)-1] != ob {
					t.listsOf[m.ID] = append(l, ob)
				}
			}
		}
	}
}

// Observe feeds one operation result to every ip sla object that tracks it
// and returns the changes reported at once, lists included.
func (t *Table) Observe(r sla.Result, now time.Time) []Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ob := range t.bySLA[r.ID] {
		ob.latest = r
	}
	return t.feed(now, t.bySLA[r.ID])
}

// Forget returns every object tracking operation id to "no result" (the
// operation was deleted or unscheduled), which IOS shows as Down/Unknown.
func (t *Table) Forget(slaID int, now time.Time) []Change {
	return t.Observe(sla.Result{ID: slaID, Code: sla.CodeUnknown}, now)
}

// ObserveLink records one interface's state and judges the interface
// objects that watch it.
func (t *Table) ObserveLink(s LinkState, now time.Time) []Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.links[s.Name] = s
	if !t.linksSynced {
		return nil
	}
	return t.feed(now, t.byLink[s.Name])
}

// SyncLinks replaces everything known about interfaces with a full dump:
// an interface not in all does not exist. Interface objects are judged
// only after the first SyncLinks.
func (t *Table) SyncLinks(all []LinkState, now time.Time) []Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.links = make(map[string]LinkState, len(all))
	for _, s := range all {
		t.links[s.Name] = s
	}
	t.linksSynced = true
	var ifs []*object
	for _, id := range t.ids {
		if ob := t.objects[id]; ob.Type == TypeInterface {
			ifs = append(ifs, ob)
		}
	}
	return t.feed(now, ifs)
}

// ObserveRoute records the best route for one prefix and judges the route
// objects that watch it.
func (t *Table) ObserveRoute(s RouteState, now time.Time) []Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := routeKey{s.VRF, s.Prefix.Masked()}
	s.Prefix = k.prefix
	t.routes[k] = s
	return t.feed(now, t.byRoute[k])
}

// RouteKeys lists the prefixes route objects watch, for the route monitor.
func (t *Table) RouteKeys() []RouteKey {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []RouteKey
	for _, id := range t.ids {
		if ob := t.objects[id]; ob.Type == TypeRoute {
			k := ob.routeKey()
			if !slices.Contains(out, RouteKey{k.vrf, k.prefix}) {
				out = append(out, RouteKey{k.vrf, k.prefix})
			}
		}
	}
	return out
}

// ErrNotStub is returned by SetStub for an object that is not a stub.
var ErrNotStub = errors.New("not a stub object")

// SetStub sets stub object id to s (IOS `track set`, EEM `action track
// set`): the operator's drain switch.
func (t *Table) SetStub(id int, s State, now time.Time) ([]Change, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ob, ok := t.objects[id]
	if !ok {
		return nil, fmt.Errorf("track %d does not exist", id)
	}
	if ob.Type != TypeStub {
		return nil, fmt.Errorf("track %d: %w", id, ErrNotStub)
	}
	ob.stub = s
	return t.feed(now, []*object{ob}), nil
}

// feed judges objs, whose input changed, and passes the resulting changes
// on to lists.
func (t *Table) feed(now time.Time, objs []*object) []Change {
	var out []Change
	for _, ob := range objs {
		if c, ok := t.step(ob, now); ok {
			out = append(out, c)
		}
	}
	return t.propagate(out, now)
}

// propagate re-evaluates the lists holding each changed object, and the
// lists holding those, and returns changes followed by the lists' changes.
func (t *Table) propagate(changes []Change, now time.Time) []Change {
	for i := 0; i < len(changes) && i < 100*(len(t.objects)+1); i++ {
		for _, l := range t.listsOf[changes[i].Object.ID] {
			if c, ok := t.step(l, now); ok {
				changes = append(changes, c)
			}
		}
	}
	return changes
}

// Advance reports the delayed changes whose time has come, and ends flap
// damping suppressions whose penalty has decayed below reuse.
func (t *Table) Advance(now time.Time) []Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Change
	for _, id := range t.ids {
		ob := t.objects[id]
		if ob.suppressed {
			if at := ob.reuseAt(); !now.Before(at) {
				ob.decay(now)
				ob.suppressed = false
				if c, ok := ob.evaluate(ob.eff, now); ok {
					out = append(out, c)
				}
			}
		}
		if ob.pending && !now.Before(ob.pendingAt) {
			out = append(out, ob.report(ob.pendingTo, now))
		}
	}
	return t.propagate(out, now)
}

// Next returns the earliest time Advance has work: a delay deadline or the
// end of a suppression.
func (t *Table) Next() (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var next time.Time
	found := false
	consider := func(at time.Time) {
		if !found || at.Before(next) {
			next, found = at, true
		}
	}
	for _, ob := range t.ordered {
		if ob.pending {
			consider(ob.pendingAt)
		}
		if ob.suppressed {
			consider(ob.reuseAt())
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

func (ob *object) routeKey() routeKey { return routeKey{ob.VRF, ob.Prefix.Masked()} }

// judge is the type's verdict on the object's current input
// (cisco-semantics §4.1, §4.3).
func (t *Table) judge(ob *object) State {
	up := func(b bool) State {
		if b {
			return Up
		}
		return Down
	}
	switch ob.Type {
	case TypeSLA:
		c := ob.latest.Code
		return up(c == sla.CodeOK || c == sla.CodeOverThreshold && ob.Mode == ModeReachability)
	case TypeInterface:
		l := t.links[ob.Interface]
		return up(l.Exists && l.Up && (ob.Mode != ModeIPRouting || l.IPv4))
	case TypeRoute:
		r := t.routes[ob.routeKey()]
		if ob.Mode != ModeMetricThreshold || !r.Present {
			return up(r.Present)
		}
		u, d := ob.metricThresholds()
		switch m := min(r.Metric, 255); {
		case m <= u:
			return Up
		case m >= d:
			return Down
		}
		return ob.verdict
	case TypeStub:
		return ob.stub
	case TypeList:
		return t.judgeList(ob)
	}
	return Down
}

func (t *Table) judgeList(ob *object) State {
	memberUp := func(m Member) bool {
		o, ok := t.objects[m.ID]
		return ok && o.state == Up
	}
	switch ob.List {
	case ListAnd, ListOr:
		all, any := len(ob.Members) > 0, false
		for _, m := range ob.Members {
			u := memberUp(m) != m.Not
			all = all && u
			any = any || u
		}
		if ob.List == ListAnd && all || ob.List == ListOr && any {
			return Up
		}
		return Down
	}
	sum, total := 0, 0
	for _, m := range ob.Members {
		w := 1
		if ob.List == ListWeight {
			w = weight(m)
		}
		total += w
		if memberUp(m) {
			sum += w
		}
	}
	u, d := ob.listThresholds()
	if ob.List == ListPercentage {
		// Compare sum/total*100 with the thresholds without rounding.
		switch {
		case total > 0 && sum*100 >= u*total:
			return Up
		case total == 0 || sum*100 <= d*total:
			return Down
		}
		return ob.verdict
	}
	switch {
	case sum >= u:
		return Up
	case sum <= d:
		return Down
	}
	return ob.verdict
}

func weight(m Member) int {
	if m.Weight == 0 {
		return DefaultWeight
	}
	return m.Weight
}

// step judges ob's input and runs it through hysteresis, damping and delay.
func (t *Table) step(ob *object, now time.Time) (Change, bool) {
	v := t.judge(ob)
	ob.verdict = v
	if v == ob.eff {
		ob.streak = 0
	} else {
		ob.streak++
		need := ob.HysteresisDown
		if v == Up {
			need = ob.HysteresisUp
		}
		if ob.streak >= need {
			if ob.eff == Up && ob.Dampening.Enabled {
				ob.flap(now)
			}
			ob.eff, ob.streak = v, 0
		}
	}
	target := ob.eff
	if ob.suppressed {
		target = Down
	}
	return ob.evaluate(target, now)
}

// flap charges one Up->Down flap to the damping penalty.
func (ob *object) flap(now time.Time) {
	d := ob.damping()
	ob.decay(now)
	ob.penalty += DefaultPenalty
	if limit := float64(d.Reuse) * math.Exp2(float64(d.MaxSuppress)/float64(d.HalfLife)); ob.penalty > limit {
		ob.penalty = limit
	}
	if ob.penalty >= float64(d.Suppress) {
		ob.suppressed = true
	}
}

// decay brings the penalty to time now.
func (ob *object) decay(now time.Time) {
	if ob.penalty > 0 && now.After(ob.penaltyAt) {
		ob.penalty *= math.Exp2(-float64(now.Sub(ob.penaltyAt)) / float64(ob.damping().HalfLife))
	}
	ob.penaltyAt = now
}

// penaltyNow returns the penalty decayed to now, without changing ob.
func (ob *object) penaltyNow(now time.Time) float64 {
	if ob.penalty == 0 || !now.After(ob.penaltyAt) {
		return ob.penalty
	}
	return ob.penalty * math.Exp2(-float64(now.Sub(ob.penaltyAt))/float64(ob.damping().HalfLife))
}

// reuseAt is when the penalty decays to the reuse threshold, rounded up to
// a whole millisecond so that Advance at that time sees it there.
func (ob *object) reuseAt() time.Time {
	d := ob.damping()
	if ob.penalty <= float64(d.Reuse) {
		return ob.penaltyAt
	}
	dt := time.Duration(float64(d.HalfLife) * math.Log2(ob.penalty/float64(d.Reuse)))
	return ob.penaltyAt.Add(dt).Truncate(time.Millisecond).Add(time.Millisecond)
}

// evaluate applies delay up/down and IOS's cancellation rule.
func (ob *object) evaluate(target State, now time.Time) (Change, bool) {
	if target == ob.state {
		ob.pending = false // flipped back before the delay expired: cancelled
		return Change{}, false
	}
	if ob.pending && ob.pendingTo == target {
		return Change{}, false // already counting down
	}
	delay := ob.DelayDown
	if target == Up {
		delay = ob.DelayUp
	}
	if delay <= 0 {
		return ob.report(target, now), true
	}
	ob.pending, ob.pendingTo, ob.pendingAt = true, target, now.Add(delay)
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
	Latest     sla.Result // ip sla objects
	Link       LinkState  // interface objects: the interface as last seen
	Route      RouteState // route objects: the best route as last seen
	Verdict    State      // the input's verdict before hysteresis and damping
	Streak     int        // hysteresis: consecutive verdicts against the state
	Penalty    int        // flap damping penalty now
	Suppressed bool       // flap damping holds the object Down
	Pending    bool       // a delayed change is counting down
	PendingTo  State      // with Pending
	PendingAt  time.Time
}

// Snapshot returns every object's status at time now, sorted by ID.
func (t *Table) Snapshot(now time.Time) []Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Status, 0, len(t.objects))
	for _, id := range t.ids {
		ob := t.objects[id]
		out = append(out, Status{
			Object: ob.Object, State: ob.state, Changes: ob.changes, LastChange: ob.lastChange,
			Latest: ob.latest, Link: t.links[ob.Interface], Route: t.routes[ob.routeKey()],
			Verdict: ob.verdict, Streak: ob.streak, Penalty: int(math.Round(ob.penaltyNow(now))),
			Suppressed: ob.suppressed, Pending: ob.pending, PendingTo: ob.pendingTo, PendingAt: ob.pendingAt,
		})
	}
	return out
}

// Presume extends ids (objects presumed Up) with the members a presumed
// boolean list needs Up to stay Up: every member without `not`, through
// nested lists. Threshold lists and negated members are left alone.
func Presume(objs []Object, ids map[int]bool) map[int]bool {
	byID := map[int]Object{}
	for _, o := range objs {
		byID[o.ID] = o
	}
	out := map[int]bool{}
	var walk func(id, depth int)
	walk = func(id, depth int) {
		if out[id] || depth > len(objs) {
			return
		}
		out[id] = true
		o := byID[id]
		if o.Type != TypeList || o.List.Threshold() {
			return
		}
		for _, m := range o.Members {
			if !m.Not {
				walk(m.ID, depth+1)
			}
		}
	}
	for id := range ids {
		walk(id, 0)
	}
	return out
}
