package track

import (
	"strings"
	"testing"
	"time"

	"github.com/ipslad/ipslad/sla"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// step feeds a result for SLA 1 (code != -1) or only advances the clock,
// at t0+at, and lists the changes expected at that moment.
type step struct {
	at   time.Duration
	code sla.ReturnCode // -1: advance only
	want string         // changes as "From->To" joined by ","; "" none
}

const advance sla.ReturnCode = -1

func TestTable(t *testing.T) {
	tests := []struct {
		name  string
		obj   Object
		steps []step
	}{
		{"state: OK brings it Up at once", Object{ID: 1, SLA: 1}, []step{
			{0, sla.CodeOK, "Down->Up"},
			{time.Second, sla.CodeOK, ""},
			{2 * time.Second, sla.CodeTimeout, "Up->Down"},
		}},
		{"state: over threshold is Down", Object{ID: 1, SLA: 1}, []step{
			{0, sla.CodeOK, "Down->Up"},
			{time.Second, sla.CodeOverThreshold, "Up->Down"},
		}},
		{"reachability: over threshold is Up", Object{ID: 1, SLA: 1, Mode: ModeReachability}, []step{
			{0, sla.CodeOverThreshold, "Down->Up"},
			{time.Second, sla.CodeDNSQueryError, "Up->Down"},
		}},
		{"failure while Down reports nothing", Object{ID: 1, SLA: 1}, []step{
			{0, sla.CodeTimeout, ""},
			{time.Second, sla.CodeNoConnection, ""},
		}},
		{"delay up: reported after the delay", Object{ID: 1, SLA: 1, DelayUp: 5 * time.Second}, []step{
			{0, sla.CodeOK, ""},
			{time.Second, sla.CodeOK, ""},
			{4900 * time.Millisecond, advance, ""},
			{5 * time.Second, advance, "Down->Up"},
		}},
		{"delay up cancelled by a failure", Object{ID: 1, SLA: 1, DelayUp: 5 * time.Second}, []step{
			{0, sla.CodeOK, ""},
			{time.Second, sla.CodeTimeout, ""},
			{6 * time.Second, advance, ""},
			{7 * time.Second, sla.CodeOK, ""}, // a new delay starts here
			{11 * time.Second, advance, ""},
			{12 * time.Second, advance, "Down->Up"},
		}},
		{"delay down, and delay up does not apply to down", Object{ID: 1, SLA: 1, DelayUp: 5 * time.Second, DelayDown: 2 * time.Second}, []step{
			{0, sla.CodeOK, ""},
			{5 * time.Second, advance, "Down->Up"},
			{6 * time.Second, sla.CodeTimeout, ""},
			{7 * time.Second, sla.CodeTimeout, ""},
			{8 * time.Second, advance, "Up->Down"},
		}},
		{"delay down cancelled keeps Up", Object{ID: 1, SLA: 1, DelayDown: 2 * time.Second}, []step{
			{0, sla.CodeOK, "Down->Up"},
			{time.Second, sla.CodeTimeout, ""},
			{2 * time.Second, sla.CodeOK, ""},
			{10 * time.Second, advance, ""},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := NewTable()
			tb.Set([]Object{tc.obj}, t0, nil)
			for _, s := range tc.steps {
				now := t0.Add(s.at)
				var ch []Change
				if s.code == advance {
					ch = tb.Advance(now)
				} else {
					ch = tb.Observe(sla.Result{ID: 1, Code: s.code}, now)
				}
				if got := render(ch); got != s.want {
					t.Fatalf("at +%v: changes %q, want %q", s.at, got, s.want)
				}
			}
		})
	}
}

func render(cs []Change) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.From.String()+"->"+c.To.String())
	}
	return strings.Join(parts, ",")
}

