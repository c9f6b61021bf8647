package sla

import (
	"fmt"
	"io"
	"time"
)

// WriteAggregated writes `show ip sla statistics aggregated [N] [details]`:
// for every operation, each hour kept (oldest first), in the IOS 15
// layout:
//
//	IPSLAs aggregated statistics
//
//	IPSLA operation id: 1
//	Start Time Index: 09:28:16 UTC Thu Nov 26 2026
//	Type of operation: dns
//	RTT Values:
//		Number Of RTT: 59		RTT Min/Avg/Max: 1/2/9 milliseconds
//	Number of successes: 59
//	Number of failures: 1
//
// The header lines follow an IOS 15 capture (of a udp-jitter entry);
// details adds the failures by cause ("Failed Operations due to ...") and,
// per distribution bucket, the lines of Cisco's command reference ("Bucket
// Range", "Avg. Latency", ...). Not captured from a device, and extensions:
// the failure causes IOS has no line for (DNS query error, Socket connect
// error, HTTP error) get a line of their own when they occurred, and the
// last bucket, which has no upper bound, reads "Bucket Range: 20-Inf ms".
func WriteAggregated(w io.Writer, stats []Stats, details bool) {
	fmt.Fprint(w, "IPSLAs aggregated statistics\n")
	for _, st := range stats {
		for _, h := range st.Aggregated() {
			fmt.Fprintf(w, "\nIPSLA operation id: %d\n", st.ID)
			fmt.Fprintf(w, "Start Time Index: %s\n", h.Start.Format(iosTime))
			fmt.Fprintf(w, "Type of operation: %s\n", st.Type)
			t := h.Total()
			fmt.Fprint(w, "RTT Values:\n")
			fmt.Fprintf(w, "\tNumber Of RTT: %d\t\tRTT Min/Avg/Max: %d/%d/%d milliseconds\n", t.Completions, t.MinMS, avgMS(t), t.MaxMS)
			fmt.Fprintf(w, "Number of successes: %d\n", t.Completions)
			fmt.Fprintf(w, "Number of failures: %d\n", h.Failed())
			if details {
				writeAggDetails(w, &h, t)
			}
		}
	}
}

// failureLines are IOS's "Failed Operations due to" causes, in its order,
// with the return codes counted under each (rttMonStatsCollectTable).
var failureLines = []struct {
	name  string
	codes []ReturnCode
}{
	{"Disconnect", nil},
	{"Timeout", []ReturnCode{CodeTimeout}},
	{"Busy", []ReturnCode{CodeBusy}},
	{"No Connection", []ReturnCode{CodeNoConnection}},
	{"Internal Error", []ReturnCode{CodeError}},
	{"Sequence Error", nil},
	{"Verify Error", []ReturnCode{CodeVerifyError}},
}

// extraFailures are failure causes IOS's aggregated view has no line for.
var extraFailures = []ReturnCode{CodeDNSQueryError, CodeSocketConnectError, CodeHTTPError}

func writeAggDetails(w io.Writer, h *AggHour, t AggBucket) {
	fmt.Fprintf(w, "Failed Operations due to over threshold: %d\n", t.OverThresholds)
	for _, f := range failureLines {
		n := 0
		for _, c := range f.codes {
			n += h.Failures[c]
		}
		fmt.Fprintf(w, "Failed Operations due to %s: %d\n", f.name, n)
	}
	for _, c := range extraFailures {
		if n := h.Failures[c]; n > 0 {
			fmt.Fprintf(w, "Failed Operations due to %s: %d\n", c, n)
		}
	}
	fmt.Fprint(w, "Distribution Statistics:\n")
	for i, b := range h.Buckets {
		lo, hi, open := h.BucketRange(i)
		if open {
			fmt.Fprintf(w, "\nBucket Range: %d-Inf ms\n", lo)
		} else {
			fmt.Fprintf(w, "\nBucket Range: %d-%d ms\n", lo, hi)
		}
		fmt.Fprintf(w, "Avg. Latency: %d ms\n", avgMS(b))
		pct := 0
		if t.Completions > 0 {
			pct = b.Completions * 100 / t.Completions
		}
		fmt.Fprintf(w, "Percent of Total Completions for this Range: %d %%\n", pct)
		fmt.Fprintf(w, "Number of Completions/Sum of Latency: %d/%d\n", b.Completions, b.SumMS)
		fmt.Fprintf(w, "Sum of Square Latency: %d ms\n", b.Sum2MS)
		fmt.Fprintf(w, "Operations completed over threshold: %d\n", b.OverThresholds)
	}
}

