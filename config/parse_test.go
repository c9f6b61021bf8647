package config

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipslad/ipslad/route"
	"github.com/ipslad/ipslad/sla"
	"github.com/ipslad/ipslad/track"
)

// seedModel is the model of testdata/seed.cfg, written out by hand.
func seedModel() *Config {
	op := sla.NewOperation(101)
	op.DNS = &sla.DNS{Target: "anycast.example.com", NameServer: netip.MustParseAddr("10.0.0.10")}
	op.Frequency = 30 * time.Second
	op.Schedule = sla.Schedule{Scheduled: true, Forever: true, Start: sla.StartNow}
	return &Config{
		Operations: []sla.Operation{op},
		Tracks:     []track.Object{{ID: 101, SLA: 101, Mode: track.ModeState}},
		Routes: []route.Static{{
			Prefix:   netip.MustParsePrefix("192.0.2.53/32"),
			NextHop:  netip.MustParseAddr("10.0.0.10"),
			Distance: 1,
			Track:    101,
		}},
	}
}

// fullModel is the model of testdata/full.cfg, written out by hand.
func fullModel() *Config {
	addr, pfx := netip.MustParseAddr, netip.MustParsePrefix
	op1 := sla.NewOperation(1)
	op1.DNS = &sla.DNS{Target: "anycast.example.com", NameServer: addr("10.0.0.10"),
		SourceIP: addr("10.0.0.1"), SourcePort: 5353}
	op1.Owner, op1.Tag = "Anycast DNS team", "  spaced  tag"
	op1.Threshold, op1.Timeout, op1.Frequency = time.Second, 2*time.Second, 30*time.Second
	op1.Schedule = sla.Schedule{Scheduled: true, Forever: true, Start: sla.StartNow}
	op2 := sla.NewOperation(2)
	op2.DNS = &sla.DNS{Target: "192.0.2.53", NameServer: addr("2001:db8::53"), SourcePort: 1053}
	op2.Frequency = 10 * time.Second
	op2.Schedule = sla.Schedule{Scheduled: true, Life: 2 * time.Hour, Start: sla.StartAfter, After: 5 * time.Minute}
	op3 := sla.NewOperation(3)
	op3.DNS = &sla.DNS{Target: "ns1.example.net.", NameServer: addr("10.0.0.11")}
	op3.Threshold, op3.Timeout = 0, 0
	op3.Schedule = sla.Schedule{Scheduled: true, Life: sla.DefaultLife, Start: sla.StartPending}
	op4 := sla.NewOperation(sla.MaxID)
	op4.DNS = &sla.DNS{Target: "www.example.org", NameServer: addr("10.0.0.12")}
	return &Config{
		Operations: []sla.Operation{op1, op2, op3, op4},
		Tracks: []track.Object{
			{ID: 1, SLA: 1, DelayUp: 5 * time.Second, DelayDown: 2 * time.Second},
			{ID: 2, SLA: 2, Mode: track.ModeReachability, DelayDown: 10 * time.Second},
			{ID: 3, SLA: 3, DelayUp: 180 * time.Second},
			{ID: 1000, SLA: sla.MaxID},
		},
		Routes: []route.Static{
			{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.0.10"), Distance: 1, Track: 1},
			{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.0.20"), Distance: 200, Name: "backup"},
			{Prefix: pfx("10.10.10.10/32"), Interface: "Vlan2", Distance: 1, Tag: 888, Name: "DNS-ANYCAST", Track: 1},
			{Prefix: pfx("0.0.0.0/0"), Interface: "eth0", NextHop: addr("198.51.100.1"), Distance: 10,
				Tag: 4294967295, Permanent: true},
			{Prefix: pfx("2001:db8:53::/64"), NextHop: addr("2001:db8::53"), Distance: 1, Track: 2},
			{Prefix: pfx("2001:db8:54::/48"), Interface: "eth1", NextHop: addr("fe80::1"), Distance: 5, Tag: 7,
				Name: "v6-backup"},
			{Prefix: pfx("::/0"), Interface: "eth1", Distance: 1, Permanent: true},
		},
	}
}

func TestModels(t *testing.T) {
	for _, tc := range []struct {
		file string
		want *Config
	}{
		{"testdata/seed.cfg", seedModel()},
		{"testdata/seed.yaml", seedModel()},
		{"testdata/full.cfg", fullModel()},
		{"testdata/full.yaml", fullModel()},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := Load(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Equal(tc.want) {
				t.Errorf("model differs:\ngot:\n%s\nwant:\n%s", dump(c), dump(tc.want))
			}
		})
	}
}

// dump prints a model field by field, for failure messages.
func dump(c *Config) string {
	var b strings.Builder
	for _, op := range c.Operations {
		d := op.DNS
		op.DNS = nil
		b.WriteString(strings.ReplaceAll(strings.TrimSpace(sprint(op, d)), "\n", " ") + "\n")
	}
	for _, t := range c.Tracks {
		b.WriteString(sprint(t))
	}
	for _, r := range c.Routes {
		b.WriteString(sprint(r))
	}
	return b.String()
}

func sprint(a ...any) string { return fmt.Sprintln(a...) }

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      string   // Format of the model
		warnings  []string // "line:col: msg"; nil means none
		skipped   int
	}{{
		name: "unindented",
		src: "ip sla 1\ndns a.example name-server 10.0.0.1\nfrequency 30\nip sla schedule 1 start-time now\n" +
			"track 1 ip sla 1\ndelay up 5\nip route 10.0.0.0 255.0.0.0 10.0.0.1 track 1\n",
		want: "ip sla 1\n dns a.example name-server 10.0.0.1\n frequency 30\nip sla schedule 1 start-time now\n" +
			"track 1 ip sla 1\n delay up 5\nip route 10.0.0.0 255.0.0.0 10.0.0.1 track 1\n",
	}, {
		name: "keywords are not case sensitive, names keep their case",
		src: "IP SLA 1\n DNS Anycast.Example NAME-SERVER 10.0.0.1\n FREQUENCY 30\n" +
			"IP SLA SCHEDULE 1 LIFE FOREVER START-TIME NOW\nTRACK 1 IP SLA 1 REACHABILITY\n" +
			"IP ROUTE 10.0.0.0 255.0.0.0 Eth0 TAG 5 NAME Up TRACK 1\n",
		want: "ip sla 1\n dns Anycast.Example name-server 10.0.0.1\n frequency 30\n" +
			"ip sla schedule 1 life forever start-time now\ntrack 1 ip sla 1 reachability\n" +
			"ip route 10.0.0.0 255.0.0.0 Eth0 tag 5 name Up track 1\n",
	}, {
		name:     "exit leaves ip sla; the next line is global",
		src:      "ip sla 1\n dns a.example name-server 10.0.0.1\n exit\nfrequency 30\nip sla schedule 1 start-time now\n",
		want:     "ip sla 1\n dns a.example name-server 10.0.0.1\nip sla schedule 1 start-time now\n",
		warnings: []string{`4:1: unknown command "frequency" ignored, with its indented lines`},
		skipped:  1,
	}, {
		name: "end returns to global",
		src:  "track 1 ip sla 1\nend\ndelay up 5\n",
		want: "track 1 ip sla 1\n",
		warnings: []string{
			"1:16: track 1: ip sla 1 is not defined; the track stays Down",
			`3:1: unknown command "delay" ignored, with its indented lines`,
		},
		skipped: 1,
	}, {
		name: "a re-entered unscheduled entry may be modified",
		src: "ip sla 1\n dns a.example name-server 10.0.0.1\nip sla 1\n threshold 500\n timeout 1000\n frequency 30\n" +
			"ip sla schedule 1 start-time now\n",
		want: "ip sla 1\n dns a.example name-server 10.0.0.1\n threshold 500\n timeout 1000\n frequency 30\n" +
			"ip sla schedule 1 start-time now\n",
	}, {
		name: "no forms restore the defaults",
		src: "ip sla 1\n dns a.example name-server 10.0.0.1\n owner me\n tag t\n timeout 1000\n threshold 10\n frequency 30\n" +
			"ip sla 1\n no owner\n no tag x\n default timeout\n no threshold 10\n no frequency\n no vrf\n" +
			"ip sla schedule 1 start-time now\n",
		want: "ip sla 1\n dns a.example name-server 10.0.0.1\nip sla schedule 1 start-time now\n",
	}, {
		name: "no ip sla schedule unschedules and resets life",
		src: "ip sla 1\n dns a.example name-server 10.0.0.1\nip sla schedule 1 life forever start-time now\n" +
			"no ip sla schedule 1\nip sla 1\n frequency 30\nip sla schedule 1 start-time now\n",
		want: "ip sla 1\n dns a.example name-server 10.0.0.1\n frequency 30\nip sla schedule 1 start-time now\n",
	}, {
		name: "no ip sla deletes the entry and its schedule",
		src: "ip sla 1\n dns a.example name-server 10.0.0.1\nip sla schedule 1 start-time now\nno ip sla 1\n" +
			"ip sla 1\n dns b.example name-server 10.0.0.2\n",
		want:     "ip sla 1\n dns b.example name-server 10.0.0.2\n",
		warnings: []string{"5:1: ip sla 1 is not scheduled: it never runs and its tracks stay Down"},
	}, {
		name: "schedule options",
		src: "ip sla 1\n dns a.example name-server 10.0.0.1\nip sla schedule 1 life 0 start-time after 1:02:03 ageout 0\n" +
			"ip sla 2\n dns a.example name-server 10.0.0.1\nip sla schedule 2 life 3600 start-time now\n",
		want: "ip sla 1\n dns a.example name-server 10.0.0.1\nip sla schedule 1 life 0 start-time after 01:02:03\n" +
			"ip sla 2\n dns a.example name-server 10.0.0.1\nip sla schedule 2 start-time now\n",
	}, {
		name: "dns type line forms",
		src: "ip sla 1\n dns 192.0.2.1 name-server 2001:db8::1 source-port 53 source-ip 2001:db8::2\n" +
			"ip sla schedule 1 start-time now\n",
		want: "ip sla 1\n dns 192.0.2.1 name-server 2001:db8::1 source-ip 2001:db8::2 source-port 53\n" +
			"ip sla schedule 1 start-time now\n",
	}, {
		name: "free text keeps its words, quotes keep blanks and comment signs",
		src: "ip sla 1\n dns a.example name-server 10.0.0.1\n owner Anycast   DNS ! a comment\n tag \"!not a comment\"\n" +
			"ip sla schedule 1 start-time now ! comment\n",
		want: "ip sla 1\n dns a.example name-server 10.0.0.1\n owner Anycast DNS\n tag \"!not a comment\"\n" +
			"ip sla schedule 1 start-time now\n",
	}, {
		name: "track delay forms",
		src: "track 1 ip sla 1\n delay up 5 down 6\ntrack 2 ip sla 1\n delay down 6 up 5\n delay down 3\n" +
			"track 3 ip sla 1\n delay up 7\n no delay\ntrack 4 ip sla 1\n delay up 7\n default delay\n",
		want: "track 1 ip sla 1\n delay up 5 down 6\ntrack 2 ip sla 1\n delay down 3\ntrack 3 ip sla 1\ntrack 4 ip sla 1\n",
		warnings: []string{
			"1:16: track 1: ip sla 1 is not defined; the track stays Down",
			"3:16: track 2: ip sla 1 is not defined; the track stays Down",
			"6:16: track 3: ip sla 1 is not defined; the track stays Down",
			"9:16: track 4: ip sla 1 is not defined; the track stays Down",
		},
	}, {
		name:     "redefining a track keeps its delay; track N re-enters it",
		src:      "track 1 ip sla 1\n delay up 5\ntrack 1 ip sla 2 reachability\ntrack 1\n delay up 5 down 1\n",
		want:     "track 1 ip sla 2 reachability\n delay up 5 down 1\n",
		warnings: []string{"3:16: track 1: ip sla 2 is not defined; the track stays Down"},
	}, {
		name: "no track deletes it",
		src:  "track 1 ip sla 1\nno track 1\n",
		want: "",
	}, {
		name: "route forms",
		src: "ip route 10.0.0.0 255.0.0.0 Null0\nip route 10.1.0.0 255.255.0.0 eth0 5\n" +
			"ip route 10.2.0.0 255.255.0.0 eth0 10.0.0.1 tag 0 name n 7\nipv6 route 2001:db8::/32 eth0\n",
		want: "ip route 10.0.0.0 255.0.0.0 Null0\nip route 10.1.0.0 255.255.0.0 eth0 5\n" +
			"ip route 10.2.0.0 255.255.0.0 eth0 10.0.0.1 7 name n\nipv6 route 2001:db8::/32 eth0\n",
	}, {
		name: "no ip route removes by prefix, or by prefix and next hop",
		src: "ip route 10.0.0.0 255.0.0.0 10.0.0.1\nip route 10.0.0.0 255.0.0.0 10.0.0.2 5\n" +
			"ip route 10.1.0.0 255.255.0.0 10.0.0.1\nip route 10.1.0.0 255.255.0.0 10.0.0.2\n" +
			"no ip route 10.0.0.0 255.0.0.0\nno ip route 10.1.0.0 255.255.0.0 10.0.0.1 tag 4\nno ipv6 route ::/0 eth0\n",
		want: "ip route 10.1.0.0 255.255.0.0 10.0.0.2\n",
	}, {
		name:    "foreign blocks with unindented sub-commands",
		src:     "interface eth0\nip address 10.0.0.1 255.255.255.0\nno shutdown\ntrack 1 ip sla 1\nrouter bgp 1\nneighbor 10.0.0.2 remote-as 2\n",
		want:    "track 1 ip sla 1\n",
		skipped: 5,
		warnings: []string{
			"4:16: track 1: ip sla 1 is not defined; the track stays Down",
		},
	}, {
		name: "an indented track line is a sub-command of another feature's block",
		src: "interface eth0\n vrrp 1 address-family ipv4\n  track 1 decrement 20\n standby 1 track 1 decrement 10\n" +
			"track 1 ip sla 1\n",
		want:     "track 1 ip sla 1\n",
		skipped:  4,
		warnings: []string{"5:16: track 1: ip sla 1 is not defined; the track stays Down"},
	}, {
		name:    "a line under an ipslad block leaves a foreign block",
		src:     "interface eth0\n description x\nip route 10.0.0.0 255.0.0.0 eth0\n",
		want:    "ip route 10.0.0.0 255.0.0.0 eth0\n",
		skipped: 2,
	}, {
		name:    "banners, whose delimiter is the first character after the type",
		src:     "banner motd ^C\nip route 10.0.0.0 255.0.0.0 eth0\n!\n^C\nbanner #one line#\nbanner login x\ntrack 1\nx\n",
		want:    "",
		skipped: 7, // the "!" line is a comment
	}, {
		name: "CRLF line ends and tab indentation",
		src:  "ip sla 1\r\n\tdns a.example name-server 10.0.0.1\r\n\tfrequency 30\r\nip sla schedule 1 start-time now\r\n",
		want: "ip sla 1\n dns a.example name-server 10.0.0.1\n frequency 30\nip sla schedule 1 start-time now\n",
	}, {
		name:     "responder is ignored with a warning; no forms silently",
		src:      "ip sla responder\nno ip sla responder\nno ip sla logging traps\n",
		want:     "",
		warnings: []string{"1:8: ip sla responder: ignored (ipslad is not an IP SLA responder)"},
	}, {
		name: "empty file",
		src:  "",
		want: "",
	}, {
		name: "comments only",
		src:  "!\n! hello\n   \n",
		want: "",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("t.cfg", []byte(tc.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := Format(c); got != tc.want {
				t.Errorf("Format:\n%s\nwant:\n%s", got, tc.want)
			}
			if got := short(t, "t.cfg", c.Warnings); !slices.Equal(got, tc.warnings) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.warnings, "\n"))
			}
			if c.Skipped != tc.skipped {
				t.Errorf("Skipped = %d, want %d", c.Skipped, tc.skipped)
			}
		})
	}
}

