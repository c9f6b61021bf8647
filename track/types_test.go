package track

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ipslad/ipslad/sla"
)

// ev is one input to a table at t0+at and the changes expected from it,
// rendered "ID:From->To" and joined by ",".
type ev struct {
	at   time.Duration
	in   func(*Table, time.Time) []Change
	want string
}

func res(id int, c sla.ReturnCode) func(*Table, time.Time) []Change {
	return func(t *Table, now time.Time) []Change { return t.Observe(sla.Result{ID: id, Code: c}, now) }
}

func links(ls ...LinkState) func(*Table, time.Time) []Change {
	return func(t *Table, now time.Time) []Change { return t.SyncLinks(ls, now) }
}

func link(name string, up, v4 bool) func(*Table, time.Time) []Change {
	return func(t *Table, now time.Time) []Change {
		return t.ObserveLink(LinkState{Name: name, Exists: true, Up: up, IPv4: v4}, now)
	}
}

func rt(vrf, prefix string, present bool, metric int) func(*Table, time.Time) []Change {
	return func(t *Table, now time.Time) []Change {
		return t.ObserveRoute(RouteState{VRF: vrf, Prefix: netip.MustParsePrefix(prefix), Present: present,
			Metric: metric, Protocol: "kernel", Interface: "eth0"}, now)
	}
}

func stub(id int, s State) func(*Table, time.Time) []Change {
	return func(t *Table, now time.Time) []Change {
		ch, err := t.SetStub(id, s, now)
		if err != nil {
			panic(err)
		}
		return ch
	}
}

func adv(t *Table, now time.Time) []Change { return t.Advance(now) }

func renderIDs(cs []Change) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%d:%s->%s", c.Object.ID, c.From, c.To))
	}
	return strings.Join(parts, ",")
}

const sec = time.Second

