// Package track evaluates IOS track objects — ip sla, interface, ip/ipv6
// route, boolean and threshold lists, stub objects — applying `delay
// up/down`, plus two documented extensions (count-based hysteresis and flap
// damping), and reports each state change once.
//
// The package is a pure state machine: inputs (SLA results, interface and
// route states, stub settings) and the current time are arguments. It does
// not talk to the kernel; the daemon feeds it what route's link monitor sees.
package track

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"time"
)

// Track object numbers, as on IOS 15.1(3)T and later.
const (
	MinID = 1
	MaxID = 1000
	// MaxDelay is IOS's limit for delay up/down, in seconds.
	MaxDelay = 180 * time.Second
)

// Type is a track object's kind.
type Type int

const (
	TypeSLA       Type = iota // track N ip sla M
	TypeInterface             // track N interface IF {line-protocol|ip routing}
	TypeRoute                 // track N {ip|ipv6} route P {reachability|metric threshold}
	TypeList                  // track N list {boolean|threshold} ...
	TypeStub                  // track N stub-object
)

// Mode is what an object's input is judged by: for ip sla objects the
// return-code mapping, for interfaces line protocol or IP routing, for
// routes reachability or metric threshold.
type Mode int

const (
	ModeState           Mode = iota // ip sla: Up only on OK (IOS default)
	ModeReachability                // ip sla: Up on OK or over threshold; route: route present
	ModeLineProtocol                // interface: line protocol up
	ModeIPRouting                   // interface: line up and an IPv4 address
	ModeMetricThreshold             // route: scaled metric against threshold metric
)

func (m Mode) String() string {
	switch m {
	case ModeReachability:
		return "reachability"
	case ModeLineProtocol:
		return "line-protocol"
	case ModeIPRouting:
		return "ip routing"
	case ModeMetricThreshold:
		return "metric threshold"
	}
	return "state"
}

// ListKind is how a list combines its members.
type ListKind int

const (
	ListAnd        ListKind = iota // list boolean and
	ListOr                         // list boolean or
	ListWeight                     // list threshold weight
	ListPercentage                 // list threshold percentage
)

func (k ListKind) String() string {
	switch k {
	case ListOr:
		return "boolean or"
	case ListWeight:
		return "threshold weight"
	case ListPercentage:
		return "threshold percentage"
	}
	return "boolean and"
}

// Threshold reports whether k is a threshold list.
func (k ListKind) Threshold() bool { return k == ListWeight || k == ListPercentage }

// IOS defaults for lists and route metric thresholds.
const (
	DefaultWeight       = 10  // object M weight W
	DefaultMetricUp     = 254 // threshold metric up
	DefaultMetricDown   = 255 // threshold metric down
	DefaultThresholdUp  = 1   // threshold weight|percentage up
	DefaultPenalty      = 1000
	DefaultHalfLife     = 5 * time.Second
	DefaultReuse        = 1000
	DefaultSuppress     = 2000
	DefaultMaxSuppress  = 20 * time.Second
	DefaultThresholdDwn = 0
)

// Member is one `object M [not] [weight W]` line of a list.
type Member struct {
	ID     int
	Not    bool // boolean lists only
	Weight int  // threshold weight lists; 0 means DefaultWeight
}

// Dampening is the flap-damping extension (`dampening [HALF-LIFE [REUSE
// SUPPRESS [MAX-SUPPRESS]]]`, the syntax of IOS interface dampening): each
// Up->Down flap adds DefaultPenalty; when the penalty reaches Suppress the
// object is held Down until the penalty, halving every HalfLife, falls below
// Reuse. The penalty never exceeds what MaxSuppress takes to decay to Reuse.
type Dampening struct {
	Enabled     bool
	HalfLife    time.Duration
	Reuse       int
	Suppress    int
	MaxSuppress time.Duration
}