// TestShowRunningConfig loads a pasted `show running-config` with many
// other features' blocks, a multi-line banner holding ipslad-looking lines,
// and an unterminated quote in a skipped line.
func TestShowRunningConfig(t *testing.T) {
	const file = "testdata/showrun.cfg"
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) > 0 {
		t.Errorf("warnings:\n%v", c.Warnings)
	}
	want := "ip sla 10\n dns test001dns.me name-server 10.90.1.5\n owner Anycast-DNS\n timeout 15000\n" +
		"ip sla schedule 10 life forever start-time now\n" +
		"track 1 ip sla 10 reachability\n delay up 20 down 10\n" +
		"ip route 10.10.10.10 255.255.255.255 Vlan2 tag 888 name DNS-ANYCAST track 1\n" +
		"ip route 0.0.0.0 0.0.0.0 198.51.100.1\n"
	if got := Format(c); got != want {
		t.Errorf("Format:\n%s\nwant:\n%s", got, want)
	}
	if c.Skipped < 80 {
		t.Errorf("Skipped = %d, want the other features' lines counted", c.Skipped)
	}
}

func TestPositions(t *testing.T) {
	for _, tc := range []struct {
		file                           string
		op, schedule, track, route0    Pos
		noOp, noSchedule, noTrack, no1 Pos
	}{
		{file: "testdata/seed.cfg", op: Pos{Line: 1, Col: 1}, schedule: Pos{Line: 4, Col: 1},
			track: Pos{Line: 5, Col: 1}, route0: Pos{Line: 6, Col: 1}},
		{file: "testdata/seed.yaml", op: Pos{Line: 3, Col: 5}, schedule: Pos{Line: 6, Col: 15},
			track: Pos{Line: 8, Col: 5}, route0: Pos{Line: 11, Col: 5}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := Load(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			in := func(p Pos) Pos { p.File = tc.file; return p }
			for _, check := range []struct {
				what      string
				got, want Pos
			}{
				{"OperationPos(101)", c.OperationPos(101), in(tc.op)},
				{"SchedulePos(101)", c.SchedulePos(101), in(tc.schedule)},
				{"TrackPos(101)", c.TrackPos(101), in(tc.track)},
				{"RoutePos(0)", c.RoutePos(0), in(tc.route0)},
				{"OperationPos(1)", c.OperationPos(1), Pos{}},
				{"TrackPos(1)", c.TrackPos(1), Pos{}},
				{"RoutePos(1)", c.RoutePos(1), Pos{}},
				{"RoutePos(-1)", c.RoutePos(-1), Pos{}},
			} {
				if check.got != check.want {
					t.Errorf("%s = %v, want %v", check.what, check.got, check.want)
				}
			}
		})
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load("testdata/does-not-exist.cfg"); err == nil {
		t.Error("Load of a missing file: no error")
	}
	t.Run("extension picks the syntax", func(t *testing.T) {
		dir := t.TempDir()
		yml := dir + "/x.YML"
		if err := os.WriteFile(yml, []byte("track: [{id: 1, ip-sla: 1}]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(yml)
		if err != nil || len(c.Tracks) != 1 {
			t.Errorf("Load(%s) = %v, %v", yml, c, err)
		}
	})
}
