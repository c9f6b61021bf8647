package sla

import (
	"sync"
	"time"
)

// Aggregated statistics, as IOS keeps them in the CISCO-RTTMON-MIB's
// rttMonStatsCaptureTable and rttMonStatsCollectTable: per operation, a
// rolling series of hourly groups (history hours-of-statistics-kept, the
// oldest dropped when a new hour starts), each holding the failures of the
// hour by return code and its completions in distribution buckets of
// statistics-distribution-interval milliseconds each
// (distributions-of-statistics-kept of them; the last one takes every RTT
// above the others). `show ip sla statistics aggregated` prints them.
//
// RTTs are in whole milliseconds, as the MIB keeps them, rounded up as
// `show ip sla statistics` shows them (Result.RTTMillis).

// AggPeriod is the length of one group: an hour, as on IOS.
const AggPeriod = time.Hour

// AggBucket is one statistics distribution bucket of an hour
// (rttMonStatsCaptureEntry): completed runs whose RTT falls in its range.
type AggBucket struct {
	Completions    int    // OK and over threshold (rttMonStatsCaptureCompletions)
	OverThresholds int    // of those, over threshold
	SumMS          int64  // sum of their RTTs, ms
	Sum2MS         uint64 // sum of the squares of their RTTs, ms²
	MinMS, MaxMS   int64  // 0 when Completions is 0
}

// AggHour is one hourly group of an operation.
type AggHour struct {
	Start      time.Time     // rttMonStatsCaptureStartTimeIndex
	IntervalMS int           // width of every bucket but the last
	Buckets    []AggBucket   // distributions-of-statistics-kept of them
	Failures   [numCodes]int // failed runs by return code; Busy counts skipped starts
}

// numCodes is the number of return codes (ReturnCode values).
const numCodes = int(CodeHTTPError) + 1

// BucketRange is bucket i's range in ms: [lo, hi]; open reports that the
// bucket has no upper bound (the last one).
func (h *AggHour) BucketRange(i int) (lo, hi int64, open bool) {
	lo = int64(i * h.IntervalMS)
	if i == len(h.Buckets)-1 {
		return lo, 0, true
	}
	return lo, lo + int64(h.IntervalMS) - 1, false
}

// Total sums the hour's buckets.
func (h *AggHour) Total() AggBucket {
	var t AggBucket
	for _, b := range h.Buckets {
		if b.Completions == 0 {
			continue
		}
		if t.Completions == 0 || b.MinMS < t.MinMS {
			t.MinMS = b.MinMS
		}
		t.MaxMS = max(t.MaxMS, b.MaxMS)
		t.Completions += b.Completions
		t.OverThresholds += b.OverThresholds
		t.SumMS += b.SumMS
		t.Sum2MS += b.Sum2MS
	}
	return t
}

// Failed is the number of failed runs of the hour (busy skips are not
// runs and are not counted).
func (h *AggHour) Failed() int {
	n := 0
	for c, k := range h.Failures {
		if ReturnCode(c) != CodeBusy {
			n += k
		}
	}
	return n
}

// aggregate is an operation's hourly groups. It has its own lock so that a
// Stats copied by Scheduler.Snapshot can be read (Stats.Aggregated) while
// the scheduler records into it: a run takes the entry's lock and then
// this one, a reader only this one, for a copy of a few hundred bytes.
type aggregate struct {
	mu    sync.Mutex
	hours []AggHour // oldest first
}

// hour returns the group that t falls in, starting a new one (and
// dropping the oldest beyond keep) when t is past the current hour. The
// groups stay on the hourly grid of the first one. a.mu is held.
func (a *aggregate) hour(t time.Time, h History) *AggHour {
	if n := len(a.hours); n > 0 {
		cur := &a.hours[n-1]
		if t.Before(cur.Start.Add(AggPeriod)) {
			return cur
		}
		start := cur.Start.Add(t.Sub(cur.Start).Truncate(AggPeriod))
		a.hours = append(a.hours, AggHour{Start: start})
	} else {
		a.hours = append(a.hours, AggHour{Start: t})
	}
	if over := len(a.hours) - h.Hours(); over > 0 {
		a.hours = append(a.hours[:0], a.hours[over:]...)
	}
	cur := &a.hours[len(a.hours)-1]
	cur.IntervalMS = h.Interval()
	cur.Buckets = make([]AggBucket, h.Dists())
	return cur
}

// add records one run that started at r.Start.
func (a *aggregate) add(r Result, h History) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g := a.hour(r.Start, h)
	if !r.Code.Completed() {
		if int(r.Code) < numCodes && r.Code >= 0 {
			g.Failures[r.Code]++
		}
		return
	}
	ms := max(r.RTTMillis(), 0)
	i := min(int(ms/int64(g.IntervalMS)), len(g.Buckets)-1)
	b := &g.Buckets[i]
	if b.Completions == 0 || ms < b.MinMS {
		b.MinMS = ms
	}
	b.MaxMS = max(b.MaxMS, ms)
	b.Completions++
	if r.Code == CodeOverThreshold {
		b.OverThresholds++
	}
	b.SumMS += ms
	b.Sum2MS += uint64(ms) * uint64(ms)
}

// busy records a start skipped at t because a run was still in flight.
func (a *aggregate) busy(t time.Time, h History) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.hour(t, h).Failures[CodeBusy]++
}

// copyHours returns a deep copy of the groups, oldest first.
func (a *aggregate) copyHours() []AggHour {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]AggHour, len(a.hours))
	for i, g := range a.hours {
		g.Buckets = append([]AggBucket(nil), g.Buckets...)
		out[i] = g
	}
	return out
}
