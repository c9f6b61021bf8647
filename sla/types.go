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

// HTTP is `http get URL [source-ip A] [version V]`: status 200, 301 or 302
// is OK, as IOS; any other status is "HTTP error".
type HTTP struct {
	URL      string
	SourceIP netip.Addr
	Version  string // "1.0" or "1.1"; "" is 1.1
}

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
type History struct {
	LivesKept   int
	BucketsKept int // 0 means DefaultBucketsKept
	Filter      HistoryFilter
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
