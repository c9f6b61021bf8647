package sla

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// WriteConfiguration prints `show ip sla configuration [N]` in the IOS
// Engine-III field order (cisco-semantics §6.3). No capture of a dns entry
// exists, so the dns lines are an approximation: `Target Host Name:` and
// `Name Server:` replace the address pair, and the icmp-only lines (ToS,
// request size, data pattern, verify data) are left out. stats gives the
// running state (for `Next Scheduled Start Time` and the row status); an
// operation missing from it is shown as not in service.
func WriteConfiguration(w io.Writer, ops []Operation, stats []Stats) {
	state := map[int]OperState{}
	for _, st := range stats {
		state[st.ID] = st.State
	}
	fmt.Fprint(w, "IP SLAs Infrastructure Engine-III\n")
	for _, op := range ops {
		fmt.Fprintf(w, "Entry number: %d\n", op.ID)
		fmt.Fprintf(w, "Owner: %s\n", op.Owner)
		fmt.Fprintf(w, "Tag: %s\n", op.Tag)
		fmt.Fprintf(w, "Operation timeout (milliseconds): %d\n", op.Timeout.Milliseconds())
		fmt.Fprintf(w, "Type of operation to perform: %s\n", op.TypeName())
		if op.DNS != nil {
			fmt.Fprintf(w, "Target Host Name: %s\n", op.DNS.Target)
			fmt.Fprintf(w, "Name Server: %s\n", op.DNS.NameServer)
		}
		fmt.Fprint(w, "Vrf Name: \n")
		fmt.Fprint(w, "Schedule:\n")
		fmt.Fprintf(w, "   Operation frequency (seconds): %s  (not considered if randomly scheduled)\n",
			seconds(op.Frequency))
		next, status := "Pending trigger", "notInService"
		if st, ok := state[op.ID]; ok && st != StatePending {
			next, status = "Start Time already passed", "Active"
		}
		fmt.Fprintf(w, "   Next Scheduled Start Time: %s\n", next)
		fmt.Fprint(w, "   Group Scheduled : FALSE\n")
		fmt.Fprint(w, "   Randomly Scheduled : FALSE\n")
		if op.Schedule.Forever {
			fmt.Fprint(w, "   Life (seconds): Forever\n")
		} else {
			fmt.Fprintf(w, "   Life (seconds): %d\n", int(op.Schedule.Life/time.Second))
		}
		fmt.Fprint(w, "   Entry Ageout (seconds): never\n")
		fmt.Fprint(w, "   Recurring (Starting Everyday): FALSE\n")
		fmt.Fprintf(w, "   Status of entry (SNMP RowStatus): %s\n", status)
		fmt.Fprintf(w, "Threshold (milliseconds): %d\n", op.Threshold.Milliseconds())
		fmt.Fprint(w, "Distribution Statistics:\n")
		fmt.Fprint(w, "   Number of statistic hours kept: 2\n")
		fmt.Fprint(w, "   Number of statistic distribution buckets kept: 1\n")
		fmt.Fprint(w, "   Statistic distribution interval (milliseconds): 20\n")
		fmt.Fprint(w, "Enhanced History:\n")
		fmt.Fprint(w, "History Statistics:\n")
		fmt.Fprint(w, "   Number of history Lives kept: 0\n")
		fmt.Fprint(w, "   Number of history Buckets kept: 15\n")
		fmt.Fprint(w, "   History Filter Type: None\n")
	}
}

// WriteApplication prints `show ip sla application` (cisco-semantics §6.4).
// The memory and capacity lines of IOS have no meaning here and are left
// out; lastChange is when the configuration was last loaded.
func WriteApplication(w io.Writer, stats []Stats, lastChange time.Time) {
	var active, pending, inactive int
	for _, st := range stats {
		switch st.State {
		case StateActive:
			active++
		case StateInactive:
			inactive++
		default:
			pending++
		}
	}
	fmt.Fprint(w, "\tIP Service Level Agreements\n")
	fmt.Fprint(w, "Version: Round Trip Time MIB 2.2.0, Infrastructure Engine-III\n\n")
	fmt.Fprint(w, "Supported Operation Types:\n\ticmpEcho, udpEcho, tcpConnect, http, dns\n")
	fmt.Fprint(w, "Supported Features:\n\tIPSLAs Event Publisher\n\n")
	fmt.Fprintf(w, "Number of Entries configured  : %d\n", len(stats))
	fmt.Fprintf(w, "Number of active Entries      : %d\n", active)
	fmt.Fprintf(w, "Number of pending Entries     : %d\n", pending)
	fmt.Fprintf(w, "Number of inactive Entries    : %d\n", inactive)
	fmt.Fprintf(w, "Time of last change in whole IP SLAs: %s\n", lastChange.Format("15:04:05.000 MST Mon Jan 2 2006"))
}

// seconds prints whole seconds as IOS does, and a sub-second frequency
// (ipslad's `frequency msec` extension) with its milliseconds: "0.200".
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.Itoa(int(d / time.Second))
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}
