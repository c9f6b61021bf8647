package config

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/ipslad/ipslad/sla"
)

func TestLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // value, or error
	}{
		{"1", "1"}, {"604800", "604800"}, {"0", `expected seconds 1-604800, got "0"`},
		{"604801", `expected seconds 1-604800, got "604801"`}, {"+5", `expected seconds 1-604800, got "+5"`},
		{"-1", `expected seconds 1-604800, got "-1"`}, {"", `expected seconds 1-604800, got ""`},
		{"99999999999999999999", `expected seconds 1-604800, got "99999999999999999999"`},
		{"030", "30"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			n, err := limFrequency.parse(tc.in)
			got := fmt.Sprint(n)
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestParseHMS(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:05:00", 5 * time.Minute, true}, {"1:2:3", time.Hour + 2*time.Minute + 3*time.Second, true},
		{"23:59:59", 24*time.Hour - time.Second, true}, {"24:00:00", 0, false}, {"00:60:00", 0, false},
		{"00:00", 0, false}, {"a:b:c", 0, false}, {"001:00:00", 0, false}, {"", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			d, err := parseHMS(tc.in)
			if (err == nil) != tc.ok || d != tc.want {
				t.Errorf("parseHMS(%q) = %v, %v", tc.in, d, err)
			}
			if tc.ok && formatHMS(d) != fmt.Sprintf("%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60) {
				t.Errorf("formatHMS(%v) = %s", d, formatHMS(d))
			}
		})
	}
}

func TestMask(t *testing.T) {
	for bits := 0; bits <= 32; bits++ {
		m := maskString(bits)
		if got, err := parseMask(m); err != nil || got != bits {
			t.Errorf("parseMask(maskString(%d) = %s) = %d, %v", bits, m, got, err)
		}
	}
	for _, bad := range []string{"255.0.255.0", "0.255.255.255", "255.255.255.1", "2001:db8::", "x", "255.255.255"} {
		if _, err := parseMask(bad); err == nil {
			t.Errorf("parseMask(%q): no error", bad)
		}
	}
}

func TestCheckTarget(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"anycast.example.com", true}, {"ns1.example.net.", true}, {"_dns.example", true}, {"localhost", true},
		{"192.0.2.1", true}, {"2001:db8::1", true}, {"::1", true}, {"fe80::1%eth0", false}, {"::ffff:192.0.2.1", false}, {"", false}, {".", false}, {"a..b", false},
		{"-a.example", false}, {"a b", false}, {"a!b", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if err := checkTarget(tc.in); (err == nil) != tc.ok {
				t.Errorf("checkTarget(%q) = %v", tc.in, err)
			}
		})
	}
}

func TestCheckNextHop(t *testing.T) {
	v4, v6 := netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")
	for _, tc := range []struct {
		name       string
		p          netip.Prefix
		nh, ifname string
		ok         bool
	}{
		{"v4", v4, "10.0.0.1", "", true},
		{"v4 prefix, v6 next hop", v4, "2001:db8::1", "", false},
		{"v6 prefix, v4 next hop", v6, "10.0.0.1", "", false},
		{"unspecified", v4, "0.0.0.0", "", false},
		{"multicast", v6, "ff02::1", "eth0", false},
		{"link-local without interface", v6, "fe80::1", "", false},
		{"link-local with interface", v6, "fe80::1", "eth0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkNextHop(tc.p, netip.MustParseAddr(tc.nh), tc.ifname); (err == nil) != tc.ok {
				t.Errorf("checkNextHop = %v", err)
			}
		})
	}
}

func TestQuoteText(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool // checkText accepts it
	}{
		{"plain", "plain", true},
		{"two words", "two words", true},
		{"a!b", "a!b", true},
		{`a"b`, `a"b`, true},
		{"!bang", `"!bang"`, true},
		{`x "q`, "", false},
		{"  lead", `"  lead"`, true},
		{"double  space", `"double  space"`, true},
		{"tab\there", "\"tab\there\"", true},
		{"new\nline", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			err := checkText(tc.in, 255)
			if (err == nil) != tc.ok {
				t.Fatalf("checkText = %v", err)
			}
			if !tc.ok {
				return
			}
			got := quoteText(tc.in)
			if got != tc.want {
				t.Errorf("quoteText = %s, want %s", got, tc.want)
			}
			// It must read back as itself.
			l := lex("f", []byte("owner "+got))[0]
			p := &parser{ln: l, args: l.words, i: 1}
			if back := p.rest(); back != tc.in {
				t.Errorf("reads back as %q", back)
			}
		})
	}
}

