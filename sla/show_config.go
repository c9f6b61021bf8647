package sla

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// WriteConfiguration prints `show ip sla configuration [N]` in the IOS
// Engine-III field order (cisco-semantics §6.3). No capture of a dns or
// http entry exists, so their lines are approximations: for dns `Target
// Host Name:` and `Name Server:` replace the address pair, and the
// icmp-only lines (ToS, request size, data pattern, verify data) are left
// out; for http, the fields of IOS's http configuration (HTTP Operation,
// HTTP Server Version, URL, Proxy, Raw String(s), Cache Control) follow
// the source pair. stats gives the
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
		writeTypeConfig(w, &op)
		fmt.Fprintf(w, "Vrf Name: %s\n", op.VRF)
		if op.ICMPEcho != nil {
			fmt.Fprint(w, "Do not fragment: No\n")
		}
		fmt.Fprint(w, "Schedule:\n")
		fmt.Fprintf(w, "   Operation frequency (seconds): %s  (not considered if randomly scheduled)\n",
			seconds(op.EffectiveFrequency()))
		next, status := "Pending trigger", "notInService"
		if st, ok := state[op.ID]; ok && st != StatePending {
			next, status = "Start Time already passed", "Active"
		}
		fmt.Fprintf(w, "   Next Scheduled Start Time: %s\n", next)
		// Group-scheduled: the group's frequency is in force; randomly
		// scheduled is the group's frequency range (IOS's random scheduler).
		fmt.Fprintf(w, "   Group Scheduled : %s\n", iosBool(op.Schedule.Group != 0 && op.Schedule.Scheduled))
		fmt.Fprintf(w, "   Randomly Scheduled : %s\n", iosBool(op.Schedule.Group != 0 && op.Schedule.GroupFrequencyMax != 0))
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
		h := op.History
		fmt.Fprintf(w, "   Number of statistic hours kept: %d\n", h.Hours())
		fmt.Fprintf(w, "   Number of statistic distribution buckets kept: %d\n", h.Dists())
		fmt.Fprintf(w, "   Statistic distribution interval (milliseconds): %d\n", h.Interval())
		fmt.Fprint(w, "Enhanced History:\n")
		fmt.Fprint(w, "History Statistics:\n")
		fmt.Fprintf(w, "   Number of history Lives kept: %d\n", h.LivesKept)
		fmt.Fprintf(w, "   Number of history Buckets kept: %d\n", h.Buckets())
		f := h.Filter.String()
		fmt.Fprintf(w, "   History Filter Type: %s\n", strings.ToUpper(f[:1])+f[1:])
	}
}

// writeTypeConfig writes the lines of op's type: for icmp-echo the
// captured IOS layout, for udp-echo and tcp-connect the same fields with
// the port pair; the dns and http lines are approximations (no capture).
func writeTypeConfig(w io.Writer, op *Operation) {
	pair := func(target, src netip.Addr) {
		if !src.IsValid() {
			src = netip.IPv4Unspecified()
			if target.Is6() {
				src = netip.IPv6Unspecified()
			}
		}
		fmt.Fprintf(w, "Target address/Source address: %s/%s\n", target, src)
	}
	payload := func() {
		fmt.Fprintf(w, "Type Of Service parameter: %#x\n", op.TOS)
		fmt.Fprintf(w, "Request size (ARR data portion): %d\n", op.EffectiveDataSize())
		pat := op.DataPattern
		if pat == "" {
			pat = DefaultDataPattern
		}
		fmt.Fprintf(w, "Data pattern: 0x%s\n", pat)
		fmt.Fprintf(w, "Verify data: %s\n", yesNo(op.VerifyData))
	}
	switch {
	case op.DNS != nil:
		fmt.Fprintf(w, "Target Host Name: %s\n", op.DNS.Target)
		fmt.Fprintf(w, "Name Server: %s\n", op.DNS.NameServer)
	case op.ICMPEcho != nil:
		pair(op.ICMPEcho.Target, op.ICMPEcho.SourceIP)
		payload()
	case op.UDPEcho != nil:
		pair(op.UDPEcho.Target, op.UDPEcho.SourceIP)
		fmt.Fprintf(w, "Target port/Source port: %d/%d\n", op.UDPEcho.Port, op.UDPEcho.SourcePort)
		payload()
	case op.TCPConnect != nil:
		pair(op.TCPConnect.Target, op.TCPConnect.SourceIP)
		fmt.Fprintf(w, "Target port/Source port: %d/%d\n", op.TCPConnect.Port, op.TCPConnect.SourcePort)
		fmt.Fprintf(w, "Type Of Service parameter: %#x\n", op.TOS)
	case op.HTTP != nil:
		h := op.HTTP
		method, raw := "get", ""
		if h.Raw {
			method, raw = "raw", rawEscaper.Replace(h.RawRequest)
		}
		cache := "enable"
		if h.NoCache {
			cache = "disable"
		}
		src := h.SourceIP.String()
		if !h.SourceIP.IsValid() {
			src = "0.0.0.0"
		}
		ns := ""
		if h.NameServer.IsValid() {
			ns = h.NameServer.String()
		}
		fmt.Fprintf(w, "Source address/Source port: %s/%d\n", src, h.SourcePort)
		fmt.Fprintf(w, "Type Of Service parameter: %#x\n", op.TOS)
		fmt.Fprintf(w, "HTTP Operation: %s\n", method)
		fmt.Fprintf(w, "HTTP Server Version: %s\n", h.HTTPVersion())
		fmt.Fprintf(w, "URL: %s\n", h.URL)
		fmt.Fprintf(w, "Name Server: %s\n", ns)
		fmt.Fprintf(w, "Proxy: %s\n", h.Proxy)
		fmt.Fprintf(w, "Raw String(s): %s\n", raw)
		fmt.Fprintf(w, "Cache Control: %s\n", cache)
	}
}

var rawEscaper = strings.NewReplacer("\\", `\\`, "\r", `\r`, "\n", `\n`, "\t", `\t`)

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
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
