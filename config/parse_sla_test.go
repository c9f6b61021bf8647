package config

import (
	"context"
	"io"
	"net"
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
	op4 := sla.NewOperation(4) // an IPv6 target: PTR in ip6.arpa
	op4.DNS = &sla.DNS{Target: "2001:db8::53", NameServer: addr("2001:db8::1")}
	op4.History = sla.History{HoursKept: sla.HoursKeptOff, DistKept: 5, DistInterval: 10}
	op4.Schedule = now
	return &Config{Operations: []sla.Operation{op1, op2, op3, op4}}
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
	op16 := sla.NewOperation(16)
	op16.HTTP = &sla.HTTP{URL: "http://www.example.com:8080/status?x=1", Proxy: "http://192.0.2.8:3128", NoCache: true,
		NameServer: addr("192.0.2.53"), SourcePort: 40080, Version: "1.0"}
	op16.Timeout = sla.DefaultHTTPTimeout
	op16.Schedule = forever
	op17 := sla.NewOperation(17)
	op17.HTTP = &sla.HTTP{URL: "http://192.0.2.4", NameServer: addr("192.0.2.53"), Raw: true,
		RawRequest: "GET /health HTTP/1.0\r\nUser-Agent: \"ipslad\" ! not a comment here\r\n\r\n"}
	op17.Threshold, op17.Timeout, op17.Frequency = 2*time.Second, 3*time.Second, 10*time.Second
	op17.Schedule = forever
	op18 := sla.NewOperation(18)
	op18.ICMPEcho = &sla.ICMPEcho{Target: addr("192.0.2.1")}
	op18.DataPattern, op18.VerifyData = "0F0F", true
	op18.Schedule = forever
	op19 := sla.NewOperation(19)
	op19.UDPEcho = &sla.UDPEcho{Target: addr("192.0.2.3"), Port: 7} // data-pattern ABCDABCD is the default
	op19.Schedule = forever
	return &Config{Operations: []sla.Operation{op10, op11, op12, op13, op14, op15, op16, op17, op18, op19}}
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
	for i, op := range c.Operations[:4] {
		s := op.Schedule
		if s.Group != 1 || s.GroupPeriod != 20*time.Second || s.GroupOffset != time.Duration(i)*5*time.Second ||
			!s.Forever || s.Start != sla.StartNow || op.EffectiveFrequency() != 10*time.Second {
			t.Errorf("ip sla %d: %+v", op.ID, s)
		}
		if f := op.NextFrequency(); f != 10*time.Second {
			t.Errorf("ip sla %d: next frequency %v, want 10s", op.ID, f)
		}
	}
	// Group 2, frequency range 80-100: IOS's random scheduler.
	offsets := map[time.Duration]bool{}
	for _, op := range c.Operations[4:] {
		s := op.Schedule
		if s.Group != 2 || s.GroupPeriod != 50*time.Second || s.GroupFrequency != 80*time.Second || s.GroupFrequencyMax != 100*time.Second ||
			op.EffectiveFrequency() != 80*time.Second {
			t.Errorf("ip sla %d: %+v", op.ID, s)
		}
		if s.GroupOffset < 0 || s.GroupOffset >= s.GroupPeriod || s.GroupOffset%(100*time.Millisecond) != 0 {
			t.Errorf("ip sla %d: offset %v, want a multiple of 100ms within the 50 s period", op.ID, s.GroupOffset)
		}
		offsets[s.GroupOffset] = true
		seen := map[time.Duration]bool{}
		for range 200 {
			f := op.NextFrequency()
			if f < 80*time.Second || f > 100*time.Second || f%sla.Tick != 0 {
				t.Fatalf("ip sla %d: next frequency %v, want 80-100 s on the %v grid", op.ID, f, sla.Tick)
			}
			seen[f] = true
		}
		if len(seen) < 100 {
			t.Errorf("ip sla %d: only %d distinct frequencies in 200 draws", op.ID, len(seen))
		}
	}
	if len(offsets) != 2 {
		t.Errorf("group 2: offsets %v, want two different ones", offsets)
	}
	// The offsets do not change from one load to the next (no restart on reload).
	again, err := Load("testdata/groups.cfg")
	if err != nil || !again.Equal(c) {
		t.Errorf("reloading groups.cfg gives another model (err %v)", err)
	}
	roundTrip(t, c)
	got := Format(c)
	for _, line := range []string{
		"ip sla group schedule 1 1-3,5 schedule-period 20 frequency 10 life forever start-time now\n",
		"ip sla group schedule 2 6-7 schedule-period 50 frequency range 80-100 start-time now\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("Format lacks %q:\n%s", line, got)
		}
	}
	y, err := Load("testdata/groups.yaml")
	if err != nil || !y.Equal(c) {
		t.Errorf("groups.yaml differs from groups.cfg (err %v)", err)
	}
}

