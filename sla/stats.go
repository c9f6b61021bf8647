package sla

import (
	"slices"
	"time"
)

// OperState is the MIB rttMonCtrlOperState of an entry.
type OperState int

const (
	StatePending  OperState = iota // not scheduled, or waiting for its start
	StateActive                    // running on its schedule
	StateInactive                  // its life ran out
)

func (s OperState) String() string {
	switch s {
	case StateActive:
		return "Active"
	case StateInactive:
		return "Inactive"
	}
	return "Pending"
}

// Stats is what `show ip sla statistics` prints for one operation.
type Stats struct {
	ID     int
	Type   string // "dns"
	Target string // what the summary's Destination column shows
	State  OperState

	Runs           int // completed runs, successes + failures
	Successes      int // OK and over threshold
	Failures       int
	OverThresholds int
	Busies         int // starts skipped because a run was still in flight
	Traps          int // reaction events with a trap action (occurred and cleared)
	Triggers       int // reaction-trigger starts this operation caused
	// ElementTraps splits Traps by reaction element (ReactRTT,
	// ReactTimeout, ...).
	ElementTraps [numReactElements]int

	Latest     Result   // Code Unknown until the first run completes
	History    []Result // history buckets, oldest first (history lives-kept/filter)
	RTTMin     time.Duration
	RTTMax     time.Duration
	RTTSum     time.Duration
	RTTCount   int
	Lateness   time.Duration // latest start minus its scheduled time
	Reset      time.Time     // when the entry started or counters were cleared
	LifeEnd    time.Time
	HasLifeEnd bool

	inFlight bool
	agg      *aggregate // hourly distribution statistics; nil when off or before the first run
}

func (st *Stats) record(r Result, lateness time.Duration, h History) {
	if h.Hours() > 0 {
		if st.agg == nil {
			st.agg = &aggregate{}
		}
		st.agg.add(r, h)
	}
	st.Latest = r
	st.Lateness = lateness
	st.Runs++
	if r.Code.Completed() {
		st.Successes++
		if r.Code == CodeOverThreshold {
			st.OverThresholds++
		}
		if st.RTTCount == 0 || r.RTT < st.RTTMin {
			st.RTTMin = r.RTT
		}
		if r.RTT > st.RTTMax {
			st.RTTMax = r.RTT
		}
		st.RTTSum += r.RTT
		st.RTTCount++
	} else {
		st.Failures++
	}
}

// busy counts a start skipped at t because a run was still in flight.
func (st *Stats) busy(t time.Time, h History) {
	st.Busies++
	if h.Hours() > 0 {
		if st.agg == nil {
			st.agg = &aggregate{}
		}
		st.agg.busy(t, h)
	}
}

// Aggregated returns a copy of the operation's hourly statistics, oldest
// hour first (none when hours-of-statistics-kept is 0 or nothing ran yet).
// It may be called on a Stats from Scheduler.Snapshot while the
// operation keeps running.
func (st *Stats) Aggregated() []AggHour {
	if st.agg == nil {
		return nil
	}
	return st.agg.copyHours()
}

// numReactElements is the number of reaction elements (ReactElement values).
const numReactElements = int(ReactVerifyError) + 1

// occurredBits is the Occurred flag of each reaction state, as bits.
func occurredBits(states []ReactState) uint64 {
	var b uint64
	for i := range min(len(states), 64) {
		if states[i].Occurred {
			b |= 1 << i
		}
	}
	return b
}

// countElementTraps counts, per element, the reactions with a trap action
// whose Occurred flag changed between the bits before and after a run: each
// change is one event (occurred or cleared), as Stats.Traps counts them.
func (st *Stats) countElementTraps(rcs []Reaction, before, after uint64) {
	changed := before ^ after
	for i, rc := range rcs {
		if i < 64 && changed&(1<<i) != 0 && rc.Action.Trap() && int(rc.Element) < numReactElements {
			st.ElementTraps[rc.Element]++
		}
	}
}

func (st *Stats) resetCounters(now time.Time) {
	latest, state, inFlight := st.Latest, st.State, st.inFlight
	lifeEnd, has := st.LifeEnd, st.HasLifeEnd
	*st = Stats{ID: st.ID, Type: st.Type, Target: st.Target, Reset: now}
	st.Latest, st.State, st.inFlight = latest, state, inFlight
	st.LifeEnd, st.HasLifeEnd = lifeEnd, has
}

// RTTAvg is the mean RTT of completed runs, 0 when there were none.
func (st Stats) RTTAvg() time.Duration {
	if st.RTTCount == 0 {
		return 0
	}
	return st.RTTSum / time.Duration(st.RTTCount)
}

func sortStats(s []Stats) {
	slices.SortFunc(s, func(a, b Stats) int { return a.ID - b.ID })
}
