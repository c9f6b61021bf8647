package track

import (
	"fmt"
	"io"
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

// WriteTrack prints `show track [N]` (cisco-semantics §4.4). routed tells
// which objects static routes use, for the "Tracked by:" block.
func WriteTrack(w io.Writer, objs []Status, routed map[int]bool, now time.Time) {
	for i, st := range objs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		word := "State"
		if st.Mode == ModeReachability {
			word = "Reachability"
		}
		fmt.Fprintf(w, "Track %d\n", st.ID)
		fmt.Fprintf(w, "  IP SLA %d %s\n", st.SLA, st.Mode)
		fmt.Fprintf(w, "  %s is %s", word, st.State)
		if st.Pending {
			left := int((st.PendingAt.Sub(now) + time.Second - 1) / time.Second)
			fmt.Fprintf(w, ", delayed %s (%s remaining)", st.PendingTo, plural(left, "sec"))
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "    %s, last change %s\n", plural(st.Changes, "change"), Uptime(now.Sub(st.LastChange)))
		if d := delayLine(st.Object); d != "" {
			fmt.Fprintf(w, "  Delay %s\n", d)
		}
		fmt.Fprintf(w, "  Latest operation return code: %s\n", trackCode(st.Latest.Code))
		if st.Latest.Code.Completed() {
			fmt.Fprintf(w, "  Latest RTT (millisecs) %d\n", st.Latest.RTTMillis())
		}
		if routed[st.ID] {
			fmt.Fprint(w, "  Tracked by:\n    Static IP Routing 0\n")
		}
	}
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
		fmt.Fprintf(w, row, fmt.Sprint(st.ID), "ip sla", fmt.Sprint(st.SLA), st.Mode.String(),
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