// TestHTTPRawRequest: the http-raw-request sub-mode takes its lines as
// request text (quotes, "!" and keywords included) up to exit, or up to
// one of ipslad's global commands at the block's indentation.
func TestHTTPRawRequest(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"indented, with exit",
			"ip sla 1\n http raw http://10.0.0.1/\n http-raw-request\n  GET / HTTP/1.0\\r\\n\n  \\r\\n\n  exit\n frequency 10\n",
			"GET / HTTP/1.0\r\n\r\n"},
		{"no indentation",
			"ip sla 1\nhttp raw http://10.0.0.1/\nhttp-raw-request\nGET / HTTP/1.0\\r\\n\n\\r\\n\nexit\nfrequency 10\n",
			"GET / HTTP/1.0\r\n\r\n"},
		{"forgotten exit",
			"ip sla 1\n http raw http://10.0.0.1/\n http-raw-request\n  GET / HTTP/1.0\\r\\n\n  \\r\\n\nip sla schedule 1 start-time now\n",
			"GET / HTTP/1.0\r\n\r\n"},
		{"text that looks like commands, quotes and comments",
			"ip sla 1\n http raw http://10.0.0.1/\n http-raw-request\n  POST /x HTTP/1.0\\r\\n\n  frequency: \"10 ! not a comment\\r\\n\n  no-cache: \"\\r\\n\n  \\r\\n\n  exit\n",
			"POST /x HTTP/1.0\r\nfrequency: \"10 ! not a comment\r\nno-cache: \"\r\n\r\n"},
		{"tab and backslash escapes, blanks kept inside",
			"ip sla 1\n http raw http://10.0.0.1/\n http-raw-request\n  GET /a\\\\b HTTP/1.0 \\r\\n\n  X:\\ta  b\\r\\n\\r\\n   \n  exit\n",
			"GET /a\\b HTTP/1.0 \r\nX:\ta  b\r\n\r\n"},
		{"entered again: replaced",
			"ip sla 1\n http raw http://10.0.0.1/\n http-raw-request\n  GET /old HTTP/1.0\\r\\n\\r\\n\n  exit\n http-raw-request\n  GET /new HTTP/1.0\\r\\n\\r\\n\n  exit\n",
			"GET /new HTTP/1.0\r\n\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("raw.cfg", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			h := c.Operations[0].HTTP
			if !h.Raw || h.RawRequest != tc.want {
				t.Fatalf("raw request %q, want %q", h.RawRequest, tc.want)
			}
			// A frequency line after exit is the operation's again.
			wantFreq := sla.DefaultFrequency
			if strings.Contains(tc.src, "exit\n frequency 10") || strings.Contains(tc.src, "exit\nfrequency 10") {
				wantFreq = 10 * time.Second
			}
			if f := c.Operations[0].Frequency; f != wantFreq {
				t.Errorf("frequency %v, want %v", f, wantFreq)
			}
			roundTrip(t, c)
		})
	}
}

// rawConfig is a config with one scheduled http raw operation.
func rawConfig(req string) *Config {
	op := sla.NewOperation(1)
	op.HTTP = &sla.HTTP{URL: "http://192.0.2.4/", Raw: true, RawRequest: req}
	op.Timeout = sla.DefaultHTTPTimeout
	op.Schedule = sla.Schedule{Scheduled: true, Forever: true, Start: sla.StartNow}
	return &Config{Operations: []sla.Operation{op}}
}

// TestRawRequestFormat: Format writes any raw request so that Parse reads
// it back byte for byte.
func TestRawRequestFormat(t *testing.T) {
	for _, req := range []string{
		"GET / HTTP/1.0\r\n\r\n",
		"  leading blanks\r\ntrailing blanks  \r\n\t tab first\r\n\r\n",
		"!bang first\r\nexit\nEXIT\r\n",
		"ip sla schedule 1\nend\nbanner motd ^x^\r\n",
		"no final newline  ",
		"\x00\x01\x7f\xff bytes\n\n\n",
		`back\slash \r literal` + "\r\n",
		"\"unterminated quote\r\n",
	} {
		t.Run(strings.ToValidUTF8(req[:min(12, len(req))], "?"), func(t *testing.T) {
			c := rawConfig(req)
			roundTrip(t, c)
		})
	}
}

func FuzzRawRequestFormat(f *testing.F) {
	f.Add("GET / HTTP/1.0\r\n\r\n")
	f.Add(" x \n!y\nexit\n\t")
	f.Fuzz(func(t *testing.T, req string) {
		if req == "" {
			return
		}
		roundTrip(t, rawConfig(req))
	})
}

// TestHTTPRawOnTheWire: an http raw block from a configuration file goes
// out byte for byte, its escapes resolved, to an HTTP server on loopback.
func TestHTTPRawOnTheWire(t *testing.T) {
	want := "GET /health HTTP/1.0\r\nUser-Agent: \"ipslad\" !\r\n\r\n"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, len(want))
		n, _ := io.ReadFull(c, buf)
		got <- string(buf[:n])
		io.WriteString(c, "HTTP/1.0 200 OK\r\n\r\n")
	}()
	src := "ip sla 1\n http raw http://" + l.Addr().String() + "/ignored version 1.1\n http-raw-request\n" +
		"  GET /health HTTP/1.0\\r\\n\n  User-Agent: \"ipslad\" !\\r\\n\n  \\r\\n\n  exit\n"
	c, err := Parse("raw.cfg", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	probe, err := sla.NewProbe(c.Operations[0])
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if out := probe(ctx); out.Code != sla.CodeOK {
		t.Fatalf("code = %v (%s), want OK", out.Code, out.Detail)
	}
	if g := <-got; g != want {
		t.Errorf("server got %q, want %q", g, want)
	}
	if len(c.Warnings) != 2 || !strings.Contains(c.Warnings[0].Msg+c.Warnings[1].Msg, "version is not used") {
		t.Errorf("warnings: %v", c.Warnings)
	}
}
