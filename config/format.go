package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/ipslad/ipslad/sla"
	"github.com/ipslad/ipslad/track"
)

// Format returns c as canonical IOS running-config text: operations, each
// followed by its schedule, then tracks, then routes. Like IOS it prints
// only what differs from the defaults, in IOS's keyword order, so
// Parse(Format(c)) gives c's model back.
func Format(c *Config) string {
	var b strings.Builder
	for i := range c.Operations {
		formatOperation(&b, &c.Operations[i])
	}
	for _, t := range c.Tracks {
		formatTrack(&b, t)
	}
	for _, r := range c.Routes {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func formatOperation(b *strings.Builder, op *sla.Operation) {
	fmt.Fprintf(b, "ip sla %d\n", op.ID)
	if d := op.DNS; d != nil {
		fmt.Fprintf(b, " dns %s name-server %s", d.Target, d.NameServer)
		if d.SourceIP.IsValid() {
			fmt.Fprintf(b, " source-ip %s", d.SourceIP)
		}
		if d.SourcePort != 0 {
			fmt.Fprintf(b, " source-port %d", d.SourcePort)
		}
		b.WriteByte('\n')
	}
	if op.Owner != "" {
		fmt.Fprintf(b, " owner %s\n", quoteText(op.Owner))
	}
	if op.Tag != "" {
		fmt.Fprintf(b, " tag %s\n", quoteText(op.Tag))
	}
	if op.Threshold != sla.DefaultThreshold {
		fmt.Fprintf(b, " threshold %d\n", op.Threshold.Milliseconds())
	}
	if op.Timeout != sla.DefaultTimeout {
		fmt.Fprintf(b, " timeout %d\n", op.Timeout.Milliseconds())
	}
	if op.Frequency != sla.DefaultFrequency {
		fmt.Fprintf(b, " frequency %d\n", op.Frequency/time.Second)
	}
	s := op.Schedule
	if !s.Scheduled {
		return
	}
	fmt.Fprintf(b, "ip sla schedule %d", op.ID)
	switch {
	case s.Forever:
		b.WriteString(" life forever")
	case s.Life != sla.DefaultLife:
		fmt.Fprintf(b, " life %d", s.Life/time.Second)
	}
	switch s.Start {
	case sla.StartNow:
		b.WriteString(" start-time now")
	case sla.StartAfter:
		fmt.Fprintf(b, " start-time after %s", formatHMS(s.After))
	}
	b.WriteByte('\n')
}

func formatTrack(b *strings.Builder, t track.Object) {
	// IOS keeps the mode as typed; the canonical form leaves out the
	// default, state.
	fmt.Fprintf(b, "track %d ip sla %d", t.ID, t.SLA)
	if t.Mode == track.ModeReachability {
		b.WriteString(" reachability")
	}
	b.WriteByte('\n')
	if t.DelayUp == 0 && t.DelayDown == 0 {
		return
	}
	b.WriteString(" delay")
	if t.DelayUp != 0 {
		fmt.Fprintf(b, " up %d", t.DelayUp/time.Second)
	}
	if t.DelayDown != 0 {
		fmt.Fprintf(b, " down %d", t.DelayDown/time.Second)
	}
	b.WriteByte('\n')
}
