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
}

func (st *Stats) record(r Result, lateness time.Duration) {
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
