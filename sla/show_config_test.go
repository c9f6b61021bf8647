package sla

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

func TestShowConfigurationGolden(t *testing.T) {
	op1 := NewOperation(1)
	op1.DNS = &DNS{Target: "anycast.example.com", NameServer: netip.MustParseAddr("10.0.0.10")}
	op1.Frequency, op1.Timeout, op1.Threshold = 10*time.Second, 2*time.Second, time.Second
	op1.Schedule = Schedule{Scheduled: true, Forever: true, Start: StartNow}
	op1.Owner, op1.Tag = "noc", "anycast A"
	op4 := NewOperation(4)
	op4.DNS = &DNS{Target: "192.0.2.1", NameServer: netip.MustParseAddr("2001:db8::53")}
	var b bytes.Buffer
	WriteConfiguration(&b, []Operation{op1, op4}, showStats())
	golden(t, "configuration.golden", b.Bytes())

	b.Reset()
	WriteApplication(&b, showStats(), showNow)
	golden(t, "application.golden", b.Bytes())
}
