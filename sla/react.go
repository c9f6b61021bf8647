package sla

import (
	"fmt"
	"time"
)

// ReactElement is what an `ip sla reaction-configuration` watches.
type ReactElement int

const (
	ReactRTT ReactElement = iota
	ReactTimeout
	ReactConnectionLoss
	ReactVerifyError
)

var reactNames = [...]string{"rtt", "timeout", "connectionLoss", "verifyError"}

// String is the IOS keyword ("rtt", "timeout", "connectionLoss", "verifyError").
func (e ReactElement) String() string {
	if e >= 0 && int(e) < len(reactNames) {
		return reactNames[e]
	}
	return "unknown"
}

// ParseReactElement is the inverse of String, case-insensitive as IOS.
func ParseReactElement(s string) (ReactElement, bool) {
	for i, n := range reactNames {
		if equalFold(n, s) {
			return ReactElement(i), true
		}
	}
	return 0, false
}

// ThresholdType is threshold-type {never|immediate|consecutive N|xofy X Y|average N}.
type ThresholdType int

const (
	ThresholdNever ThresholdType = iota
	ThresholdImmediate
	ThresholdConsecutive
	ThresholdXofY
	ThresholdAverage
)

var thresholdNames = [...]string{"never", "immediate", "consecutive", "xOfy", "average"}

func (t ThresholdType) String() string {
	if t >= 0 && int(t) < len(thresholdNames) {
		return thresholdNames[t]
	}
	return "unknown"
}

// ActionType is action-type {none|trapOnly|triggerOnly|trapAndTrigger}.
type ActionType int

const (
	ActionNone ActionType = iota
	ActionTrapOnly
	ActionTriggerOnly
	ActionTrapAndTrigger
)

var actionNames = [...]string{"none", "trapOnly", "triggerOnly", "trapAndTrigger"}

func (a ActionType) String() string {
	if a >= 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "unknown"
}

// Trap reports whether the action writes the IOS threshold log line.
func (a ActionType) Trap() bool { return a == ActionTrapOnly || a == ActionTrapAndTrigger }

// Trigger reports whether the action starts the reaction-trigger targets.
func (a ActionType) Trigger() bool { return a == ActionTriggerOnly || a == ActionTrapAndTrigger }

// Reaction is one `ip sla reaction-configuration N react ELEMENT ...`,
// with the MIB defaults (cisco-semantics §2.3): threshold-type never,
// action none, X = Y = 5, consecutive/average count 5, rtt limits 5000 and
// 3000 ms.
type Reaction struct {
	Element ReactElement
	Type    ThresholdType
	Count   int // consecutive N, average N; X of xofy
	Of      int // Y of xofy
	Upper   time.Duration
	Lower   time.Duration
	Action  ActionType
}

// NewReaction returns the reaction to e with the IOS defaults.
func NewReaction(e ReactElement) Reaction {
	return Reaction{Element: e, Count: 5, Of: 5, Upper: 5000 * time.Millisecond, Lower: 3000 * time.Millisecond}
}

// ReactState is what a reaction remembers between results. The zero value
// is the state before the first result (nothing occurred).
type ReactState struct {
	Occurred bool
	bad      int // consecutive violations
	good     int // consecutive non-violations
	window   []int8
	rtts     []time.Duration
}

// ReactEvent is the outcome of one result for a reaction.
type ReactEvent int

const (
	ReactNoChange ReactEvent = iota
	ReactOccurred
	ReactCleared
)

// verdict says whether r violates the reaction's element: +1 violates,
// -1 is good (for rtt: below the lower limit), 0 neither (no opinion).
func (rc Reaction) verdict(r Result) int {
	switch rc.Element {
	case ReactRTT:
		switch {
		case !r.Code.Completed():
			return 0
		case r.RTT > rc.Upper:
			return 1
		case r.RTT < rc.Lower:
			return -1
		}
		return 0
	case ReactTimeout:
		return violates(r.Code == CodeTimeout)
	case ReactConnectionLoss:
		return violates(r.Code == CodeNoConnection || r.Code == CodeSocketConnectError)
	case ReactVerifyError:
		return violates(r.Code == CodeVerifyError)
	}
	return 0
}

func violates(b bool) int {
	if b {
		return 1
	}
	return -1
}

// Observe feeds one result to the reaction and returns whether the
// threshold condition occurred or cleared with it (one event per
// transition, as the MIB says). It is a pure function of st and r.
//
//   - immediate: occurs on a violating result, clears on a good one;
//   - consecutive N: occurs after N violations in a row, clears after N
//     good results in a row;
//   - xofy X Y: occurs when at least X of the last Y results violate,
//     clears when fewer than X do;
//   - average N (rtt only): occurs when the mean RTT of the last N
//     completed runs is above the upper limit, clears when it is below
//     the lower one.
//
// For rtt a result "violates" above the upper limit and is "good" below
// the lower one; in between, and for failed runs, it changes nothing.
func (rc Reaction) Observe(st *ReactState, r Result) ReactEvent {
	v := rc.verdict(r)
	var occur, clear bool
	switch rc.Type {
	case ThresholdNever:
		return ReactNoChange
	case ThresholdImmediate:
		occur, clear = v > 0, v < 0
	case ThresholdConsecutive:
		switch {
		case v > 0:
			st.bad, st.good = st.bad+1, 0
		case v < 0:
			st.bad, st.good = 0, st.good+1
		}
		occur, clear = st.bad >= rc.Count, st.good >= rc.Count
	case ThresholdXofY:
		if v == 0 {
			return ReactNoChange
		}
		st.window = append(st.window, int8(max(v, 0)))
		if len(st.window) > rc.Of {
			st.window = st.window[len(st.window)-rc.Of:]
		}
		n := 0
		for _, b := range st.window {
			n += int(b)
		}
		occur, clear = n >= rc.Count && rc.Count <= rc.Of, n < rc.Count
	case ThresholdAverage:
		if rc.Element != ReactRTT || !r.Code.Completed() {
			return ReactNoChange
		}
		st.rtts = append(st.rtts, r.RTT)
		if len(st.rtts) > rc.Count {
			st.rtts = st.rtts[len(st.rtts)-rc.Count:]
		}
		if len(st.rtts) < rc.Count {
			return ReactNoChange
		}
		var sum time.Duration
		for _, d := range st.rtts {
			sum += d
		}
		avg := sum / time.Duration(len(st.rtts))
		occur, clear = avg > rc.Upper, avg < rc.Lower
	}
	switch {
	case occur && !st.Occurred:
		st.Occurred = true
		return ReactOccurred
	case clear && st.Occurred:
		st.Occurred = false
		return ReactCleared
	}
	return ReactNoChange
}

// TrapLine is the IOS syslog line for an event of operation id
// (`%RTT-3-IPSLATHRESHOLD: IP SLAs(1): Threshold Occurred for timeout`).
func (rc Reaction) TrapLine(id int, ev ReactEvent) string {
	what := "Occurred"
	if ev == ReactCleared {
		what = "Cleared"
	}
	return fmt.Sprintf("%%RTT-3-IPSLATHRESHOLD: IP SLAs(%d): Threshold %s for %s", id, what, rc.Element)
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
