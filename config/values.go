package config

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ipslad/ipslad/sla"
)

// Value parsing shared by both front ends, so that a value means the same
// and is refused with the same words whichever syntax it came in. The
// helpers return an error holding only the "expected ..., got ..." part; the
// caller adds the position and the name of the command or key.

// limit is the range of an integer setting, with the unit that names it in
// messages ("expected seconds 1-604800").
type limit struct {
	unit     string
	min, max int64
}

// IOS ranges (cisco-semantics §1.4, §2.1, §4.1, §4.2, §5.1).
var (
	limOperation = limit{"operation number", sla.MinID, sla.MaxID}
	limTrack     = limit{"track number", 1, 1000}
	limFrequency = limit{"seconds", 1, 604800}
	limTimeout   = limit{"milliseconds", 0, 604800000}
	limThreshold = limit{"milliseconds", 0, 2147483647}
	limLife      = limit{"seconds", 0, 2147483647}
	limAgeout    = limit{"seconds", 0, 2073600}
	limPort      = limit{"port", 1, 65535}
	limDelay     = limit{"seconds", 0, 180}
	limDistance  = limit{"distance", 1, 255}
	limTag       = limit{"tag", 0, 4294967295}
)

// Text limits from the RTTMON MIB.
const (
	maxOwner = 255
	maxTag   = 128
)

func (l limit) parse(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if !isDigits(s) || err != nil || n < l.min || n > l.max {
		return 0, l.err(s)
	}
	return n, nil
}

func (l limit) err(got string) error {
	return fmt.Errorf("expected %v, got %q", l, got)
}

// String describes the range: "seconds 1-604800".
func (l limit) String() string { return fmt.Sprintf("%s %d-%d", l.unit, l.min, l.max) }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseLife parses the value of `life`: "forever" or seconds.
func parseLife(s string, sch *sla.Schedule) error {
	if strings.EqualFold(s, "forever") {
		sch.Forever, sch.Life = true, 0
		return nil
	}
	n, err := limLife.parse(s)
	if err != nil {
		return fmt.Errorf("expected forever or %v, got %q", limLife, s)
	}
	sch.Forever, sch.Life = false, time.Duration(n)*time.Second
	return nil
}

// startTimes are the supported values of start-time.
const startTimes = "now, pending or after hh:mm:ss"

// parseStart parses `start-time KIND [ARG]`, where arg is the hh:mm:ss
// after "after".
func parseStart(kind, arg string, sch *sla.Schedule) error {
	switch k := strings.ToLower(kind); {
	case k == "now":
		sch.Start, sch.After = sla.StartNow, 0
	case k == "pending":
		sch.Start, sch.After = sla.StartPending, 0
	case k == "after":
		d, err := parseHMS(arg)
		if err != nil {
			return err
		}
		sch.Start, sch.After = sla.StartAfter, d
	case k == "random":
		return errors.New("random is not supported yet")
	case strings.Contains(k, ":"):
		return fmt.Errorf("absolute start time %q is not supported yet", kind)
	default:
		return fmt.Errorf("expected %s, got %q", startTimes, kind)
	}
	return nil
}

// parseHMS parses hh:mm:ss (hours 0-23).
func parseHMS(s string) (time.Duration, error) {
	bad := fmt.Errorf("expected hh:mm:ss, got %q", s)
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, bad
	}
	var d time.Duration
	for i, max := range []int64{23, 59, 59} {
		if len(parts[i]) > 2 {
			return 0, bad
		}
		n, err := limit{"", 0, max}.parse(parts[i])
		if err != nil {
			return 0, bad
		}
		d = d*60 + time.Duration(n)
	}
	return d * time.Second, nil
}

func formatHMS(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// parseAddr parses an IPv4 or IPv6 address. IOS has no zone syntax, so a
// zone ("fe80::1%eth0") is refused; link-local next hops take an interface.
func parseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("expected an IPv4 or IPv6 address, got %q", s)
	}
	return a.Unmap(), nil
}

func isAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// parseIPv4 parses the address of an `ip route` prefix.
func parseIPv4(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("expected an IPv4 prefix, got %q", s)
	}
	return a, nil
}

