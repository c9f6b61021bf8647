package config

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/ipslad/ipslad/sla"
)

// dnsExtModel is the model of testdata/dnsext.cfg, written out by hand.
func dnsExtModel() *Config {
	addr := netip.MustParseAddr
	now := sla.Schedule{Scheduled: true, Forever: true, Start: sla.StartNow}
	op1 := sla.NewOperation(1)
	op1.DNS = &sla.DNS{Target: "anycast.example.com", NameServer: addr("10.0.0.10"),
		QueryType: dns.TypeAAAA, Rcodes: 1<<dns.RcodeSuccess | 1<<dns.RcodeNameError,
		Expect: "2001:db8::53", NoRecursion: true, TCP: true, EDNSBufSize: 1232}
	op1.Threshold, op1.Timeout, op1.Frequency = 100*time.Millisecond, 200*time.Millisecond, 500*time.Millisecond
	op1.Schedule = now
	op2 := sla.NewOperation(2)
	op2.DNS = &sla.DNS{Target: "version.example.com", NameServer: addr("2001:db8::53"),
		QueryType: dns.TypeTXT, Expect: "^serial=2026 [0-9]+$", ExpectRegexp: true, TCPFallback: true}
	op2.Schedule = now
	op3 := sla.NewOperation(3)
	op3.DNS = &sla.DNS{Target: "192.0.2.53", NameServer: addr("10.0.0.10"),
		Expect: `^dns1\.example\.com\.$`, ExpectRegexp: true}
	op3.Schedule = now
	return &Config{Operations: []sla.Operation{op1, op2, op3}}
}

func TestDNSExtensions(t *testing.T) {
	for _, file := range []string{"testdata/dnsext.cfg", "testdata/dnsext.yaml"} {
		t.Run(file, func(t *testing.T) {
			c, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Equal(dnsExtModel()) {
				t.Errorf("model differs:\ngot:\n%s\nwant:\n%s", dump(c), dump(dnsExtModel()))
			}
			roundTrip(t, c)
		})
	}
}

// opTypesModel is the model of testdata/optypes.cfg, written out by hand.
func opTypesModel() *Config {
	addr := netip.MustParseAddr
	forever := sla.Schedule{Scheduled: true, Forever: true, Start: sla.StartNow}
	op10 := sla.NewOperation(10)
	op10.ICMPEcho = &sla.ICMPEcho{Target: addr("192.0.2.1"), SourceIP: addr("192.0.2.254")}
	op10.DataSize, op10.TOS, op10.VerifyData, op10.VRF = 100, 184, true, "MGMT"
	op10.Threshold, op10.Timeout, op10.Frequency = 500*time.Millisecond, time.Second, 5*time.Second
	op10.Schedule = forever
	op11 := sla.NewOperation(11)
	op11.ICMPEcho = &sla.ICMPEcho{Target: addr("2001:db8::1"), SourceInterface: "eth0"}
	op11.Schedule = forever
	op12 := sla.NewOperation(12)
	op12.TCPConnect = &sla.TCPConnect{Target: addr("192.0.2.2"), Port: 443, SourceIP: addr("192.0.2.254"), SourcePort: 40000}
	op12.TOS, op12.Timeout = 32, sla.DefaultTCPConnectTimeout
	op12.Schedule = forever
	op13 := sla.NewOperation(13)
	op13.TCPConnect = &sla.TCPConnect{Target: addr("192.0.2.2"), Port: 80}
	op13.Threshold, op13.Timeout, op13.Frequency = time.Second, 2*time.Second, 10*time.Second
	op13.Schedule = sla.Schedule{Scheduled: true, Life: sla.DefaultLife, Start: sla.StartNow}
	op14 := sla.NewOperation(14)
	op14.UDPEcho = &sla.UDPEcho{Target: addr("192.0.2.3"), Port: 7, SourcePort: 5000}
	op14.DataSize, op14.VerifyData = 64, true
	op14.History = sla.History{LivesKept: 1, BucketsKept: 30, Filter: sla.HistoryFailures}
	op14.Schedule = forever
	op15 := sla.NewOperation(15)
	op15.HTTP = &sla.HTTP{URL: "http://192.0.2.4/health", SourceIP: addr("192.0.2.254"), Version: "1.1"}
	op15.Timeout, op15.Frequency = 5*time.Second, 30*time.Second
	op15.Schedule = forever
	return &Config{Operations: []sla.Operation{op10, op11, op12, op13, op14, op15}}
}

