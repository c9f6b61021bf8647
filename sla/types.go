package sla

import (
	"net/netip"
	"time"
)

// IOS defaults of the other operation types (cisco-semantics §1.3, §1.4).
const (
	DefaultTCPConnectTimeout = 60000 * time.Millisecond // tcp-connect, measured on IOL
	DefaultHTTPTimeout       = 60000 * time.Millisecond
	DefaultEchoDataSize      = 28 // icmp-echo request-data-size
	DefaultUDPEchoDataSize   = 16 // udp-echo request-data-size
)

// ICMPEcho is `icmp-echo ADDR [source-ip A | source-interface IF]`. The
// probe uses an unprivileged ICMP socket where net.ipv4.ping_group_range
// allows it and a raw socket otherwise.
type ICMPEcho struct {
	Target          netip.Addr
	SourceIP        netip.Addr // invalid when not set
	SourceInterface string     // bound with SO_BINDTODEVICE
}

// TCPConnect is `tcp-connect ADDR PORT [source-ip A] [source-port P]`: the
// RTT is the time the TCP handshake takes; a refused connection is
// "Socket connect error".
type TCPConnect struct {
	Target     netip.Addr
	Port       uint16
	SourceIP   netip.Addr
	SourcePort uint16
}

// UDPEcho is `udp-echo ADDR PORT [source-ip A] [source-port P]`: one
// datagram to an echo service (RFC 862) and its echo back.
type UDPEcho struct {
	Target     netip.Addr
	Port       uint16
	SourceIP   netip.Addr
	SourcePort uint16
}

// HTTP is `http {get|raw} URL [name-server A] [version V] [source-ip A]
// [source-port P] [cache {enable|disable}] [proxy URL]`: status 200, 301
// or 302 is OK, as IOS; any other status is "HTTP error". The RTT covers
// the name lookup, the TCP connect and the transaction, as IOS.
type HTTP struct {
	URL        string
	Raw        bool       // http raw: send RawRequest verbatim instead of a GET
	RawRequest string     // the http-raw-request lines, escapes resolved
	NameServer netip.Addr // resolve the URL's host through this DNS server (port 53); invalid: the system resolver
	SourceIP   netip.Addr
	SourcePort uint16
	Version    string // "1.0" or "1.1" on the request line; "" is IOS's default, 1.0
	NoCache    bool   // cache disable: ask caches on the way to fetch from the origin
	Proxy      string // proxy URL: connect to it and send the absolute-URI request form
}

// DefaultDataPattern is IOS's data-pattern, the bytes AB CD AB CD.
const DefaultDataPattern = "ABCDABCD"

// EffectiveDataSize is the request-data-size, with the type's default.
func (o *Operation) EffectiveDataSize() int {
	if o.DataSize != 0 {
		return o.DataSize
	}
	return o.EffectiveDataSizeDefault()
}

// EffectiveDataSizeDefault is the type's default request-data-size.
func (o *Operation) EffectiveDataSizeDefault() int {
	switch {
	case o.ICMPEcho != nil:
		return DefaultEchoDataSize
	case o.UDPEcho != nil:
		return DefaultUDPEchoDataSize
	}
	return 0
}

// DefaultTimeout is the IOS default timeout of the operation's type.
func (o *Operation) DefaultTimeout() time.Duration {
	if o.TCPConnect != nil || o.HTTP != nil {
		return DefaultTCPConnectTimeout
	}
	return DefaultTimeout
}

// HistoryFilter is `history filter {none|all|overThreshold|failures}`.
type HistoryFilter int

const (
	HistoryNone HistoryFilter = iota // IOS default: no history kept
	HistoryAll
	HistoryOverThreshold
	HistoryFailures
)

var historyFilterNames = [...]string{"none", "all", "overThreshold", "failures"}

func (f HistoryFilter) String() string {
	if f >= 0 && int(f) < len(historyFilterNames) {
		return historyFilterNames[f]
	}
	return "unknown"
}

// DefaultBucketsKept is the IOS default of history buckets-kept.
const DefaultBucketsKept = 15

// History is `history lives-kept N` (0-2, default 0: off), `history
// buckets-kept N` (1-60, default 15) and `history filter F` (default none:
// off). Runs are kept when lives-kept is above 0 and the filter is not
// none: the latest buckets-kept runs that pass the filter, for the current
// life (ipslad keeps one life whatever lives-kept says).
//
// The distribution statistics kept per hour (aggregate.go) are `history
// hours-of-statistics-kept N` (0-25, default 2; 0 turns them off),
// `history distributions-of-statistics-kept N` (1-20, default 1) and
// `history statistics-distribution-interval MS` (1-100, default 20).
type History struct {
	LivesKept   int
	BucketsKept int // 0 means DefaultBucketsKept
	Filter      HistoryFilter

	HoursKept    int // 0 means DefaultHoursKept; HoursKeptOff for 0
	DistKept     int // 0 means DefaultDistKept
	DistInterval int // milliseconds; 0 means DefaultDistInterval
}

// IOS defaults of the distribution statistics (MIB rttMonStatisticsAdmin*).
const (
	DefaultHoursKept    = 2
	DefaultDistKept     = 1
	DefaultDistInterval = 20 // ms
	HoursKeptOff        = -1 // History.HoursKept of hours-of-statistics-kept 0
)

// Hours is hours-of-statistics-kept with its default (0: off).
func (h History) Hours() int {
	switch h.HoursKept {
	case 0:
		return DefaultHoursKept
	case HoursKeptOff:
		return 0
	}
	return h.HoursKept
}

// Dists is distributions-of-statistics-kept with its default.
func (h History) Dists() int {
	if h.DistKept == 0 {
		return DefaultDistKept
	}
	return h.DistKept
}

// Interval is statistics-distribution-interval in milliseconds, with its
// default.
func (h History) Interval() int {
	if h.DistInterval == 0 {
		return DefaultDistInterval
	}
	return h.DistInterval
}

// On reports whether runs are kept at all.
func (h History) On() bool { return h.LivesKept > 0 && h.Filter != HistoryNone }

// Buckets is buckets-kept with its default.
func (h History) Buckets() int {
	if h.BucketsKept == 0 {
		return DefaultBucketsKept
	}
	return h.BucketsKept
}

// Keeps reports whether a run with code c passes the filter.
func (h History) Keeps(c ReturnCode) bool {
	switch h.Filter {
	case HistoryAll:
		return true
	case HistoryOverThreshold:
		return c == CodeOverThreshold
	case HistoryFailures:
		return !c.Completed()
	}
	return false
}
