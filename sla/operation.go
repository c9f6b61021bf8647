// Package sla runs IP SLA operations (probes) on IOS-style schedules and
// reports each run's result with the IOS return-code vocabulary.
package sla

import (
	"net/netip"
	"time"
)

// IOS defaults for a newly created operation (cisco-semantics §1.4, §2.1).
const (
	DefaultFrequency = 60 * time.Second
	DefaultTimeout   = 5000 * time.Millisecond
	DefaultThreshold = 5000 * time.Millisecond
	DefaultLife      = 3600 * time.Second

	MinID = 1
	MaxID = 2147483647
)

// Operation is one `ip sla N` entry: what to probe and how often.
// Build one with NewOperation so the IOS defaults are in force.
type Operation struct {
	ID int

	// DNS is the dns operation; it is the only type so far, and every
	// configured operation has exactly one type.
	DNS *DNS

	Frequency time.Duration // 1 s - 604800 s, default 60 s
	Timeout   time.Duration // 0 - 604800000 ms, default 5000 ms
	Threshold time.Duration // 0 - 2147483647 ms, default 5000 ms
	Owner     string
	Tag       string

	Schedule Schedule
}

// NewOperation returns operation id with the IOS defaults, unscheduled.
func NewOperation(id int) Operation {
	return Operation{
		ID:        id,
		Frequency: DefaultFrequency,
		Timeout:   DefaultTimeout,
		Threshold: DefaultThreshold,
		Schedule:  Schedule{Life: DefaultLife},
	}
}

// TypeName is the IOS name of the operation type ("dns").
func (o *Operation) TypeName() string {
	switch {
	case o.DNS != nil:
		return "dns"
	}
	return "unknown"
}

// DNS is `dns TARGET name-server ADDR [source-ip A] [source-port P]`.
// A target that is an IPv4 address is queried as PTR, a host name as A.
type DNS struct {
	Target     string
	NameServer netip.Addr
	SourceIP   netip.Addr // invalid (zero) when not set
	SourcePort uint16     // 0 when not set
}

// StartKind says when a scheduled operation starts.
type StartKind int

const (
	StartPending StartKind = iota // IOS default: wait (for a trigger)
	StartNow
	StartAfter // start-time after hh:mm:ss
)

func (k StartKind) String() string {
	switch k {
	case StartNow:
		return "now"
	case StartAfter:
		return "after"
	}
	return "pending"
}

// Schedule is `ip sla schedule N life {forever|S} start-time {now|pending|after hh:mm:ss}`.
// The zero Schedule with Life DefaultLife is "not scheduled": IOS keeps such
// an entry pending and collects nothing.
type Schedule struct {
	Scheduled bool          // an `ip sla schedule N` line exists
	Forever   bool          // life forever
	Life      time.Duration // when !Forever; default 3600 s
	Start     StartKind
	After     time.Duration // with StartAfter
}

// Active reports whether the schedule makes the operation run at all.
func (s Schedule) Active() bool { return s.Scheduled && s.Start != StartPending }

// Equal reports whether o and p configure the same operation.
func (o Operation) Equal(p Operation) bool {
	if (o.DNS == nil) != (p.DNS == nil) || o.DNS != nil && *o.DNS != *p.DNS {
		return false
	}
	o.DNS, p.DNS = nil, nil
	return o == p
}