// Object is one configured track object.
type Object struct {
	ID   int
	Type Type
	Mode Mode

	SLA int // TypeSLA

	Interface string // TypeInterface

	Prefix     netip.Prefix // TypeRoute; IPv6 for `ipv6 route`
	VRF        string       // TypeRoute, `ip vrf NAME`; "" is the main table
	MetricUp   int          // TypeRoute, ModeMetricThreshold; 0 means default
	MetricDown int

	List          ListKind // TypeList
	Members       []Member
	ThresholdUp   int // threshold lists; 0 and 0 mean up 1 down 0
	ThresholdDown int

	DefaultState State // TypeStub: the state at creation

	DelayUp   time.Duration // 0 = report at once
	DelayDown time.Duration

	// Extensions beyond IOS: `hysteresis up N down M` needs N (M)
	// consecutive Up (Down) verdicts before the object changes; 0 or 1 is
	// IOS behaviour.
	HysteresisUp   int
	HysteresisDown int
	Dampening      Dampening
}

// Equal reports whether o and p are the same definition.
func (o Object) Equal(p Object) bool {
	if !slices.Equal(o.Members, p.Members) {
		return false
	}
	o.Members, p.Members = nil, nil
	return reflect.DeepEqual(o, p)
}

// sameInput reports whether o and p watch the same thing the same way, so
// that a reload changing only delays, hysteresis, damping, a list's
// members or thresholds, a metric threshold or a stub's default-state
// keeps the object's state and history (Set judges it again at once).
func (o Object) sameInput(p Object) bool {
	o.DelayUp, o.DelayDown, p.DelayUp, p.DelayDown = 0, 0, 0, 0
	o.Members, p.Members = nil, nil
	o.ThresholdUp, o.ThresholdDown, p.ThresholdUp, p.ThresholdDown = 0, 0, 0, 0
	o.MetricUp, o.MetricDown, p.MetricUp, p.MetricDown = 0, 0, 0, 0
	o.DefaultState, p.DefaultState = Down, Down
	o.HysteresisUp, o.HysteresisDown, p.HysteresisUp, p.HysteresisDown = 0, 0, 0, 0
	o.Dampening, p.Dampening = Dampening{}, Dampening{}
	return o.Equal(p)
}

// TypeWords is the object's type as IOS prints it in syslog and show
// track brief: "ip sla", "interface", "ip route", "ipv6 route", "list",
// "stub-object".
func (o Object) TypeWords() string {
	switch o.Type {
	case TypeInterface:
		return "interface"
	case TypeRoute:
		if o.Prefix.Addr().Is6() {
			return "ipv6 route"
		}
		return "ip route"
	case TypeList:
		return "list"
	case TypeStub:
		return "stub-object"
	}
	return "ip sla"
}

// Instance is what the object watches: the SLA number, interface name or
// prefix; empty for lists and stubs.
func (o Object) Instance() string {
	switch o.Type {
	case TypeInterface:
		return o.Interface
	case TypeRoute:
		return o.Prefix.String()
	case TypeList, TypeStub:
		return ""
	}
	return fmt.Sprint(o.SLA)
}

// Parameter is the mode as printed: "state", "line-protocol",
// "boolean and", ...; empty for stubs.
func (o Object) Parameter() string {
	switch o.Type {
	case TypeList:
		return o.List.String()
	case TypeStub:
		return ""
	}
	return o.Mode.String()
}

// metricThresholds returns the effective up and down thresholds.
func (o Object) metricThresholds() (up, down int) {
	if o.MetricUp == 0 && o.MetricDown == 0 {
		return DefaultMetricUp, DefaultMetricDown
	}
	return o.MetricUp, o.MetricDown
}

// listThresholds returns the effective up and down thresholds of a
// threshold list.
func (o Object) listThresholds() (up, down int) {
	if o.ThresholdUp == 0 && o.ThresholdDown == 0 {
		return DefaultThresholdUp, DefaultThresholdDwn
	}
	return o.ThresholdUp, o.ThresholdDown
}

// damping returns Dampening with defaults filled in.
func (o Object) damping() Dampening {
	d := o.Dampening
	if d.HalfLife <= 0 {
		d.HalfLife = DefaultHalfLife
	}
	if d.Reuse <= 0 {
		d.Reuse = DefaultReuse
	}
	if d.Suppress <= 0 {
		d.Suppress = DefaultSuppress
	}
	if d.MaxSuppress <= 0 {
		d.MaxSuppress = 4 * d.HalfLife
	}
	return d
}