func TestOperationTypes(t *testing.T) {
	for _, file := range []string{"testdata/optypes.cfg", "testdata/optypes.yaml"} {
		t.Run(file, func(t *testing.T) {
			c, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Equal(opTypesModel()) {
				t.Errorf("model differs:\ngot:\n%s\nwant:\n%s", dump(c), dump(opTypesModel()))
			}
			roundTrip(t, c)
		})
	}
}

func TestScheduleOptions(t *testing.T) {
	c, err := Load("testdata/schedules.cfg")
	if err != nil {
		t.Fatal(err)
	}
	want := []sla.Schedule{
		{Scheduled: true, Forever: true, Start: sla.StartRandom, Random: 5 * time.Second},
		{Scheduled: true, Life: 2 * time.Hour, Start: sla.StartAt, After: 8*time.Hour + 30*time.Minute, Ageout: 24 * time.Hour, Recurring: true},
		{Scheduled: true, Life: sla.DefaultLife, Start: sla.StartAt, After: 23*time.Hour + 59*time.Minute + 30*time.Second,
			Month: time.December, Day: 24, Ageout: 10 * time.Minute},
		{Scheduled: true, Life: sla.DefaultLife, Start: sla.StartAt, After: 6 * time.Hour, Month: time.March, Day: 1},
	}
	for i, op := range c.Operations {
		if op.Schedule != want[i] {
			t.Errorf("ip sla %d: schedule %+v, want %+v", op.ID, op.Schedule, want[i])
		}
	}
	roundTrip(t, c)
}

func TestReactions(t *testing.T) {
	c, err := Load("testdata/reactions.cfg")
	if err != nil {
		t.Fatal(err)
	}
	timeout := sla.NewReaction(sla.ReactTimeout)
	timeout.Type, timeout.Count, timeout.Action = sla.ThresholdConsecutive, 3, sla.ActionTrapAndTrigger
	rtt := sla.NewReaction(sla.ReactRTT)
	rtt.Type, rtt.Count, rtt.Of, rtt.Upper, rtt.Lower, rtt.Action = sla.ThresholdXofY, 3, 5, 300*time.Millisecond, 100*time.Millisecond, sla.ActionTrapOnly
	verify := sla.NewReaction(sla.ReactVerifyError)
	verify.Type, verify.Action = sla.ThresholdImmediate, sla.ActionTrapOnly
	op := c.Operations[0]
	if !slices.Equal(op.Reactions, []sla.Reaction{rtt, timeout, verify}) || !slices.Equal(op.Triggers, []int{2}) || !op.LogTraps {
		t.Errorf("ip sla 1: reactions %+v triggers %v logTraps %v", op.Reactions, op.Triggers, op.LogTraps)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %v (ip sla 2 is pending but triggered)", c.Warnings)
	}
	roundTrip(t, c)
}

func TestGroupSchedule(t *testing.T) {
	c, err := Load("testdata/groups.cfg")
	if err != nil {
		t.Fatal(err)
	}
	for i, op := range c.Operations {
		s := op.Schedule
		if s.Group != 1 || s.GroupPeriod != 20*time.Second || s.GroupOffset != time.Duration(i)*5*time.Second ||
			!s.Forever || s.Start != sla.StartNow || op.EffectiveFrequency() != 10*time.Second {
			t.Errorf("ip sla %d: %+v", op.ID, s)
		}
	}
	roundTrip(t, c)
	if got := Format(c); !strings.Contains(got, "ip sla group schedule 1 1-3,5 schedule-period 20 frequency 10 life forever start-time now\n") {
		t.Errorf("Format:\n%s", got)
	}
}
