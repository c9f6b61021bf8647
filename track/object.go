// Package track evaluates IOS track objects from IP SLA results, applying
// `delay up/down`, and reports each state change once.
package track

import "time"

// Track object numbers, as on IOS 15.1(3)T and later.
const (
	MinID = 1
	MaxID = 1000
	// MaxDelay is IOS's limit for delay up/down, in seconds.
	MaxDelay = 180 * time.Second
)

// Mode is how an `ip sla` track maps return codes to Up/Down.
type Mode int

const (
	ModeState        Mode = iota // Up only on OK (IOS default)
	ModeReachability             // Up on OK or over threshold
)

func (m Mode) String() string {
	if m == ModeReachability {
		return "reachability"
	}
	return "state"
}

// Object is one `track N ip sla M [state|reachability]` with its delays.
type Object struct {
	ID        int
	SLA       int
	Mode      Mode
	DelayUp   time.Duration // 0 = report at once
	DelayDown time.Duration
}