func TestTypes(t *testing.T) {
	slaObj := func(id int) Object { return Object{ID: id, SLA: id} }
	list := func(id int, k ListKind, ms ...Member) Object {
		return Object{ID: id, Type: TypeList, List: k, Members: ms}
	}
	tests := []struct {
		name  string
		objs  []Object
		setAt string // changes expected from Set
		evs   []ev
	}{
		{"interface line-protocol follows the link", []Object{{ID: 1, Type: TypeInterface, Interface: "eth0", Mode: ModeLineProtocol}}, "", []ev{
			{0, link("eth0", true, false), ""}, // not judged before the first full dump
			{sec, links(LinkState{Name: "eth0", Exists: true, Up: true}, LinkState{Name: "eth1", Exists: true}), "1:Down->Up"},
			{2 * sec, link("eth1", false, false), ""},
			{3 * sec, link("eth0", false, true), "1:Up->Down"},
			{4 * sec, link("eth0", true, false), "1:Down->Up"},
			{5 * sec, links(), "1:Up->Down"}, // deleted
		}},
		{"interface ip routing needs an IPv4 address", []Object{{ID: 2, Type: TypeInterface, Interface: "eth0", Mode: ModeIPRouting}}, "", []ev{
			{0, links(LinkState{Name: "eth0", Exists: true, Up: true}), ""},
			{sec, link("eth0", true, true), "2:Down->Up"},
			{2 * sec, link("eth0", false, true), "2:Up->Down"},
		}},
		{"ip route reachability, VRFs apart", []Object{{ID: 3, Type: TypeRoute, Mode: ModeReachability, Prefix: netip.MustParsePrefix("10.1.0.0/16")}}, "", []ev{
			{0, rt("red", "10.1.0.0/16", true, 0), ""},
			{0, rt("", "10.1.0.0/24", true, 0), ""},
			{sec, rt("", "10.1.0.0/16", true, 20), "3:Down->Up"},
			{2 * sec, rt("", "10.1.0.0/16", false, 0), "3:Up->Down"},
		}},
		{"ip vrf route", []Object{{ID: 3, Type: TypeRoute, Mode: ModeReachability, VRF: "red", Prefix: netip.MustParsePrefix("10.1.0.0/16")}}, "", []ev{
			{0, rt("", "10.1.0.0/16", true, 0), ""},
			{sec, rt("red", "10.1.0.0/16", true, 0), "3:Down->Up"},
		}},
		{"ipv6 route reachability", []Object{{ID: 4, Type: TypeRoute, Mode: ModeReachability, Prefix: netip.MustParsePrefix("2001:db8::/32")}}, "", []ev{
			{0, rt("", "2001:db8::/32", true, 1024), "4:Down->Up"},
			{sec, rt("", "2001:db8::/32", false, 0), "4:Up->Down"},
		}},
		{"metric threshold keeps state between bounds", []Object{{ID: 5, Type: TypeRoute, Mode: ModeMetricThreshold, Prefix: netip.MustParsePrefix("10.2.0.0/16"), MetricUp: 100, MetricDown: 200}}, "", []ev{
			{0, rt("", "10.2.0.0/16", true, 150), ""},
			{sec, rt("", "10.2.0.0/16", true, 100), "5:Down->Up"},
			{2 * sec, rt("", "10.2.0.0/16", true, 199), ""},
			{3 * sec, rt("", "10.2.0.0/16", true, 200), "5:Up->Down"},
			{4 * sec, rt("", "10.2.0.0/16", true, 150), ""},
			{5 * sec, rt("", "10.2.0.0/16", true, 50), "5:Down->Up"},
			{6 * sec, rt("", "10.2.0.0/16", false, 50), "5:Up->Down"},
		}},
		{"metric threshold defaults 254/255 scale at 255", []Object{{ID: 5, Type: TypeRoute, Mode: ModeMetricThreshold, Prefix: netip.MustParsePrefix("10.2.0.0/16")}}, "", []ev{
			{0, rt("", "10.2.0.0/16", true, 254), "5:Down->Up"},
			{sec, rt("", "10.2.0.0/16", true, 1024), "5:Up->Down"},
		}},
		{"list boolean and with not", []Object{slaObj(1), slaObj(2), list(9, ListAnd, Member{ID: 1}, Member{ID: 2, Not: true})}, "", []ev{
			{0, res(1, sla.CodeOK), "1:Down->Up,9:Down->Up"},
			{sec, res(2, sla.CodeOK), "2:Down->Up,9:Up->Down"},
			{2 * sec, res(2, sla.CodeTimeout), "2:Up->Down,9:Down->Up"},
		}},
		{"list boolean or", []Object{slaObj(1), slaObj(2), list(9, ListOr, Member{ID: 1}, Member{ID: 2})}, "", []ev{
			{0, res(1, sla.CodeOK), "1:Down->Up,9:Down->Up"},
			{sec, res(2, sla.CodeOK), "2:Down->Up"},
			{2 * sec, res(1, sla.CodeTimeout), "1:Up->Down"},
			{3 * sec, res(2, sla.CodeTimeout), "2:Up->Down,9:Up->Down"},
		}},
		{"list boolean and of two servers", []Object{slaObj(1), slaObj(2), list(9, ListAnd, Member{ID: 1}, Member{ID: 2})}, "", []ev{
			{0, res(1, sla.CodeOK), "1:Down->Up"},
			{sec, res(2, sla.CodeOK), "2:Down->Up,9:Down->Up"},
			{2 * sec, res(1, sla.CodeTimeout), "1:Up->Down,9:Up->Down"},
		}},
		{"threshold weight 15/20/30 up 30 down 10 (Cisco example)", []Object{slaObj(1), slaObj(2), slaObj(3),
			{ID: 9, Type: TypeList, List: ListWeight, ThresholdUp: 30, ThresholdDown: 10,
				Members: []Member{{ID: 1, Weight: 15}, {ID: 2, Weight: 20}, {ID: 3, Weight: 30}}}}, "", []ev{
			{0, res(1, sla.CodeOK), "1:Down->Up"},              // 15
			{sec, res(2, sla.CodeOK), "2:Down->Up,9:Down->Up"}, // 35
			{2 * sec, res(2, sla.CodeTimeout), "2:Up->Down"},   // 15: between, keeps Up
			{3 * sec, res(1, sla.CodeTimeout), "1:Up->Down,9:Up->Down"},
			{4 * sec, res(3, sla.CodeOK), "3:Down->Up,9:Down->Up"}, // 30 alone
		}},
		{"threshold weight default weight 10 and defaults up 1 down 0", []Object{slaObj(1), slaObj(2), list(9, ListWeight, Member{ID: 1}, Member{ID: 2})}, "", []ev{
			{0, res(2, sla.CodeOK), "2:Down->Up,9:Down->Up"},
			{sec, res(2, sla.CodeTimeout), "2:Up->Down,9:Up->Down"},
		}},
		{"threshold percentage up 60 down 30", []Object{slaObj(1), slaObj(2), slaObj(3),
			{ID: 9, Type: TypeList, List: ListPercentage, ThresholdUp: 60, ThresholdDown: 30,
				Members: []Member{{ID: 1}, {ID: 2}, {ID: 3}}}}, "", []ev{
			{0, res(1, sla.CodeOK), "1:Down->Up"},              // 33%
			{sec, res(2, sla.CodeOK), "2:Down->Up,9:Down->Up"}, // 66%
			{2 * sec, res(1, sla.CodeTimeout), "1:Up->Down"},   // 33%: keeps Up
			{3 * sec, res(2, sla.CodeTimeout), "2:Up->Down,9:Up->Down"},
		}},
		{"list delay applies to the list, with cancellation", []Object{slaObj(1), {ID: 9, Type: TypeList, List: ListOr, Members: []Member{{ID: 1}}, DelayUp: 5 * sec, DelayDown: 3 * sec}}, "", []ev{
			{0, res(1, sla.CodeOK), "1:Down->Up"},
			{4 * sec, adv, ""},
			{5 * sec, adv, "9:Down->Up"},
			{6 * sec, res(1, sla.CodeTimeout), "1:Up->Down"},
			{7 * sec, res(1, sla.CodeOK), "1:Down->Up"}, // cancels the list's pending Down
			{20 * sec, adv, ""},
			{21 * sec, res(1, sla.CodeTimeout), "1:Up->Down"},
			{24 * sec, adv, "9:Up->Down"},
		}},
		{"member delay reaches the list when reported", []Object{{ID: 1, SLA: 1, DelayUp: 2 * sec}, list(9, ListOr, Member{ID: 1})}, "", []ev{
			{0, res(1, sla.CodeOK), ""},
			{2 * sec, adv, "1:Down->Up,9:Down->Up"},
		}},
		{"nested lists", []Object{slaObj(1), slaObj(2), list(8, ListOr, Member{ID: 1}), list(9, ListAnd, Member{ID: 8}, Member{ID: 2})}, "", []ev{
			{0, res(2, sla.CodeOK), "2:Down->Up"},
			{sec, res(1, sla.CodeOK), "1:Down->Up,8:Down->Up,9:Down->Up"},
			{2 * sec, res(1, sla.CodeTimeout), "1:Up->Down,8:Up->Down,9:Up->Down"},
		}},
		{"list of an undefined object counts it Down", []Object{list(9, ListOr, Member{ID: 77, Not: true})}, "9:Down->Up", nil},
		{"stub default-state up, set at run time", []Object{{ID: 42, Type: TypeStub, DefaultState: Up}, list(9, ListAnd, Member{ID: 42})}, "9:Down->Up", []ev{
			{sec, stub(42, Down), "42:Up->Down,9:Up->Down"},
			{2 * sec, stub(42, Down), ""},
			{3 * sec, stub(42, Up), "42:Down->Up,9:Down->Up"},
		}},
		{"stub with delay down", []Object{{ID: 42, Type: TypeStub, DelayDown: 10 * sec}}, "", []ev{
			{0, stub(42, Up), "42:Down->Up"},
			{sec, stub(42, Down), ""},
			{11 * sec, adv, "42:Up->Down"},
		}},
		{"interface delay up with cancellation", []Object{{ID: 1, Type: TypeInterface, Interface: "eth0", Mode: ModeLineProtocol, DelayUp: 3 * sec}}, "", []ev{
			{0, links(LinkState{Name: "eth0", Exists: true, Up: true}), ""},
			{sec, link("eth0", false, false), ""}, // cancelled
			{5 * sec, adv, ""},
			{6 * sec, link("eth0", true, false), ""},
			{9 * sec, adv, "1:Down->Up"},
		}},
		{"hysteresis up 3 down 2 (extension)", []Object{{ID: 1, SLA: 1, HysteresisUp: 3, HysteresisDown: 2}}, "", []ev{
			{0, res(1, sla.CodeOK), ""},
			{sec, res(1, sla.CodeOK), ""},
			{2 * sec, res(1, sla.CodeTimeout), ""}, // streak broken
			{3 * sec, res(1, sla.CodeOK), ""},
			{4 * sec, res(1, sla.CodeOK), ""},
			{5 * sec, res(1, sla.CodeOK), "1:Down->Up"},
			{6 * sec, res(1, sla.CodeTimeout), ""},
			{7 * sec, res(1, sla.CodeOK), ""},
			{8 * sec, res(1, sla.CodeTimeout), ""},
			{9 * sec, res(1, sla.CodeTimeout), "1:Up->Down"},
		}},
		{"hysteresis then delay", []Object{{ID: 1, SLA: 1, HysteresisUp: 2, DelayUp: 5 * sec}}, "", []ev{
			{0, res(1, sla.CodeOK), ""},
			{sec, res(1, sla.CodeOK), ""},
			{5 * sec, adv, ""},
			{6 * sec, adv, "1:Down->Up"},
		}},
		{"dampening suppresses a flapping object (extension)", []Object{{ID: 1, SLA: 1,
			Dampening: Dampening{Enabled: true, HalfLife: 10 * sec, Reuse: 1000, Suppress: 2000, MaxSuppress: 40 * sec}}}, "", []ev{
			{0, res(1, sla.CodeOK), "1:Down->Up"},
			{sec, res(1, sla.CodeTimeout), "1:Up->Down"}, // penalty 1000
			{2 * sec, res(1, sla.CodeOK), "1:Down->Up"},
			{3 * sec, res(1, sla.CodeTimeout), "1:Up->Down"}, // 1871
			{4 * sec, res(1, sla.CodeOK), "1:Down->Up"},
			{5 * sec, res(1, sla.CodeTimeout), "1:Up->Down"}, // 2628: suppressed
			{6 * sec, res(1, sla.CodeOK), ""},
			{18900 * time.Millisecond, adv, ""}, // reuse at 5+10*log2(2.628) = 18.94 s
			{19 * sec, adv, "1:Down->Up"},
		}},
		{"dampening: a suppressed object that is down at reuse stays down", []Object{{ID: 1, SLA: 1,
			Dampening: Dampening{Enabled: true, HalfLife: 10 * sec, Reuse: 1000, Suppress: 1500, MaxSuppress: 40 * sec}}}, "", []ev{
			{0, res(1, sla.CodeOK), "1:Down->Up"},
			{sec, res(1, sla.CodeTimeout), "1:Up->Down"},
			{2 * sec, res(1, sla.CodeOK), "1:Down->Up"},
			{3 * sec, res(1, sla.CodeTimeout), "1:Up->Down"}, // suppressed
			{4 * sec, res(1, sla.CodeOK), ""},
			{5 * sec, res(1, sla.CodeTimeout), ""},
			{60 * sec, adv, ""},
			{61 * sec, res(1, sla.CodeOK), "1:Down->Up"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := NewTable()
			if got := renderIDs(tb.Set(tc.objs, t0, nil)); got != tc.setAt {
				t.Fatalf("Set: changes %q, want %q", got, tc.setAt)
			}
			for _, e := range tc.evs {
				if got := renderIDs(e.in(tb, t0.Add(e.at))); got != e.want {
					t.Fatalf("at +%v: changes %q, want %q", e.at, got, e.want)
				}
			}
		})
	}
}

func TestChangeString(t *testing.T) {
	for _, tc := range []struct {
		o    Object
		want string
	}{
		{Object{ID: 1, SLA: 1, Mode: ModeReachability}, "%TRACK-6-STATE: 1 ip sla 1 reachability Up -> Down"},
		{Object{ID: 1, Type: TypeInterface, Interface: "eth0", Mode: ModeLineProtocol}, "%TRACK-6-STATE: 1 interface eth0 line-protocol Up -> Down"},
		{Object{ID: 2, Type: TypeInterface, Interface: "eth0", Mode: ModeIPRouting}, "%TRACK-6-STATE: 2 interface eth0 ip routing Up -> Down"},
		{Object{ID: 3, Type: TypeRoute, Prefix: netip.MustParsePrefix("10.0.0.0/8"), Mode: ModeReachability}, "%TRACK-6-STATE: 3 ip route 10.0.0.0/8 reachability Up -> Down"},
		{Object{ID: 4, Type: TypeRoute, Prefix: netip.MustParsePrefix("2001:db8::/32"), Mode: ModeMetricThreshold}, "%TRACK-6-STATE: 4 ipv6 route 2001:db8::/32 metric threshold Up -> Down"},
		{Object{ID: 9, Type: TypeList, List: ListAnd}, "%TRACK-6-STATE: 9 list boolean and Up -> Down"},
		{Object{ID: 10, Type: TypeList, List: ListWeight}, "%TRACK-6-STATE: 10 list threshold weight Up -> Down"},
		{Object{ID: 42, Type: TypeStub}, "%TRACK-6-STATE: 42 stub-object Up -> Down"},
	} {
		if got := (Change{Object: tc.o, From: Up, To: Down}).String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestSetStubErrors(t *testing.T) {
	tb := NewTable()
	tb.Set([]Object{{ID: 1, SLA: 1}}, t0, nil)
	if _, err := tb.SetStub(1, Up, t0); err == nil {
		t.Error("SetStub of an ip sla object succeeded")
	}
	if _, err := tb.SetStub(2, Up, t0); err == nil {
		t.Error("SetStub of a missing object succeeded")
	}
}

func TestReloadKeepsInputsAndEvaluatesNewObjects(t *testing.T) {
	tb := NewTable()
	eth := Object{ID: 1, Type: TypeInterface, Interface: "eth0", Mode: ModeLineProtocol}
	tb.Set([]Object{eth}, t0, nil)
	tb.SyncLinks([]LinkState{{Name: "eth0", Exists: true, Up: true}}, t0)
	tb.ObserveRoute(RouteState{Prefix: netip.MustParsePrefix("10.9.0.0/16"), Present: true}, t0)
	// A new route object and a new list are judged at once on what is known.
	rto := Object{ID: 2, Type: TypeRoute, Mode: ModeReachability, Prefix: netip.MustParsePrefix("10.9.0.0/16")}
	eth.DelayDown = 5 * sec // only the delay changes: state kept
	got := renderIDs(tb.Set([]Object{eth, rto, {ID: 9, Type: TypeList, List: ListAnd, Members: []Member{{ID: 1}, {ID: 2}}}}, t0.Add(sec), nil))
	if got != "2:Down->Up,9:Down->Up" {
		t.Fatalf("Set changes %q", got)
	}
	if st := tb.Snapshot(t0)[0]; st.Changes != 2 || st.State != Up {
		t.Errorf("interface lost its state on a delay change: %+v", st)
	}
	if keys := tb.RouteKeys(); len(keys) != 1 || keys[0].Prefix.String() != "10.9.0.0/16" {
		t.Errorf("RouteKeys = %v", keys)
	}
}

func TestPresume(t *testing.T) {
	objs := []Object{
		{ID: 1, SLA: 1}, {ID: 2, SLA: 2}, {ID: 3, SLA: 3},
		{ID: 8, Type: TypeList, List: ListOr, Members: []Member{{ID: 1}, {ID: 3, Not: true}}},
		{ID: 9, Type: TypeList, List: ListAnd, Members: []Member{{ID: 8}, {ID: 2}}},
	}
	got := Presume(objs, map[int]bool{9: true})
	want := map[int]bool{9: true, 8: true, 2: true, 1: true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Presume = %v, want %v", got, want)
	}
	tb := NewTable()
	if ch := tb.Set(objs, t0, got); len(ch) != 0 {
		t.Errorf("presumed objects changed at Set: %v", renderIDs(ch))
	}
	if !tb.Up(9) {
		t.Error("list not presumed Up")
	}
}

func TestDampeningNext(t *testing.T) {
	tb := NewTable()
	tb.Set([]Object{{ID: 1, SLA: 1, Dampening: Dampening{Enabled: true}}}, t0, nil) // defaults 5 s, 1000, 2000, 20 s
	for i, c := range []sla.ReturnCode{sla.CodeOK, sla.CodeTimeout, sla.CodeOK, sla.CodeTimeout} {
		tb.Observe(sla.Result{ID: 1, Code: c}, t0)
		_ = i
	}
	st := tb.Snapshot(t0)[0]
	if !st.Suppressed || st.Penalty != 2000 {
		t.Fatalf("two flaps at once: %+v, want suppressed with penalty 2000", st)
	}
	next, ok := tb.Next()
	if !ok || next.Sub(t0) != 5*sec+time.Millisecond {
		t.Errorf("Next = +%v, want reuse one half-life later", next.Sub(t0))
	}
	tb.Observe(sla.Result{ID: 1, Code: sla.CodeOK}, t0.Add(sec))
	if ch := tb.Advance(next); renderIDs(ch) != "1:Down->Up" {
		t.Errorf("at reuse: %q", renderIDs(ch))
	}
}

func TestReloadListMembersKeepsHistory(t *testing.T) {
	tb := NewTable()
	l := Object{ID: 9, Type: TypeList, List: ListOr, Members: []Member{{ID: 1}}}
	objs := []Object{{ID: 1, SLA: 1}, {ID: 2, SLA: 2}, l}
	tb.Set(objs, t0, nil)
	if got := renderIDs(tb.Observe(sla.Result{ID: 2, Code: sla.CodeOK}, t0)); got != "2:Down->Up" {
		t.Fatalf("got %q", got)
	}
	// Object 2 joins the list: the list keeps its history and goes Up.
	objs[2].Members = []Member{{ID: 1}, {ID: 2}}
	if got := renderIDs(tb.Set(objs, t0.Add(sec), nil)); got != "9:Down->Up" {
		t.Fatalf("Set: %q", got)
	}
	if st := tb.Snapshot(t0)[2]; st.Changes != 2 {
		t.Errorf("list changes = %d, want 2 (history kept)", st.Changes)
	}
	// And leaves it again: Down.
	objs[2].Members = []Member{{ID: 1}}
	if got := renderIDs(tb.Set(objs, t0.Add(2*sec), nil)); got != "9:Up->Down" {
		t.Fatalf("Set: %q", got)
	}
}