func TestInitialStateAndCounters(t *testing.T) {
	tb := NewTable()
	tb.Set([]Object{{ID: 101, SLA: 101}, {ID: 7, SLA: 9, Mode: ModeReachability}}, t0, nil)
	snap := tb.Snapshot(t0)
	if len(snap) != 2 || snap[0].ID != 7 || snap[1].ID != 101 {
		t.Fatalf("snapshot order: %+v", snap)
	}
	for _, st := range snap {
		if st.State != Down || st.Changes != 1 || st.Latest.Code != sla.CodeUnknown || !st.LastChange.Equal(t0) {
			t.Errorf("object %d starts %v, %d changes, code %v; want Down, 1 change, Unknown", st.ID, st.State, st.Changes, st.Latest.Code)
		}
	}
	ch := tb.Observe(sla.Result{ID: 101, Code: sla.CodeOK, RTT: 3 * time.Millisecond}, t0.Add(time.Second))
	if len(ch) != 1 || ch[0].String() != "%TRACK-6-STATE: 101 ip sla 101 state Down -> Up" {
		t.Fatalf("change = %v", ch)
	}
	if !tb.Up(101) || tb.Up(7) || tb.Up(999) {
		t.Error("Up() wrong")
	}
	if st := tb.Snapshot(t0)[1]; st.Changes != 2 || st.Latest.RTT != 3*time.Millisecond {
		t.Errorf("after first OK: %d changes, rtt %v; want 2 changes", st.Changes, st.Latest.RTT)
	}
}

func TestSetKeepsStateAndPresumeUp(t *testing.T) {
	tb := NewTable()
	a := Object{ID: 1, SLA: 1}
	tb.Set([]Object{a, {ID: 2, SLA: 2}}, t0, map[int]bool{2: true})
	if tb.Up(1) || !tb.Up(2) {
		t.Fatal("presumeUp not applied")
	}
	// A presumed-Up object keeps Up on OK and reports the first failure.
	if ch := tb.Observe(sla.Result{ID: 2, Code: sla.CodeOK}, t0); len(ch) != 0 {
		t.Errorf("OK on presumed Up reported %v", ch)
	}
	if ch := tb.Observe(sla.Result{ID: 2, Code: sla.CodeTimeout}, t0); render(ch) != "Up->Down" {
		t.Errorf("timeout on presumed Up reported %q", render(ch))
	}
	tb.Observe(sla.Result{ID: 1, Code: sla.CodeOK}, t0)
	// Reload: 1 unchanged keeps Up; 1 with a new delay keeps state too;
	// 2 now tracks another operation and starts over.
	tb.Set([]Object{a}, t0.Add(time.Minute), nil)
	if !tb.Up(1) || tb.Snapshot(t0)[0].Changes != 2 {
		t.Error("unchanged object lost its state")
	}
	a.DelayDown = 10 * time.Second
	tb.Set([]Object{a, {ID: 2, SLA: 5}}, t0.Add(2*time.Minute), nil)
	snap := tb.Snapshot(t0)
	if !tb.Up(1) || snap[0].Changes != 2 || snap[0].DelayDown != 10*time.Second {
		t.Errorf("delay change lost state: %+v", snap[0])
	}
	if snap[1].State != Down || snap[1].Changes != 1 || snap[1].SLA != 5 {
		t.Errorf("re-pointed object did not start over: %+v", snap[1])
	}
	if ch := tb.Forget(1, t0.Add(3*time.Minute)); len(ch) != 0 {
		t.Errorf("forget with delay down reported at once: %v", ch)
	}
	if next, ok := tb.Next(); !ok || !next.Equal(t0.Add(3*time.Minute+10*time.Second)) {
		t.Errorf("Next = %v %v", next, ok)
	}
}

func TestTwoObjectsOneOperation(t *testing.T) {
	tb := NewTable()
	tb.Set([]Object{{ID: 1, SLA: 1}, {ID: 2, SLA: 1, Mode: ModeReachability}}, t0, nil)
	if got := render(tb.Observe(sla.Result{ID: 1, Code: sla.CodeOK}, t0)); got != "Down->Up,Down->Up" {
		t.Fatalf("got %q", got)
	}
	if got := render(tb.Observe(sla.Result{ID: 1, Code: sla.CodeOverThreshold}, t0)); got != "Up->Down" {
		t.Fatalf("over threshold: got %q, want only the state object down", got)
	}
}
