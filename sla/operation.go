// Package sla runs IP SLA operations (probes) on IOS-style schedules and
// reports each run's result with the IOS return-code vocabulary.
//
// Operation types: dns (with ipslad's query extensions), icmp-echo,
// tcp-connect, udp-echo and http (get and raw). The Scheduler keeps statistics and
// history per operation, evaluates reactions (traps as IOS log lines,
// triggers of pending operations) and is built to run tens of thousands of
// dns operations: UDP queries share one socket per source address, runs
// need no goroutine of their own, and wake-ups are batched on a 2 ms grid
// (BENCHMARKS.md).
package sla

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"time"

	"github.com/miekg/dns"
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

	// The operation's type: a configured operation has exactly one of
	// these set.
	DNS        *DNS
	ICMPEcho   *ICMPEcho
	TCPConnect *TCPConnect
	UDPEcho    *UDPEcho
	HTTP       *HTTP

	Frequency time.Duration // 1 s - 604800 s, default 60 s
	Timeout   time.Duration // 0 - 604800000 ms, default 5000 ms
	Threshold time.Duration // 0 - 2147483647 ms, default 5000 ms
	Owner     string
	Tag       string

	// Common sub-commands of the types that have them (cisco-semantics
	// §1.4): vrf for every type; tos, request-data-size and verify-data
	// not for dns.
	VRF        string // Linux VRF device the probe's socket is bound to
	TOS        uint8
	DataSize   int  // request-data-size; 0: the type's default
	VerifyData bool // udp-echo: the echoed data must match what was sent
	History    History

	// DataPattern is data-pattern (icmp-echo, udp-echo): upper-case hex
	// digits whose bytes fill the payload; "" is DefaultDataPattern.
	DataPattern string

	Schedule Schedule

	// Reactions are the `ip sla reaction-configuration ID react ...`
	// lines, one per element; Triggers the targets of `ip sla
	// reaction-trigger ID T`; LogTraps is `ip sla logging traps` (global on
	// IOS, copied into every operation).
	Reactions []Reaction
	Triggers  []int
	LogTraps  bool
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

// TypeName is the IOS name of the operation type ("dns", "icmp-echo",
// "tcp-connect", "udp-echo", "http").
func (o *Operation) TypeName() string {
	switch {
	case o.DNS != nil:
		return "dns"
	case o.ICMPEcho != nil:
		return "icmp-echo"
	case o.TCPConnect != nil:
		return "tcp-connect"
	case o.UDPEcho != nil:
		return "udp-echo"
	case o.HTTP != nil:
		return "http"
	}
	return "unknown"
}

// HasType reports whether the operation has its type line.
func (o *Operation) HasType() bool { return o.TypeName() != "unknown" }

// DNS is `dns TARGET name-server ADDR [source-ip A] [source-port P]`.
// A target that is an IPv4 or IPv6 address is queried as PTR, a host name
// as A.
//
// The fields after SourcePort are ipslad extensions beyond IOS, set by
// sub-commands of the dns block (config package documentation); their zero
// values are IOS's behaviour: one UDP query with recursion desired, no EDNS,
// success on NOERROR with at least one record of the asked type.
// DNS stays comparable with ==.
type DNS struct {
	Target     string
	NameServer netip.Addr
	SourceIP   netip.Addr // invalid (zero) when not set
	SourcePort uint16     // 0 when not set

	QueryType    uint16 // query-type; 0: PTR for an address target, A otherwise
	Rcodes       uint16 // accept-rcode: bit n accepts RCODE n; 0 means NOERROR only
	Expect       string // expect-answer: an address, or a regular expression
	ExpectRegexp bool   // Expect is a regular expression (expect-answer regexp RE)
	NoRecursion  bool   // no recursion-desired: clear the RD bit
	TCP          bool   // transport tcp
	TCPFallback  bool   // tcp-fallback: repeat a truncated UDP query over TCP
	EDNSBufSize  uint16 // edns buffer-size N: add an OPT record; 0 sends none
}

// Qtype is the query type the operation asks.
func (d DNS) Qtype() uint16 {
	if d.QueryType != 0 {
		return d.QueryType
	}
	if _, err := netip.ParseAddr(d.Target); err == nil {
		return dns.TypePTR
	}
	return dns.TypeA
}

// Accepts reports whether a reply with rcode counts as an answer.
func (d DNS) Accepts(rcode int) bool {
	if d.Rcodes == 0 {
		return rcode == dns.RcodeSuccess
	}
	return rcode >= 0 && rcode < 16 && d.Rcodes&(1<<rcode) != 0
}

// StartKind says when a scheduled operation starts.
type StartKind int

