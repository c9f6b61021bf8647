package frr

import (
	"context"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ipslad/ipslad/route"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }

func TestStaticCommand(t *testing.T) {
	tests := []struct {
		name string
		s    Static
		want string // command, or "error: ..." substring
	}{
		{"next hop", Static{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.0.10"), Tag: 64001}, "ip route 192.0.2.53/32 10.0.0.10 tag 64001"},
		{"next hop and interface, distance", Static{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.0.10"), Interface: "eth0", Distance: 5, Tag: 7}, "ip route 192.0.2.53/32 10.0.0.10 eth0 tag 7 5"},
		{"interface only", Static{Prefix: pfx("198.51.100.0/24"), Interface: "eth0.100"}, "ip route 198.51.100.0/24 eth0.100"},
		{"distance 1 is not printed", Static{Prefix: pfx("198.51.100.0/24"), Interface: "eth0", Distance: 1}, "ip route 198.51.100.0/24 eth0"},
		{"ipv6", Static{Prefix: pfx("2001:db8::/64"), NextHop: addr("fe80::1"), Interface: "eth1", Distance: 200, Tag: 9}, "ipv6 route 2001:db8::/64 fe80::1 eth1 tag 9 200"},
		{"host bits", Static{Prefix: pfx("192.0.2.53/24"), Interface: "eth0"}, "error: host bits"},
		{"no next hop", Static{Prefix: pfx("192.0.2.0/24")}, "error: no next hop"},
		{"family mismatch", Static{Prefix: pfx("192.0.2.0/24"), NextHop: addr("fd00::1")}, "error: not of the prefix's address family"},
		{"zone", Static{Prefix: pfx("2001:db8::/64"), NextHop: addr("fe80::1%eth0")}, "error: not of the prefix's address family"},
		{"interface with space", Static{Prefix: pfx("192.0.2.0/24"), Interface: "eth0 tag 1"}, "error: invalid interface"},
		{"interface with newline", Static{Prefix: pfx("192.0.2.0/24"), Interface: "e\nno ip"}, "error: invalid interface"},
		{"interface like an option", Static{Prefix: pfx("192.0.2.0/24"), Interface: "-c"}, "error: invalid interface"},
		{"interface too long", Static{Prefix: pfx("192.0.2.0/24"), Interface: "abcdefghijklmnop"}, "error: longer than 15"},
		{"distance", Static{Prefix: pfx("192.0.2.0/24"), Interface: "eth0", Distance: 256}, "error: distance 256"},
		{"invalid prefix", Static{Interface: "eth0"}, "error: invalid prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.Command()
			if err != nil {
				got = "error: " + err.Error()
			}
			if strings.HasPrefix(tt.want, "error: ") {
				if !strings.HasPrefix(got, "error: ") || !strings.Contains(got, strings.TrimPrefix(tt.want, "error: ")) {
					t.Errorf("Command() = %q, want an error with %q", got, tt.want)
				}
				return
			}
			if got != tt.want {
				t.Errorf("Command() = %q, want %q", got, tt.want)
			}
			// What FRR prints back parses to the same static.
			back := ParseStatics(got)
			if len(back) != 1 || back[0] != tt.s.norm() {
				t.Errorf("ParseStatics(%q) = %+v, want %+v", got, back, tt.s.norm())
			}
		})
	}
}

func TestParseStatics(t *testing.T) {
	data, err := os.ReadFile("testdata/running-config.txt")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range ParseStatics(string(data)) {
		b.WriteString(s.String() + "\n")
	}
	golden(t, "parsed-statics.golden", b.String())
}

func TestCommands(t *testing.T) {
	cur := []Static{
		{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.0.10"), Tag: 64001},
		{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.1.10"), Tag: 64001},
		{Prefix: pfx("192.0.2.54/32"), NextHop: addr("10.0.0.10"), Tag: 64001, Distance: 1},
	}
	want := []Static{
		{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.0.10"), Tag: 64001},
		{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.2.10"), Tag: 64001, Distance: 10},
		{Prefix: pfx("2001:db8::53/128"), NextHop: addr("fd00::10"), Tag: 64002},
		{Prefix: pfx("192.0.2.54/32"), NextHop: addr("10.0.0.10"), Tag: 64001},
		{Prefix: pfx("192.0.2.55/32"), Interface: "bad name", Tag: 64001},
	}
	// Any order of both inputs gives the same commands.
	var first []string
	for i := range 20 {
		c, w := slices.Clone(cur), slices.Clone(want)
		for j := range c {
			k := (i + j*7) % len(c)
			c[j], c[k] = c[k], c[j]
		}
		for j := range w {
			k := (i*3 + j) % len(w)
			w[j], w[k] = w[k], w[j]
		}
		cmds, errs := Commands(c, w)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "invalid interface") {
			t.Errorf("errors %v, want one about the interface", errs)
		}
		if first == nil {
			first = cmds
		} else if !slices.Equal(cmds, first) {
			t.Fatalf("order %d: %q, first %q", i, cmds, first)
		}
	}
	golden(t, "commands.golden", strings.Join(first, "\n")+"\n")
	if cmds, _ := Commands(want[:4], want[:4]); len(cmds) != 0 {
		t.Errorf("no change: %q", cmds)
	}
}

// fakeFRR is a vtysh stand-in with staticd's semantics: a static path
// (prefix and distance) has one tag, which configuring any of its next
// hops sets; `no ip route` removes a next hop whatever tag it names. It
// records every argv.
type fakeFRR struct {
	lines []string // the running configuration's static lines, in order
	calls [][]string
	fail  string // a command that answers with a "%" error
}

func (f *fakeFRR) cli(_ context.Context, args ...string) (string, error) {
	f.calls = append(f.calls, args)
	if len(args) == 2 && args[1] == "show running-config" {
		return "Building configuration...\n!\n" + strings.Join(f.lines, "\n") + "\n!\nend\n", nil
	}
	if len(args) < 2 || args[1] != "configure terminal" {
		return "", errors.New("unexpected command")
	}
	var out string
	for i := 3; i < len(args); i += 2 {
		c := args[i]
		del, isDel := strings.CutPrefix(c, "no ")
		ps := ParseStatics(del)
		if c == f.fail || len(ps) != 1 {
			out += "% Malformed command\n"
			continue
		}
		s := ps[0]
		statics := ParseStatics(strings.Join(f.lines, "\n"))
		found := -1
		for j, o := range statics {
			if o.hop() == s.hop() {
				found = j
			}
		}
		if isDel {
			if found < 0 {
				out += "% Refusing to remove a non-existent route\n"
				continue
			}
			statics = slices.Delete(statics, found, found+1)
		} else {
			if found < 0 {
				statics = append(statics, s)
			}
			for j := range statics {
				if statics[j].path() == s.path() {
					statics[j].Tag = s.Tag
				}
			}
		}
		f.lines = f.lines[:0]
		for _, o := range statics {
			f.lines = append(f.lines, o.String())
		}
	}
	return out, nil
}

func TestBackendSet(t *testing.T) {
	f := &fakeFRR{lines: []string{
		"ip route 192.0.2.60/32 10.0.0.10 tag 7",         // the administrator's
		"ip route 192.0.2.53/32 10.0.0.99 tag 64001 5",   // ours, stale
		"ip route 198.51.100.0/24 10.0.0.1",              // the administrator's, untagged
		"ipv6 route 2001:db8::53/128 fd00::10 tag 64999", // ours, kept
	}}
	b, err := NewBackend(f.cli, DefaultTags)
	if err != nil {
		t.Fatal(err)
	}
	desired := []Static{
		{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.0.10"), Tag: 64001},
		{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.1.10"), Tag: 64001},
		{Prefix: pfx("2001:db8::53/128"), NextHop: addr("fd00::10"), Tag: 64999},
	}
	cmds, err := b.Set(context.Background(), desired)
	if err != nil {
		t.Fatal(err)
	}
	wantCmds := []string{
		"ip route 192.0.2.53/32 10.0.0.10 tag 64001",
		"ip route 192.0.2.53/32 10.0.1.10 tag 64001",
		"no ip route 192.0.2.53/32 10.0.0.99 tag 64001 5",
	}
	if !slices.Equal(cmds, wantCmds) {
		t.Errorf("commands %q, want %q", cmds, wantCmds)
	}
	// One argv, no shell: each command is its own -c argument.
	last := f.calls[len(f.calls)-1]
	wantArgv := []string{"-c", "configure terminal", "-c", wantCmds[0], "-c", wantCmds[1], "-c", wantCmds[2]}
	if !slices.Equal(last, wantArgv) {
		t.Errorf("argv %q, want %q", last, wantArgv)
	}
	// Again: nothing to do, no configure run.
	n := len(f.calls)
	if cmds, err := b.Set(context.Background(), desired); err != nil || len(cmds) != 0 || len(f.calls) != n+1 {
		t.Errorf("repeat Set: %q, %v, %d calls", cmds, err, len(f.calls)-n)
	}
	// A tag outside the range is refused, the rest still applied.
	_, err = b.Set(context.Background(), append(desired[:1:1], Static{Prefix: pfx("192.0.2.60/32"), NextHop: addr("10.0.0.10"), Tag: 7}))
	if err == nil || !strings.Contains(err.Error(), "outside ipslad's FRR tag range") {
		t.Errorf("Set with a foreign tag: %v", err)
	}
	// A path (prefix and distance) that holds the administrator's static
	// is not touched: staticd would give it ipslad's tag.
	cmds, err = b.Set(context.Background(), append(slices.Clone(desired), Static{Prefix: pfx("192.0.2.60/32"), NextHop: addr("10.0.1.10"), Tag: 64001}))
	if err == nil || !strings.Contains(err.Error(), "ipslad does not touch it") || strings.Contains(strings.Join(cmds, "\n"), "192.0.2.60") {
		t.Errorf("Set on the administrator's path: %q, %v", cmds, err)
	}
	// Retagging a path: one command, the next hops stay.
	retag := []Static{
		{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.0.10"), Tag: 64002},
		{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.1.10"), Tag: 64002},
		desired[2],
	}
	cmds, err = b.Set(context.Background(), retag)
	if err != nil || !slices.Equal(cmds, []string{"ip route 192.0.2.53/32 10.0.0.10 tag 64002"}) {
		t.Errorf("retag: %q, %v", cmds, err)
	}
	if owned, _ := b.List(context.Background()); !slices.EqualFunc(owned, retag, func(a, b Static) bool { return a == b.norm() }) {
		t.Errorf("after retag FRR has %v", owned)
	}
	// Flush removes ours and only ours.
	if _, err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"ip route 192.0.2.60/32 10.0.0.10 tag 7", "ip route 198.51.100.0/24 10.0.0.1"}
	if !slices.Equal(f.lines, want) {
		t.Errorf("after Flush FRR has\n%s\nwant\n%s", strings.Join(f.lines, "\n"), strings.Join(want, "\n"))
	}
	// A "%" answer is an error.
	f.fail = "ip route 192.0.2.70/32 10.0.0.10 tag 64001"
	if _, err := b.Set(context.Background(), []Static{{Prefix: pfx("192.0.2.70/32"), NextHop: addr("10.0.0.10"), Tag: 64001}}); err == nil || !strings.Contains(err.Error(), "% Malformed") {
		t.Errorf("Set with an FRR error: %v", err)
	}
}

func TestParseRIB(t *testing.T) {
	data, err := os.ReadFile("testdata/show-ip-route.json")
	if err != nil {
		t.Fatal(err)
	}
	rib, err := ParseRIB(data)
	if err != nil {
		t.Fatal(err)
	}
	es := rib[pfx("192.0.2.53/32")]
	if len(es) != 2 {
		t.Fatalf("192.0.2.53/32: %d entries, want 2: %+v", len(es), es)
	}
	if e := es[0]; e.Protocol != "static" || !e.Selected || !e.Installed || e.Tag != 64001 || e.Distance != 1 ||
		len(e.NextHops) != 1 || e.NextHops[0].IP != "10.0.0.11" || e.NextHops[0].Interface != "a0" {
		t.Errorf("first entry %+v", e)
	}
	if e := es[1]; e.Selected || e.Distance != 5 || e.Tag != 7 {
		t.Errorf("second entry %+v", e)
	}
	if _, err := ParseRIB([]byte("% Unknown command")); err == nil {
		t.Error("garbage parsed")
	}
}

func TestSnippet(t *testing.T) {
	ps := []netip.Prefix{pfx("192.0.2.53/32"), pfx("2001:db8::53/128"), pfx("192.0.2.10/32"), pfx("192.0.2.53/32")}
	var b strings.Builder
	for _, c := range []struct {
		source string
		tag    uint32
		asn    uint32
	}{{"kernel", 0, 65001}, {"static", 64001, 0}} {
		s, err := Snippet(ps, c.source, c.tag, c.asn, "IPSLAD")
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(s)
	}
	golden(t, "snippet.golden", b.String())
	if _, err := Snippet(ps, "bgp", 0, 1, "X"); err == nil {
		t.Error("source bgp accepted")
	}
	if _, err := Snippet(ps, "kernel", 0, 1, "A B"); err == nil {
		t.Error("name with a space accepted")
	}
}

func TestKernel(t *testing.T) {
	f := &fakeFRR{lines: []string{
		"ip route 192.0.2.53/32 10.0.0.10 tag 7 200", // the administrator's, same prefix
		"ip route 192.0.2.53/32 10.0.1.10 tag 64001",
	}}
	b, err := NewBackend(f.cli, DefaultTags)
	if err != nil {
		t.Fatal(err)
	}
	k := NewKernel(b)
	k.SetStatics([]route.Static{{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.2.10"), Distance: 1, Tag: 64002}})
	m := route.NewManager(k, nil)
	adopted, err := m.Adopt()
	if err != nil {
		t.Fatal(err)
	}
	if len(adopted) != 1 || adopted[0].String() != "192.0.2.53/32 metric 1 nexthop via 10.0.1.10" {
		t.Fatalf("adopted %v", adopted)
	}
	hop := func(s string) route.NextHop { return route.NextHop{Gateway: addr(s)} }
	ecmp := route.Route{Prefix: pfx("192.0.2.53/32"), Metric: 1, NextHops: []route.NextHop{hop("10.0.1.10"), hop("10.0.2.10")}}
	if err := m.Set([]route.Route{ecmp}); err != nil {
		t.Fatal(err)
	}
	last := f.calls[len(f.calls)-1]
	// Adding the second next hop with the configured tag retags the path.
	want := []string{"-c", "configure terminal", "-c", "ip route 192.0.2.53/32 10.0.2.10 tag 64002"}
	if !slices.Equal(last, want) {
		t.Errorf("argv %q\nwant %q", last, want)
	}
	// A floating static takes over; then stop withdraws ours only.
	float := route.Route{Prefix: pfx("192.0.2.53/32"), Metric: 10, NextHops: []route.NextHop{hop("10.0.3.10")}}
	if err := m.Set([]route.Route{float}); err != nil {
		t.Fatal(err)
	}
	wantLines := []string{"ip route 192.0.2.53/32 10.0.0.10 tag 7 200", "ip route 192.0.2.53/32 10.0.3.10 tag 64000 10"}
	if !slices.Equal(f.lines, wantLines) {
		t.Errorf("FRR has\n%s\nwant\n%s", strings.Join(f.lines, "\n"), strings.Join(wantLines, "\n"))
	}
	if err := route.Flush(k); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.lines, wantLines[:1]) {
		t.Errorf("after Flush FRR has %q", f.lines)
	}
}