// parseMask parses a dotted IPv4 mask into a prefix length.
func parseMask(s string) (int, error) {
	m, err := netip.ParseAddr(s)
	bits := maskBits(m)
	if err != nil || bits < 0 {
		return 0, fmt.Errorf("expected a contiguous IPv4 mask, got %q", s)
	}
	return bits, nil
}

// maskBits returns the length of the contiguous IPv4 mask m, or -1.
func maskBits(m netip.Addr) int {
	if !m.Is4() {
		return -1
	}
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&(1<<31) != 0 {
		v <<= 1
		n++
	}
	if v != 0 {
		return -1
	}
	return n
}

// maskString returns the dotted mask of an IPv4 prefix length.
func maskString(bits int) string {
	v := ^uint32(0) << (32 - bits)
	if bits == 0 {
		v = 0
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

// parsePrefix parses "192.0.2.0/24" or "2001:db8::/32".
func parsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("expected a prefix ADDRESS/LENGTH, got %q", s)
	}
	return masked(p, s)
}

// masked refuses a prefix with host bits set, as IOS does; given is the
// prefix as the user wrote it.
func masked(p netip.Prefix, given string) (netip.Prefix, error) {
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("%%Inconsistent address and mask (%s; did you mean %s?)", given, m.Addr())
	}
	return p, nil
}

// checkNextHop checks a next hop against its route's prefix and interface.
func checkNextHop(p netip.Prefix, nh netip.Addr, ifname string) error {
	switch {
	case p.Addr().Is4() && !nh.Is4():
		return fmt.Errorf("next hop %s is not an IPv4 address", nh)
	case p.Addr().Is6() && !nh.Is6():
		return fmt.Errorf("next hop %s is not an IPv6 address", nh)
	case nh.IsUnspecified() || nh.IsMulticast():
		return fmt.Errorf("next hop %s is not a unicast address", nh)
	case nh.Is6() && nh.IsLinkLocalUnicast() && ifname == "":
		return fmt.Errorf("link-local next hop %s needs an interface", nh)
	}
	return nil
}

// checkTarget accepts the target of a dns operation: a host name (A query)
// or an IPv4 or IPv6 address (PTR query, in-addr.arpa or ip6.arpa).
func checkTarget(s string) error {
	bad := fmt.Errorf("expected a host name or IPv4/IPv6 address, got %q", s)
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Zone() != "" || a.Is4In6() {
			return bad
		}
		return nil
	}
	name := strings.TrimSuffix(s, ".")
	if name == "" || len(name) > 253 {
		return bad
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' {
			return bad
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return bad
			}
		}
	}
	return nil
}

// checkSameFamily checks that a source address can reach the name server.
func checkSameFamily(src, ns netip.Addr) error {
	if src.Is4() != ns.Is4() {
		return fmt.Errorf("%s is not of the same address family as name-server %s", src, ns)
	}
	return nil
}

// routeKeywords are the words that cannot be interface names on a route line.
var routeKeywords = map[string]bool{
	"tag": true, "name": true, "track": true, "permanent": true, "multicast": true,
	"unicast": true, "dhcp": true, "global": true, "vrf": true, "admin-dist": true, "metric": true,
}