func avgMS(b AggBucket) int64 {
	if b.Completions == 0 {
		return 0
	}
	return b.SumMS / int64(b.Completions)
}

// AggView is the JSON form of one operation's aggregated statistics
// (ipslactl --json show ip sla statistics aggregated).
type AggView struct {
	ID    int           `json:"id"`
	Type  string        `json:"type"`
	Hours []AggHourView `json:"hours"`
}

// AggHourView is one hour of an AggView. Failures are by return code
// (IOS display names); busy skips are in Busies, not in Failures.
type AggHourView struct {
	Start          time.Time       `json:"start"`
	Completions    int             `json:"completions"`
	OverThresholds int             `json:"over_thresholds"`
	Failures       int             `json:"failures"`
	FailuresByCode map[string]int  `json:"failures_by_code,omitempty"`
	Busies         int             `json:"busies"`
	RTTMinMS       int64           `json:"rtt_min_ms"`
	RTTAvgMS       int64           `json:"rtt_avg_ms"`
	RTTMaxMS       int64           `json:"rtt_max_ms"`
	RTTSumMS       int64           `json:"rtt_sum_ms"`
	RTTSum2MS      uint64          `json:"rtt_sum2_ms2"`
	Buckets        []AggBucketView `json:"buckets"`
}

// AggBucketView is one distribution bucket; ToMS is absent on the last,
// open-ended one.
type AggBucketView struct {
	FromMS         int64  `json:"from_ms"`
	ToMS           *int64 `json:"to_ms,omitempty"`
	Completions    int    `json:"completions"`
	OverThresholds int    `json:"over_thresholds"`
	SumMS          int64  `json:"sum_ms"`
	Sum2MS         uint64 `json:"sum2_ms2"`
	MinMS          int64  `json:"min_ms"`
	MaxMS          int64  `json:"max_ms"`
}

// AggregatedViews returns the JSON views of stats' aggregated statistics.
func AggregatedViews(stats []Stats) []AggView {
	out := []AggView{}
	for _, st := range stats {
		v := AggView{ID: st.ID, Type: st.Type, Hours: []AggHourView{}}
		for _, h := range st.Aggregated() {
			t := h.Total()
			hv := AggHourView{Start: h.Start, Completions: t.Completions, OverThresholds: t.OverThresholds,
				Failures: h.Failed(), Busies: h.Failures[CodeBusy], RTTMinMS: t.MinMS, RTTAvgMS: avgMS(t),
				RTTMaxMS: t.MaxMS, RTTSumMS: t.SumMS, RTTSum2MS: t.Sum2MS}
			for c, n := range h.Failures {
				if n > 0 && ReturnCode(c) != CodeBusy {
					if hv.FailuresByCode == nil {
						hv.FailuresByCode = map[string]int{}
					}
					hv.FailuresByCode[ReturnCode(c).String()] = n
				}
			}
			for i, b := range h.Buckets {
				lo, hi, open := h.BucketRange(i)
				bv := AggBucketView{FromMS: lo, Completions: b.Completions, OverThresholds: b.OverThresholds,
					SumMS: b.SumMS, Sum2MS: b.Sum2MS, MinMS: b.MinMS, MaxMS: b.MaxMS}
				if !open {
					bv.ToMS = &hi
				}
				hv.Buckets = append(hv.Buckets, bv)
			}
			v.Hours = append(v.Hours, hv)
		}
		out = append(out, v)
	}
	return out
}
