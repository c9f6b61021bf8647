package sla

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// IOS prints times in the router's clock zone like "05:22:01 UTC Sat Aug 22 2026".
const iosTime = "15:04:05 MST Mon Jan 2 2006"

// WriteStatistics prints `show ip sla statistics [details]` in the IOS
// Engine-III layout (cisco-semantics §6.1), entries separated by three blank
// lines. now is the time the command runs, for the time-to-live line.
func WriteStatistics(w io.Writer, stats []Stats, details bool, now time.Time) {
	fmt.Fprint(w, "IPSLAs Latest Operation Statistics\n\n")
	for i, st := range stats {
		if i > 0 {
			fmt.Fprint(w, "\n\n\n")
		}
		fmt.Fprintf(w, "IPSLA operation id: %d\n", st.ID)
		if st.State == StatePending || (st.Runs == 0 && st.Latest.Code == CodeUnknown) {
			fmt.Fprint(w, "Number of successes: Unknown\nNumber of failures: Unknown\n")
			fmt.Fprintf(w, "Operation time to live: %s\n", ttl(st, now))
			if details {
				writeDetailsTail(w, st)
			}
			continue
		}
		if st.Latest.Code.Completed() {
			fmt.Fprintf(w, "\tLatest RTT: %d milliseconds\n", st.Latest.RTTMillis())
		} else {
			fmt.Fprint(w, "\tLatest RTT: NoConnection/Busy/Timeout\n")
		}
		fmt.Fprintf(w, "Latest operation start time: %s\n", st.Latest.Start.Format(iosTime))
		fmt.Fprintf(w, "Latest operation return code: %s\n", st.Latest.Code)
		if details {
			fmt.Fprintf(w, "Over thresholds occurred: %s\n", iosBool(st.Latest.Code == CodeOverThreshold))
		}
		fmt.Fprintf(w, "Number of successes: %d\n", st.Successes)
		fmt.Fprintf(w, "Number of failures: %d\n", st.Failures)
		fmt.Fprintf(w, "Operation time to live: %s\n", ttl(st, now))
		if details {
			writeDetailsTail(w, st)
		}
	}
}

func writeDetailsTail(w io.Writer, st Stats) {
	fmt.Fprintf(w, "Operational state of entry: %s\n", st.State)
	fmt.Fprint(w, "Last time this entry was reset: Never\n")
}

func iosBool(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

func ttl(st Stats, now time.Time) string {
	switch {
	case st.State != StateActive:
		return "0"
	case !st.HasLifeEnd:
		return "Forever"
	}
	left := st.LifeEnd.Sub(now)
	if left < 0 {
		left = 0
	}
	return fmt.Sprintf("%d sec", int(left/time.Second))
}

// WriteSummary prints `show ip sla summary` (cisco-semantics §6.2): fixed
// columns, values too wide for their column wrapped onto continuation lines
// as IOS does ("DNS query e" / "rror").
func WriteSummary(w io.Writer, stats []Stats, now time.Time) {
	fmt.Fprint(w, "IPSLAs Latest Operation Summary\n")
	fmt.Fprint(w, "Codes: * active, ^ inactive, ~ pending\n")
	fmt.Fprint(w, "All Stats are in milliseconds. Stats with u are in microseconds\n\n")
	fmt.Fprint(w, "ID           Type        Destination       Stats       Return      Last\n")
	fmt.Fprint(w, "                                                       Code        Run\n")
	fmt.Fprint(w, strings.Repeat("-", 71)+"\n")
	for _, st := range stats {
		code := map[OperState]string{StateActive: "*", StateInactive: "^", StatePending: "~"}[st.State]
		rtt, ret, last := "-", st.Latest.Code.String(), "Never"
		if st.Latest.Code.Completed() {
			rtt = fmt.Sprintf("RTT=%d", st.Latest.RTTMillis())
		}
		if !st.Latest.Start.IsZero() {
			last = fmt.Sprintf("%d seconds ago", int(now.Sub(st.Latest.Start)/time.Second))
		}
		writeColumns(w, []int{13, 12, 18, 12, 12, 14},
			[]string{fmt.Sprintf("%s%d", code, st.ID), st.Type, st.Target, rtt, ret, last})
	}
}

// writeColumns prints one table row; a value longer than its column width
// minus one is cut there and continued on the next line(s).
func writeColumns(w io.Writer, widths []int, vals []string) {
	for {
		var line strings.Builder
		more := false
		for i, v := range vals {
			max := widths[i] - 1
			cell := v
			if len(cell) > max {
				cell, vals[i] = v[:max], v[max:]
				more = true
			} else {
				vals[i] = ""
			}
			if i < len(vals)-1 {
				fmt.Fprintf(&line, "%-*s", widths[i], cell)
			} else {
				line.WriteString(cell)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(line.String(), " "))
		if !more {
			return
		}
	}
}
