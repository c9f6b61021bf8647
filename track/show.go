package track

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ipslad/ipslad/sla"
)

// Uptime formats an age as IOS does in `show track`: hh:mm:ss below a day,
// then 1d16h, then 2w1d.
func Uptime(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	switch {
	case s < 86400:
		return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	case s < 7*86400:
		return fmt.Sprintf("%dd%dh", s/86400, s/3600%24)
	}
	return fmt.Sprintf("%dw%dd", s/(7*86400), s/86400%7)
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Clients says who uses each object: the number of static routes tracking
// it (lists are found from the objects themselves).
type Clients map[int]int

// WriteTrack prints `show track [N]` (cisco-semantics §4.4) for objs, a
// subset of all (which lists' members are looked up in). routes counts the
// static routes tracking each object, for the "Tracked by:" block.
func WriteTrack(w io.Writer, objs, all []Status, routes Clients, now time.Time) {
	byID := map[int]Status{}
	for _, st := range all {
		byID[st.ID] = st
	}
	for i, st := range objs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Track %d\n", st.ID)
		fmt.Fprintf(w, "  %s\n", header(st.Object))
		fmt.Fprintf(w, "  %s is %s%s", stateWord(st.Object), st.State, reason(st))
		if st.Pending {
			left := int((st.PendingAt.Sub(now) + time.Second - 1) / time.Second)
			fmt.Fprintf(w, ", delayed %s (%s remaining)", st.PendingTo, plural(left, "sec"))
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "    %s, last change %s\n", plural(st.Changes, "change"), Uptime(now.Sub(st.LastChange)))
		if st.Type == TypeList {
			writeMembers(w, st, byID)
		}
		if d := delayLine(st.Object); d != "" {
			fmt.Fprintf(w, "  Delay %s\n", d)
		}
		writeBody(w, st)
		if st.HysteresisUp > 1 || st.HysteresisDown > 1 {
			fmt.Fprintf(w, "  Hysteresis up %d down %d", max(st.HysteresisUp, 1), max(st.HysteresisDown, 1))
			if st.Streak > 0 {
				need := max(st.HysteresisDown, 1)
				if st.Verdict == Up {
					need = max(st.HysteresisUp, 1)
				}
				fmt.Fprintf(w, ", %d of %d %s results seen", st.Streak, need, st.Verdict)
			}
			fmt.Fprintln(w)
		}
		if st.Dampening.Enabled {
			d := st.damping()
			fmt.Fprintf(w, "  Dampening half-life %s, reuse %d, suppress %d, max-suppress %s\n",
				plural(int(d.HalfLife/time.Second), "sec"), d.Reuse, d.Suppress, plural(int(d.MaxSuppress/time.Second), "sec"))
			sup := ""
			if st.Suppressed {
				sup = " (suppressed)"
			}
			fmt.Fprintf(w, "    Penalty %d%s\n", st.Penalty, sup)
		}
		writeClients(w, st.ID, all, routes)
	}
}

// header is the object's definition line.
func header(o Object) string {
	switch o.Type {
	case TypeInterface:
		return fmt.Sprintf("Interface %s %s", o.Interface, o.Mode)
	case TypeRoute:
		p := o.Prefix.String()
		word := "IPv6"
		if o.Prefix.Addr().Is4() {
			word = "IP"
			p = o.Prefix.Addr().String() + " " + maskOf(o.Prefix.Bits())
		}
		return fmt.Sprintf("%s route %s %s", word, p, o.Mode)
	case TypeList:
		return "List " + o.List.String()
	case TypeStub:
		return "Stub-object"
	}
	return fmt.Sprintf("IP SLA %d %s", o.SLA, o.Mode)
}

func maskOf(bits int) string {
	var m [4]byte
	for i := range bits {
		m[i/8] |= 0x80 >> (i % 8)
	}
	return fmt.Sprintf("%d.%d.%d.%d", m[0], m[1], m[2], m[3])
}

// stateWord is what IOS calls the state: "Line protocol", "Boolean AND", ...
func stateWord(o Object) string {
	switch {
	case o.Type == TypeInterface && o.Mode == ModeIPRouting:
		return "IP routing"
	case o.Type == TypeInterface:
		return "Line protocol"
	case o.Mode == ModeMetricThreshold:
		return "Metric threshold"
	case o.Type == TypeList:
		return map[ListKind]string{ListAnd: "Boolean AND", ListOr: "Boolean OR",
			ListWeight: "Threshold Weight", ListPercentage: "Threshold Percentage"}[o.List]
	case o.Mode == ModeReachability:
		return "Reachability"
	}
	return "State"
}