// checkInterface accepts an interface name: one word, starting with a
// letter, that is neither an address nor a route keyword (Vlan2, eth0,
// GigabitEthernet0/1).
func checkInterface(s string) error {
	if s == "" || !isLetter(s[0]) || isAddr(s) || routeKeywords[strings.ToLower(s)] || checkWord(s) != nil {
		return fmt.Errorf("expected an interface name, got %q", s)
	}
	return nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// checkWord accepts a value that must be one word in IOS syntax (a route
// name).
func checkWord(s string) error {
	if s == "" || s[0] == '!' || s[0] == '"' || strings.IndexFunc(s, isSpaceOrControl) >= 0 {
		return fmt.Errorf("expected one word, got %q", s)
	}
	return nil
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// checkText accepts free text (owner, tag) of at most max bytes that Format
// can write back: no control characters, and no double quote where the text
// needs quoting.
func checkText(s string, max int) error {
	switch {
	case len(s) > max:
		return fmt.Errorf("expected at most %d characters, got %d", max, len(s))
	case strings.IndexFunc(s, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) >= 0:
		return fmt.Errorf("expected text without control characters, got %q", s)
	case needsQuotes(s) && strings.Contains(s, `"`):
		return fmt.Errorf("text %q cannot be written in IOS syntax (it needs quotes and contains one)", s)
	}
	return nil
}

// needsQuotes reports whether free text would not read back as itself
// unquoted: the lexer splits on blanks, and "!" or `"` start a comment or a
// quoted word.
func needsQuotes(s string) bool {
	if s == "" || strings.ContainsAny(s, "\t") || strings.Contains(s, "  ") ||
		s[0] == ' ' || s[len(s)-1] == ' ' {
		return true
	}
	for _, f := range strings.Split(s, " ") {
		if f[0] == '!' || f[0] == '"' {
			return true
		}
	}
	return false
}

func quoteText(s string) string {
	if needsQuotes(s) {
		return `"` + s + `"`
	}
	return s
}

// parseFrequencyRange reads the A-B of `frequency range A-B` (seconds,
// each 1-604800 as a frequency, A <= B).
func parseFrequencyRange(s string) (lo, hi time.Duration, err error) {
	as, bs, ok := strings.Cut(s, "-")
	a, aerr := limFrequency.parse(as)
	b, berr := limFrequency.parse(bs)
	if !ok || aerr != nil || berr != nil {
		return 0, 0, fmt.Errorf("expected A-B (seconds %d-%d), got %q", limFrequency.min, limFrequency.max, s)
	}
	if a > b {
		return 0, 0, fmt.Errorf("the lower bound %d is above the upper bound %d", a, b)
	}
	return time.Duration(a) * time.Second, time.Duration(b) * time.Second, nil
}

// formatFrequencyRange writes a group's frequency range as A-B.
func formatFrequencyRange(s sla.Schedule) string {
	return fmt.Sprintf("%d-%d", s.GroupFrequency/time.Second, s.GroupFrequencyMax/time.Second)
}

// rangeBelowPeriod is the warning for a frequency range whose lower bound
// is below the schedule period: Cisco's guideline asks for it to be above,
// so that an operation does not start twice within one period.
func rangeBelowPeriod(s sla.Schedule) string {
	if s.GroupFrequencyMax == 0 || s.GroupFrequency >= s.GroupPeriod {
		return ""
	}
	return fmt.Sprintf("ip sla group schedule %d: frequency range starts at %d s, below the schedule-period %d s; an operation may start twice within one period",
		s.Group, s.GroupFrequency/time.Second, s.GroupPeriod/time.Second)
}

// groupOffset is the start offset within the schedule period of operation
// id, the i-th of n in its group. Starts are spread evenly, as IOS does;
// with a frequency range (IOS's random scheduler) they are spread at
// random over the period, on a 100 ms grid (IOS's minimum spacing there).
// The "random" offset is a hash of the group and the operation, so that
// reloading an unchanged configuration does not move its starts.
func groupOffset(s sla.Schedule, id, i, n int) time.Duration {
	if s.GroupFrequencyMax == 0 {
		return s.GroupPeriod * time.Duration(i) / time.Duration(n)
	}
	slots := uint64(s.GroupPeriod / (100 * time.Millisecond))
	if slots == 0 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d", s.Group, id)
	return time.Duration(h.Sum64()%slots) * 100 * time.Millisecond
}

// distLimits are the ranges of the distribution statistics' history
// options (MIB rttMonStatisticsAdmin*).
var distLimits = map[string]limit{
	"hours-of-statistics-kept":         {"hours", 0, 25},
	"distributions-of-statistics-kept": {"distributions", 1, 20},
	"statistics-distribution-interval": {"milliseconds", 1, 100},
}

// setDistHistory sets one of the distribution statistics' history options
// (kw as in distLimits) to n, or back to its default when n is -1; a value
// equal to the default is stored as the default.
func setDistHistory(h *sla.History, kw string, n int) {
	switch kw {
	case "hours-of-statistics-kept":
		switch n {
		case -1, sla.DefaultHoursKept:
			h.HoursKept = 0
		case 0:
			h.HoursKept = sla.HoursKeptOff
		default:
			h.HoursKept = n
		}
	case "distributions-of-statistics-kept":
		if n == -1 || n == sla.DefaultDistKept {
			n = 0
		}
		h.DistKept = n
	case "statistics-distribution-interval":
		if n == -1 || n == sla.DefaultDistInterval {
			n = 0
		}
		h.DistInterval = n
	}
}