func TestLookalike(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"trak 1", "track"}, {"trakc 1", "track"}, {"tracks 1", "track"}, {"track 1", ""},
		{"ip rout x", "ip route"}, {"ip routes x", "ip route"}, {"ip sl 1", "ip sla"}, {"ip slaa 1", "ip sla"},
		{"ipv6 rout x", "ipv6 route"}, {"ipv6 sl 1", ""},
		{"ip router isis", ""}, {"ip slb", ""}, {"ip routing", ""}, {"ip ssh", ""}, {"hostname x", ""},
		{"ip", ""},
	} {
		t.Run(tc.line, func(t *testing.T) {
			if got := lookalike(lex("f", []byte(tc.line))[0].words); got != tc.want {
				t.Errorf("lookalike = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseFrequencyRange(t *testing.T) {
	for _, tc := range []struct {
		in     string
		lo, hi time.Duration
		err    string
	}{
		{"80-100", 80 * time.Second, 100 * time.Second, ""},
		{"5-5", 5 * time.Second, 5 * time.Second, ""},
		{"100-80", 0, 0, "the lower bound 100 is above the upper bound 80"},
		{"80", 0, 0, `expected A-B (seconds 1-604800), got "80"`},
		{"0-10", 0, 0, `expected A-B (seconds 1-604800), got "0-10"`},
		{"1-604801", 0, 0, `expected A-B (seconds 1-604800), got "1-604801"`},
		{"a-b", 0, 0, `expected A-B (seconds 1-604800), got "a-b"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			lo, hi, err := parseFrequencyRange(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || lo != tc.lo || hi != tc.hi {
				t.Fatalf("= %v %v %v, want %v %v", lo, hi, err, tc.lo, tc.hi)
			}
		})
	}
}

func TestGroupOffset(t *testing.T) {
	even := sla.Schedule{Group: 1, GroupPeriod: 20 * time.Second}
	for i, want := range []time.Duration{0, 5 * time.Second, 10 * time.Second, 15 * time.Second} {
		if got := groupOffset(even, 100+i, i, 4); got != want {
			t.Errorf("even, %d of 4: %v, want %v", i, got, want)
		}
	}
	random := sla.Schedule{Group: 1, GroupPeriod: 50 * time.Second, GroupFrequency: 80 * time.Second, GroupFrequencyMax: 100 * time.Second}
	seen := map[time.Duration]bool{}
	for id := 1; id <= 200; id++ {
		got := groupOffset(random, id, id-1, 200)
		if got < 0 || got >= random.GroupPeriod || got%(100*time.Millisecond) != 0 {
			t.Fatalf("random, ip sla %d: %v, want a multiple of 100ms in [0, 50s)", id, got)
		}
		if again := groupOffset(random, id, 0, 1); again != got {
			t.Fatalf("random, ip sla %d: %v then %v: not stable", id, got, again)
		}
		seen[got] = true
	}
	if len(seen) < 150 { // 200 draws among 500 slots
		t.Errorf("random offsets: only %d distinct of 200", len(seen))
	}
}

func TestSetDistHistory(t *testing.T) {
	var h sla.History
	for _, step := range []struct {
		kw   string
		n    int
		want sla.History
	}{
		{"hours-of-statistics-kept", 0, sla.History{HoursKept: sla.HoursKeptOff}},
		{"hours-of-statistics-kept", 25, sla.History{HoursKept: 25}},
		{"hours-of-statistics-kept", 2, sla.History{}}, // the default
		{"distributions-of-statistics-kept", 20, sla.History{DistKept: 20}},
		{"statistics-distribution-interval", 1, sla.History{DistKept: 20, DistInterval: 1}},
		{"distributions-of-statistics-kept", -1, sla.History{DistInterval: 1}}, // no form
		{"statistics-distribution-interval", 20, sla.History{}},
	} {
		setDistHistory(&h, step.kw, step.n)
		if h != step.want {
			t.Fatalf("%s %d: %+v, want %+v", step.kw, step.n, h, step.want)
		}
	}
	if h.Hours() != 2 || h.Dists() != 1 || h.Interval() != 20 {
		t.Errorf("defaults: %d %d %d", h.Hours(), h.Dists(), h.Interval())
	}
}
