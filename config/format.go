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
	formatGroups(&b, c.Operations)
	if len(c.Operations) > 0 && c.Operations[0].LogTraps {
		b.WriteString("ip sla logging traps\n")
	}
	for _, t := range c.Tracks {
		formatTrack(&b, t)
	}
	if s := c.RouteBackend.String(); s != "" {
		b.WriteString(s + "\n")
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
		formatDNSExtensions(b, d)
	}
	formatOtherType(b, op)
	formatVRF(b, op)
	if op.Owner != "" {
		fmt.Fprintf(b, " owner %s\n", quoteText(op.Owner))
	}
	if op.Tag != "" {
		fmt.Fprintf(b, " tag %s\n", quoteText(op.Tag))
	}
	if op.Threshold != sla.DefaultThreshold {
		fmt.Fprintf(b, " threshold %d\n", op.Threshold.Milliseconds())
	}
	if op.Timeout != op.DefaultTimeout() {
		fmt.Fprintf(b, " timeout %d\n", op.Timeout.Milliseconds())
	}
	if op.Frequency%time.Second != 0 {
		fmt.Fprintf(b, " frequency msec %d\n", op.Frequency.Milliseconds())
	} else if op.Frequency != sla.DefaultFrequency {
		fmt.Fprintf(b, " frequency %d\n", op.Frequency/time.Second)
	}
	formatReactions(b, op)
	s := op.Schedule
	if !s.Scheduled || s.Group != 0 {
		return
	}
	fmt.Fprintf(b, "ip sla schedule %d", op.ID)
	formatScheduleOptions(b, s)
	b.WriteByte('\n')
}

// formatScheduleOptions writes the life, start-time and further options of
// an `ip sla schedule` or `ip sla group schedule` line, defaults left out.
func formatScheduleOptions(b *strings.Builder, s sla.Schedule) {
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
	formatScheduleExtras(b, s)
}

func formatTrack(b *strings.Builder, t track.Object) {
	// IOS keeps the ip sla mode as typed; the canonical form leaves out
	// the default, state.
	fmt.Fprintf(b, "track %d ", t.ID)
	switch t.Type {
	case track.TypeSLA:
		fmt.Fprintf(b, "ip sla %d", t.SLA)
		if t.Mode == track.ModeReachability {
			b.WriteString(" reachability")
		}
	case track.TypeInterface:
		fmt.Fprintf(b, "interface %s %s", t.Interface, t.Mode)
	case track.TypeRoute:
		if t.Prefix.Addr().Is4() {
			fmt.Fprintf(b, "ip route %s %s %s", t.Prefix.Addr(), maskString(t.Prefix.Bits()), t.Mode)
		} else {
			fmt.Fprintf(b, "ipv6 route %s %s", t.Prefix, t.Mode)
		}
	case track.TypeList:
		fmt.Fprintf(b, "list %s", t.List)
	case track.TypeStub:
		b.WriteString("stub-object")
	}
	b.WriteByte('\n')
	if t.VRF != "" {
		fmt.Fprintf(b, " ip vrf %s\n", t.VRF)
	}
	if t.MetricUp != 0 || t.MetricDown != 0 {
		fmt.Fprintf(b, " threshold metric up %d down %d\n", t.MetricUp, t.MetricDown)
	}
	for _, m := range t.Members {
		fmt.Fprintf(b, " object %d", m.ID)
		if m.Not {
			b.WriteString(" not")
		}
		if m.Weight != 0 {
			fmt.Fprintf(b, " weight %d", m.Weight)
		}
		b.WriteByte('\n')
	}
	if t.ThresholdUp != 0 || t.ThresholdDown != 0 {
		word := "weight"
		if t.List == track.ListPercentage {
			word = "percentage"
		}
		fmt.Fprintf(b, " threshold %s up %d down %d\n", word, t.ThresholdUp, t.ThresholdDown)
	}
	if t.Type == track.TypeStub && t.DefaultState == track.Up {
		b.WriteString(" default-state up\n")
	}
	if t.DelayUp != 0 || t.DelayDown != 0 {
		b.WriteString(" delay")
		if t.DelayUp != 0 {
			fmt.Fprintf(b, " up %d", t.DelayUp/time.Second)
		}
		if t.DelayDown != 0 {
			fmt.Fprintf(b, " down %d", t.DelayDown/time.Second)
		}
		b.WriteByte('\n')
	}
	if t.HysteresisUp != 0 || t.HysteresisDown != 0 {
		fmt.Fprintf(b, " hysteresis up %d down %d\n", max(t.HysteresisUp, 1), max(t.HysteresisDown, 1))
	}
	if d := t.Dampening; d.Enabled {
		// Positional arguments: a later one needs the earlier ones.
		b.WriteString(" dampening")
		or := func(v, def int) int {
			if v == 0 {
				return def
			}
			return v
		}
		if d.HalfLife != 0 || d.Reuse != 0 || d.MaxSuppress != 0 {
			fmt.Fprintf(b, " %d", or(int(d.HalfLife/time.Second), int(track.DefaultHalfLife/time.Second)))
		}
		if d.Reuse != 0 || d.MaxSuppress != 0 {
			fmt.Fprintf(b, " %d %d", or(d.Reuse, track.DefaultReuse), or(d.Suppress, track.DefaultSuppress))
		}
		if d.MaxSuppress != 0 {
			fmt.Fprintf(b, " %d", d.MaxSuppress/time.Second)
		}
		b.WriteByte('\n')
	}
}
