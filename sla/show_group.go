package sla

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GroupView is one `ip sla group schedule` as shown by `show ip sla group
// schedule` (and its JSON form).
type GroupView struct {
	Group        int   `json:"group"`
	Operations   []int `json:"operations"`
	PeriodS      int   `json:"schedule_period_s"`
	FrequencyS   int   `json:"frequency_s"`               // the frequency, or the lower bound of a range
	FrequencyMax int   `json:"frequency_max_s,omitempty"` // the upper bound of frequency range A-B
}

// Groups returns the group schedules of ops, by group number.
func Groups(ops []Operation) []GroupView {
	byGroup := map[int]*GroupView{}
	out := []GroupView{}
	for _, op := range ops {
		s := op.Schedule
		if s.Group == 0 || !s.Scheduled {
			continue
		}
		g := byGroup[s.Group]
		if g == nil {
			g = &GroupView{Group: s.Group, PeriodS: int(s.GroupPeriod / time.Second),
				FrequencyS: int(op.EffectiveFrequency() / time.Second), FrequencyMax: int(s.GroupFrequencyMax / time.Second)}
			byGroup[s.Group] = g
		}
		g.Operations = append(g.Operations, op.ID)
	}
	for _, g := range byGroup {
		slices.Sort(g.Operations)
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b GroupView) int { return a.Group - b.Group })
	return out
}

// WriteGroupSchedule writes `show ip sla group schedule` in the layout of
// Cisco's configuration guide (IOS XE):
//
//	Multi-Scheduling Configuration:
//	Group Entry Number: 1
//	Probes to be scheduled: 1-10
//	Schedule period :20
//	Group operation frequency: 20
//	Multi-scheduled: TRUE
//
// A frequency range prints as "Group operation frequency: 80-100" (no IOS
// capture of that line was found).
func WriteGroupSchedule(w io.Writer, groups []GroupView) {
	fmt.Fprint(w, "Multi-Scheduling Configuration:\n")
	for i, g := range groups {
		if i > 0 {
			fmt.Fprint(w, "\n")
		}
		fmt.Fprintf(w, "Group Entry Number: %d\n", g.Group)
		fmt.Fprintf(w, "Probes to be scheduled: %s\n", IDRanges(g.Operations))
		fmt.Fprintf(w, "Schedule period :%d\n", g.PeriodS)
		if g.FrequencyMax != 0 {
			fmt.Fprintf(w, "Group operation frequency: %d-%d\n", g.FrequencyS, g.FrequencyMax)
		} else {
			fmt.Fprintf(w, "Group operation frequency: %d\n", g.FrequencyS)
		}
		fmt.Fprint(w, "Multi-scheduled: TRUE\n")
	}
}

// IDRanges writes sorted ids as IOS lists them (show output and the
// ip sla group schedule line): 1-3,5.
func IDRanges(ids []int) string {
	var parts []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, strconv.Itoa(ids[i])+"-"+strconv.Itoa(ids[j]))
		} else {
			parts = append(parts, strconv.Itoa(ids[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