// reason is IOS's parenthesis after the state: "(no IP addr)",
// "(kernel)", "(kernel/0/20)", "(30/45)".
func reason(st Status) string {
	switch st.Type {
	case TypeInterface:
		if st.Mode == ModeIPRouting && st.Link.Exists && st.Link.Up && !st.Link.IPv4 {
			return " (no IP addr)"
		}
		if !st.Link.Exists {
			return " (no interface)"
		}
	case TypeRoute:
		if !st.Route.Present {
			return " (no route)"
		}
		if st.Mode == ModeMetricThreshold {
			return fmt.Sprintf(" (%s/%d/%d)", st.Route.Protocol, min(st.Route.Metric, 255), st.Route.Metric)
		}
		return fmt.Sprintf(" (%s)", st.Route.Protocol)
	}
	return ""
}

// writeBody prints the type's own lines after the change counter.
func writeBody(w io.Writer, st Status) {
	switch st.Type {
	case TypeSLA:
		fmt.Fprintf(w, "  Latest operation return code: %s\n", trackCode(st.Latest.Code))
		if st.Latest.Code.Completed() {
			fmt.Fprintf(w, "  Latest RTT (millisecs) %d\n", st.Latest.RTTMillis())
		}
	case TypeRoute:
		if st.VRF != "" {
			fmt.Fprintf(w, "  VRF %s\n", st.VRF)
		}
		if st.Route.Present && st.Route.Interface != "" {
			fmt.Fprintf(w, "  First-hop interface is %s\n", st.Route.Interface)
		}
		if st.Mode == ModeMetricThreshold {
			u, d := st.metricThresholds()
			fmt.Fprintf(w, "  Metric threshold down %d up %d\n", d, u)
		}
	case TypeList:
		if st.List.Threshold() {
			u, d := st.listThresholds()
			word := "weight"
			if st.List == ListPercentage {
				word = "percentage"
			}
			fmt.Fprintf(w, "  Threshold %s down %d up %d\n", word, d, u)
		}
	}
}

// writeMembers prints a list's member lines.
func writeMembers(w io.Writer, st Status, byID map[int]Status) {
	for _, m := range st.Members {
		state := "Down"
		if ms, ok := byID[m.ID]; ok {
			state = ms.State.String()
		} else {
			state += " (not defined)"
		}
		not := ""
		if m.Not {
			not = "not "
		}
		wt := ""
		if st.List == ListWeight {
			wt = fmt.Sprintf(" weight %d", weight(m))
		}
		fmt.Fprintf(w, "    object %d %s%s%s\n", m.ID, not, state, wt)
	}
}

// writeClients prints the "Tracked by:" block, omitted without clients.
func writeClients(w io.Writer, id int, all []Status, routes Clients) {
	var lines []string
	if routes[id] > 0 {
		lines = append(lines, "Static IP Routing 0")
	}
	for _, st := range all {
		if st.Type == TypeList && slices.ContainsFunc(st.Members, func(m Member) bool { return m.ID == id }) {
			lines = append(lines, fmt.Sprintf("Track-list %d", st.ID))
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "  Tracked by:")
	for _, l := range lines {
		fmt.Fprintf(w, "    %s\n", l)
	}
}

// clientCount is how many clients use object id.
func clientCount(id int, all []Status, routes Clients) int {
	n := routes[id]
	for _, st := range all {
		if st.Type == TypeList && slices.ContainsFunc(st.Members, func(m Member) bool { return m.ID == id }) {
			n++
		}
	}
	return n
}

// trackCode is the return code as show track prints it: IOS writes
// "over threshold" in lower case there.
func trackCode(c sla.ReturnCode) string {
	if c == sla.CodeOverThreshold {
		return "over threshold"
	}
	return c.String()
}

// WriteBrief prints `show track brief`.
func WriteBrief(w io.Writer, objs []Status, now time.Time) {
	const row = "%-8s%-12s%-27s%-17s%-6s%s\n"
	fmt.Fprintf(w, row, "Track", "Type", "Instance", "Parameter", "State", "Last Change")
	for _, st := range objs {
		param := st.Parameter()
		if st.Type == TypeList {
			param = strings.Fields(param)[0] // "boolean" or "threshold", as IOS
		}
		fmt.Fprintf(w, row, fmt.Sprint(st.ID), st.TypeWords(), st.Instance(), param,
			st.State.String(), Uptime(now.Sub(st.LastChange)))
	}
}

// delayLine is "up 60 secs, down 30 secs", or only the configured half.
func delayLine(o Object) string {
	var parts []string
	if o.DelayUp > 0 {
		parts = append(parts, "up "+plural(int(o.DelayUp/time.Second), "sec"))
	}
	if o.DelayDown > 0 {
		parts = append(parts, "down "+plural(int(o.DelayDown/time.Second), "sec"))
	}
	return strings.Join(parts, ", ")
}