const (
	StartPending StartKind = iota // IOS default: wait (for a trigger)
	StartNow
	StartAfter  // start-time after hh:mm:ss
	StartRandom // start-time random MS: at a random time within MS
	StartAt     // start-time hh:mm[:ss] [month day]: at that router-clock time
)

func (k StartKind) String() string {
	switch k {
	case StartNow:
		return "now"
	case StartAfter:
		return "after"
	case StartRandom:
		return "random"
	case StartAt:
		return "at"
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
	After     time.Duration // with StartAfter; with StartAt, the time of day
	Random    time.Duration // with StartRandom: 500-10000 ms
	Month     time.Month    // with StartAt: the date, or 0 for the next time of day
	Day       int
	Ageout    time.Duration // drop the entry's statistics after this long inactive or pending; 0 never
	Recurring bool          // run every day at the start time for Life

	// Set by `ip sla group schedule G OPLIST schedule-period S [frequency F] ...`:
	// the group, its period and frequency (0: the period, as IOS), and
	// this operation's start offset within the period (starts spread
	// evenly over it).
	Group          int
	GroupPeriod    time.Duration
	GroupFrequency time.Duration
	GroupOffset    time.Duration
	// GroupFrequencyMax is B of `frequency range A-B` (GroupFrequency is
	// A): IOS's random scheduler draws each operation's next frequency
	// uniformly within A-B after every run. 0: a fixed frequency.
	GroupFrequencyMax time.Duration
}

// EffectiveFrequency is the frequency the operation runs at: its group's
// when it is group-scheduled (the lower bound A of a frequency range A-B,
// which the timeout must not exceed), else its own.
func (o *Operation) EffectiveFrequency() time.Duration {
	if s := o.Schedule; s.Group != 0 {
		if s.GroupFrequency != 0 {
			return s.GroupFrequency
		}
		return s.GroupPeriod
	}
	return o.Frequency
}

// NextFrequency is how long after a start the operation starts again:
// EffectiveFrequency, or with a group `frequency range A-B` a uniformly
// random duration within A-B (on the Tick grid), drawn anew for every run.
func (o *Operation) NextFrequency() time.Duration {
	s := o.Schedule
	if s.Group == 0 || s.GroupFrequency <= 0 || s.GroupFrequencyMax <= s.GroupFrequency {
		return o.EffectiveFrequency()
	}
	steps := int64((s.GroupFrequencyMax - s.GroupFrequency) / Tick)
	return s.GroupFrequency + time.Duration(rand.Int64N(steps+1))*Tick
}

// FirstStart returns when an active schedule first starts, given the time
// it is configured (now, in the router clock's zone). rnd returns a
// random duration in [0, n).
func (s Schedule) FirstStart(now time.Time, rnd func(n time.Duration) time.Duration) time.Time {
	switch s.Start {
	case StartAfter:
		return now.Add(s.After)
	case StartRandom:
		return now.Add(rnd(s.Random))
	case StartAt:
		y, m, d := now.Date()
		if s.Month != 0 {
			m, d = s.Month, s.Day
		}
		t := time.Date(y, m, d, 0, 0, 0, 0, now.Location()).Add(s.After)
		if t.Before(now) {
			if s.Month != 0 {
				t = time.Date(y+1, m, d, 0, 0, 0, 0, now.Location()).Add(s.After)
			} else {
				t = time.Date(y, m, d+1, 0, 0, 0, 0, now.Location()).Add(s.After)
			}
		}
		return t
	}
	return now
}

// Active reports whether the schedule makes the operation run at all.
func (s Schedule) Active() bool { return s.Scheduled && s.Start != StartPending }

// Equal reports whether o and p configure the same operation.
func (o Operation) Equal(p Operation) bool {
	if !samePtr(o.DNS, p.DNS) || !samePtr(o.ICMPEcho, p.ICMPEcho) || !samePtr(o.TCPConnect, p.TCPConnect) ||
		!samePtr(o.UDPEcho, p.UDPEcho) || !samePtr(o.HTTP, p.HTTP) {
		return false
	}
	o.DNS, p.DNS = nil, nil
	o.ICMPEcho, p.ICMPEcho = nil, nil
	o.TCPConnect, p.TCPConnect = nil, nil
	o.UDPEcho, p.UDPEcho = nil, nil
	o.HTTP, p.HTTP = nil, nil
	if !slices.Equal(o.Reactions, p.Reactions) || !slices.Equal(o.Triggers, p.Triggers) {
		return false
	}
	o.Reactions, p.Reactions, o.Triggers, p.Triggers = nil, nil, nil, nil
	return reflect.DeepEqual(o, p) // what is left is plain values
}

func samePtr[T comparable](a, b *T) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}
