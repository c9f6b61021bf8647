package route

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"testing"
)

var (
	anycast  = pfx("192.0.2.53/32")
	primaryA = Static{Prefix: anycast, NextHop: addr("10.0.0.10"), Distance: 1, Track: 1}
	primaryB = Static{Prefix: anycast, NextHop: addr("10.0.1.10"), Distance: 1, Track: 2}
	backup   = Static{Prefix: anycast, NextHop: addr("10.0.1.20"), Distance: 10}
	v6A      = Static{Prefix: pfx("2001:db8::53/128"), NextHop: addr("fd00::10"), Distance: 1, Track: 3}
	v6B      = Static{Prefix: pfx("2001:db8::53/128"), NextHop: addr("fd01::10"), Distance: 1, Track: 4}
	plain    = Static{Prefix: pfx("198.51.100.0/24"), NextHop: addr("10.0.0.254"), Interface: "eth0", Distance: 1}
	devOnly  = Static{Prefix: pfx("203.0.113.0/24"), Interface: "eth1", Distance: 5}
)

// routerState is one desired state and the whole kernel table it must
// produce.
type routerState struct {
	name    string
	statics []Static
	up      []int
	want    string
}

var routerStates = []routerState{
	{name: "empty"},
	{
		name:    "tracked up",
		statics: []Static{primaryA},
		up:      []int{1},
		want:    "192.0.2.53/32 metric 1 nexthop via 10.0.0.10 dev eth0",
	},
	{
		name:    "tracked down",
		statics: []Static{primaryA},
	},
	{
		name:    "ecmp both up",
		statics: []Static{primaryA, primaryB},
		up:      []int{1, 2},
		want:    "192.0.2.53/32 metric 1 nexthop via 10.0.0.10 dev eth0 nexthop via 10.0.1.10 dev eth1",
	},
	{
		name:    "ecmp first down",
		statics: []Static{primaryA, primaryB},
		up:      []int{2},
		want:    "192.0.2.53/32 metric 1 nexthop via 10.0.1.10 dev eth1",
	},
	{
		name:    "ecmp second down",
		statics: []Static{primaryA, primaryB},
		up:      []int{1},
		want:    "192.0.2.53/32 metric 1 nexthop via 10.0.0.10 dev eth0",
	},
	{
		name:    "floating, primary up",
		statics: []Static{primaryA, backup},
		up:      []int{1},
		want:    "192.0.2.53/32 metric 1 nexthop via 10.0.0.10 dev eth0",
	},
	{
		name:    "floating, primary down",
		statics: []Static{primaryA, backup},
		want:    "192.0.2.53/32 metric 10 nexthop via 10.0.1.20 dev eth1",
	},
	{
		name:    "ecmp over floating, one up",
		statics: []Static{primaryA, primaryB, backup},
		up:      []int{2},
		want:    "192.0.2.53/32 metric 1 nexthop via 10.0.1.10 dev eth1",
	},
	{
		name:    "ipv6 ecmp",
		statics: []Static{v6A, v6B},
		up:      []int{3, 4},
		want:    "2001:db8::53/128 metric 1 nexthop via fd00::10 dev eth0 nexthop via fd01::10 dev eth1",
	},
	{
		name:    "ipv6 one down",
		statics: []Static{v6A, v6B},
		up:      []int{4},
		want:    "2001:db8::53/128 metric 1 nexthop via fd01::10 dev eth1",
	},
	{
		name:    "untracked",
		statics: []Static{plain, devOnly},
		want: "198.51.100.0/24 metric 1 nexthop via 10.0.0.254 dev eth0\n" +
			"203.0.113.0/24 metric 5 nexthop dev eth1",
	},
	{
		name:    "everything",
		statics: []Static{primaryA, primaryB, backup, v6A, v6B, plain, devOnly},
		up:      []int{1, 2, 3, 4},
		want: "192.0.2.53/32 metric 1 nexthop via 10.0.0.10 dev eth0 nexthop via 10.0.1.10 dev eth1\n" +
			"198.51.100.0/24 metric 1 nexthop via 10.0.0.254 dev eth0\n" +
			"203.0.113.0/24 metric 5 nexthop dev eth1\n" +
			"2001:db8::53/128 metric 1 nexthop via fd00::10 dev eth0 nexthop via fd01::10 dev eth1",
	},
}

// TestRouterStates drives a Manager through every state in order, then in
// random order, and checks the whole fake table after each (tailscale's
// TestRouterStates). Every state can follow every other, and setting a
// state twice costs nothing.
func TestRouterStates(t *testing.T) {
	k := newFakeKernel()
	m := NewManager(k, nil)
	apply := func(t *testing.T, st routerState) {
		t.Helper()
		if err := m.Set(Desired(st.statics, upSet(st.up...))); err != nil {
			t.Fatalf("%s: Set: %v", st.name, err)
		}
		if got := k.String(); got != st.want {
			t.Fatalf("%s: kernel is\n%s\nwant\n%s", st.name, got, st.want)
		}
		checkInstalled(t, m, k)
		before := k.writes()
		if err := m.Set(Desired(st.statics, upSet(st.up...))); err != nil {
			t.Fatalf("%s: second Set: %v", st.name, err)
		}
		if n := k.writes() - before; n != 0 {
			t.Fatalf("%s: identical second Set made %d writes: %q", st.name, n, k.ops[before:])
		}
	}
	for _, st := range routerStates {
		apply(t, st)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 5 * len(routerStates) {
		apply(t, routerStates[r.IntN(len(routerStates))])
	}
}

// checkInstalled checks that what m believes is installed is what k holds.
func checkInstalled(t *testing.T, m *Manager, k *fakeKernel) {
	t.Helper()
	inst := m.Installed()
	kern, _ := k.List()
	if len(inst) != len(kern) {
		t.Fatalf("Installed() = %v, kernel has %v", inst, kern)
	}
	for i := range inst {
		if !satisfies(kern[i], inst[i]) {
			t.Fatalf("Installed()[%d] = %v, kernel has %v", i, inst[i], kern[i])
		}
	}
}

// TestTransitions checks the kernel calls of single transitions: losing one
// ECMP next hop is a replace in place, and failing over to a floating static
// adds the backup before it deletes the primary.
func TestTransitions(t *testing.T) {
	tests := []struct {
		name     string
		statics  []Static
		from, to []int
		ops      []string
	}{
		{
			name:    "ecmp loses a next hop",
			statics: []Static{primaryA, primaryB},
			from:    []int{1, 2},
			to:      []int{1},
			ops:     []string{"replace 192.0.2.53/32 metric 1 nexthop via 10.0.0.10"},
		},
		{
			name:    "ecmp gains a next hop",
			statics: []Static{primaryA, primaryB},
			from:    []int{2},
			to:      []int{1, 2},
			ops:     []string{"replace 192.0.2.53/32 metric 1 nexthop via 10.0.0.10 nexthop via 10.0.1.10"},
		},
		{
			name:    "fail over to floating static",
			statics: []Static{primaryA, backup},
			from:    []int{1},
			to:      nil,
			ops: []string{
				"replace 192.0.2.53/32 metric 10 nexthop via 10.0.1.20",
				"delete 192.0.2.53/32 metric 1 nexthop via 10.0.0.10",
			},
		},
		{
			name:    "primary returns",
			statics: []Static{primaryA, backup},
			from:    nil,
			to:      []int{1},
			ops: []string{
				"replace 192.0.2.53/32 metric 1 nexthop via 10.0.0.10",
				"delete 192.0.2.53/32 metric 10 nexthop via 10.0.1.20",
			},
		},
		{
			name:    "unrelated track changes",
			statics: []Static{primaryA, v6A},
			from:    []int{1, 3},
			to:      []int{1, 3, 99},
			ops:     nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newFakeKernel()
			m := NewManager(k, nil)
			if err := m.Set(Desired(tt.statics, upSet(tt.from...))); err != nil {
				t.Fatal(err)
			}
			k.ops = nil
			if err := m.Set(Desired(tt.statics, upSet(tt.to...))); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(k.ops, tt.ops) {
				t.Errorf("kernel calls:\n%s\nwant\n%s", strings.Join(k.ops, "\n"), strings.Join(tt.ops, "\n"))
			}
		})
	}
}

// TestAdopt checks that a new Manager takes over the routes a previous run
// left (which list with interfaces the desired routes did not name) and
// then changes nothing when the desired set is the same.
func TestAdopt(t *testing.T) {
	k := newFakeKernel()
	everything := routerStates[len(routerStates)-1]
	desired := Desired(everything.statics, upSet(everything.up...))
	if err := NewManager(k, nil).Set(desired); err != nil {
		t.Fatal(err)
	}
	before := k.writes()

	m := NewManager(k, nil) // the restarted daemon
	got, err := m.Adopt()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Errorf("Adopt() = %v, want 4 routes", got)
	}
	if err := m.Set(desired); err != nil {
		t.Fatal(err)
	}
	if n := k.writes() - before; n != 0 {
		t.Errorf("Set after Adopt made %d writes: %q", n, k.ops[before:])
	}
	if got := k.String(); got != everything.want {
		t.Errorf("kernel is\n%s\nwant\n%s", got, everything.want)
	}

	// A route the previous run had and this one does not want goes.
	m = NewManager(k, nil)
	if _, err := m.Adopt(); err != nil {
		t.Fatal(err)
	}
	k.ops = nil
	if err := m.Set(Desired([]Static{primaryA, primaryB}, upSet(1, 2))); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"delete 198.51.100.0/24 metric 1 nexthop via 10.0.0.254 dev eth0",
		"delete 203.0.113.0/24 metric 5 nexthop dev eth1",
		"delete 2001:db8::53/128 metric 1 nexthop via fd00::10 dev eth0 nexthop via fd01::10 dev eth1",
	}
	if !slices.Equal(k.ops, want) {
		t.Errorf("kernel calls:\n%s\nwant\n%s", strings.Join(k.ops, "\n"), strings.Join(want, "\n"))
	}
}

// TestPartialFailure checks that one refused route does not stop the
// others, that Installed leaves it out, and that the next Set retries it.
func TestPartialFailure(t *testing.T) {
	k := newFakeKernel()
	m := NewManager(k, nil)
	k.failReplace[anycast] = syscall.ENETUNREACH
	statics := []Static{primaryA, v6A, plain}
	err := m.Set(Desired(statics, upSet(1, 3)))
	if !errors.Is(err, syscall.ENETUNREACH) || !strings.Contains(err.Error(), "192.0.2.53/32") {
		t.Fatalf("Set error = %v, want ENETUNREACH naming 192.0.2.53/32", err)
	}
	want := "198.51.100.0/24 metric 1 nexthop via 10.0.0.254 dev eth0\n" +
		"2001:db8::53/128 metric 1 nexthop via fd00::10 dev eth0"
	if got := k.String(); got != want {
		t.Errorf("kernel is\n%s\nwant\n%s", got, want)
	}
	for _, r := range m.Installed() {
		if r.Prefix == anycast {
			t.Errorf("Installed() has the failed route %v", r)
		}
	}
	checkInstalled(t, m, k)

	// Still failing: retried, still reported, nothing else written.
	k.ops = nil
	if err := m.Set(Desired(statics, upSet(1, 3))); err == nil {
		t.Error("second Set: no error")
	}
	if want := []string{"replace 192.0.2.53/32 metric 1 nexthop via 10.0.0.10"}; !slices.Equal(k.ops, want) {
		t.Errorf("second Set calls %q, want %q", k.ops, want)
	}

	// Fixed: the next Set installs it.
	delete(k.failReplace, anycast)
	if err := m.Set(Desired(statics, upSet(1, 3))); err != nil {
		t.Fatal(err)
	}
	want = "192.0.2.53/32 metric 1 nexthop via 10.0.0.10 dev eth0\n" + want
	if got := k.String(); got != want {
		t.Errorf("kernel is\n%s\nwant\n%s", got, want)
	}
	checkInstalled(t, m, k)

	// A failed change keeps the old route as installed; a failed delete
	// keeps the route.
	k.failReplace[anycast] = syscall.EINVAL
	k.failDelete[pfx("198.51.100.0/24")] = syscall.EPERM
	err = m.Set(Desired([]Static{primaryA, primaryB, v6A}, upSet(1, 2, 3)))
	if !errors.Is(err, syscall.EINVAL) || !errors.Is(err, syscall.EPERM) {
		t.Fatalf("Set error = %v, want EINVAL and EPERM", err)
	}
	if got := k.String(); got != want {
		t.Errorf("kernel is\n%s\nwant\n%s", got, want)
	}
	checkInstalled(t, m, k)
}

// TestResync checks that Resync restores a route deleted behind our back,
// removes one of our protocol we do not want, and writes nothing when the
// kernel matches.
func TestResync(t *testing.T) {
	k := newFakeKernel()
	m := NewManager(k, nil)
	if err := m.Resync(); err != nil { // before any Set: nothing to do
		t.Fatal(err)
	}
	st := routerStates[len(routerStates)-1]
	if err := m.Set(Desired(st.statics, upSet(st.up...))); err != nil {
		t.Fatal(err)
	}
	before := k.writes()
	if err := m.Resync(); err != nil {
		t.Fatal(err)
	}
	if n := k.writes() - before; n != 0 {
		t.Errorf("Resync of a matching kernel made %d writes: %q", n, k.ops[before:])
	}

	delete(k.routes, key{anycast, 1})
	stray := Route{Prefix: pfx("192.0.2.99/32"), Metric: 7, NextHops: []NextHop{{Gateway: addr("10.0.0.99"), Interface: "eth0"}}}
	k.routes[stray.key()] = stray
	k.ops = nil
	if err := m.Resync(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"replace 192.0.2.53/32 metric 1 nexthop via 10.0.0.10 nexthop via 10.0.1.10",
		"delete 192.0.2.99/32 metric 7 nexthop via 10.0.0.99 dev eth0",
	}
	if !slices.Equal(k.ops, want) {
		t.Errorf("Resync calls:\n%s\nwant\n%s", strings.Join(k.ops, "\n"), strings.Join(want, "\n"))
	}
	if got := k.String(); got != st.want {
		t.Errorf("kernel is\n%s\nwant\n%s", got, st.want)
	}
}

func TestFlush(t *testing.T) {
	k := newFakeKernel()
	st := routerStates[len(routerStates)-1]
	if err := NewManager(k, nil).Set(Desired(st.statics, upSet(st.up...))); err != nil {
		t.Fatal(err)
	}
	k.failDelete[pfx("198.51.100.0/24")] = syscall.EPERM
	if err := Flush(k); !errors.Is(err, syscall.EPERM) {
		t.Errorf("Flush error = %v, want EPERM", err)
	}
	if want := "198.51.100.0/24 metric 1 nexthop via 10.0.0.254 dev eth0"; k.String() != want {
		t.Errorf("after Flush kernel is\n%s\nwant\n%s", k, want)
	}
}

// TestSetInvalid checks that routes the kernel cannot take are reported
// and left out, without stopping the rest.
func TestSetInvalid(t *testing.T) {
	k := newFakeKernel()
	m := NewManager(k, nil)
	err := m.Set([]Route{
		{Prefix: anycast, Metric: 1},
		{Metric: 1, NextHops: []NextHop{{Interface: "eth0"}}},
		{Prefix: pfx("198.51.100.0/24"), Metric: 1, NextHops: []NextHop{{Interface: "eth0"}}},
		// Same key twice: merged into one ECMP route.
		{Prefix: pfx("198.51.100.0/24"), Metric: 1, NextHops: []NextHop{{Interface: "eth1"}, {Interface: "eth0"}}},
	})
	if err == nil || !strings.Contains(err.Error(), "no next hop") || !strings.Contains(err.Error(), "invalid prefix") {
		t.Errorf("Set error = %v", err)
	}
	if want := "198.51.100.0/24 metric 1 nexthop dev eth0 nexthop dev eth1"; k.String() != want {
		t.Errorf("kernel is\n%s\nwant\n%s", k, want)
	}
}

func TestSatisfies(t *testing.T) {
	gw := func(a, dev string) NextHop { return NextHop{Gateway: addr(a), Interface: dev} }
	r := func(hops ...NextHop) Route {
		return Route{Prefix: anycast, Metric: 1, NextHops: hops}.normalize()
	}
	tests := []struct {
		got, want Route
		ok        bool
	}{
		{r(gw("10.0.0.1", "eth0")), r(gw("10.0.0.1", "")), true},
		{r(gw("10.0.0.1", "eth0")), r(gw("10.0.0.1", "eth0")), true},
		{r(gw("10.0.0.1", "eth0")), r(gw("10.0.0.1", "eth1")), false},
		{r(gw("10.0.0.1", "")), r(gw("10.0.0.1", "eth0")), false},
		{r(gw("10.0.0.1", "eth0")), r(gw("10.0.0.2", "")), false},
		{r(gw("10.0.0.1", "eth0"), gw("10.0.0.2", "eth0")), r(gw("10.0.0.1", "")), false},
		{r(gw("10.0.0.1", "eth0")), Route{Prefix: anycast, Metric: 2, NextHops: []NextHop{gw("10.0.0.1", "")}}, false},
		// One gateway on two interfaces (an IPv6 link-local, say): the
		// named one must not be taken by the wildcard.
		{r(gw("fe80::1", "eth0"), gw("fe80::1", "eth1")), r(gw("fe80::1", ""), gw("fe80::1", "eth0")), true},
		{r(NextHop{Interface: "eth0"}), r(NextHop{Interface: "eth0"}), true},
		{r(NextHop{Interface: "eth0"}), r(NextHop{Interface: "eth1"}), false},
	}
	for _, tt := range tests {
		if got := satisfies(tt.got, tt.want); got != tt.ok {
			t.Errorf("satisfies(%v, %v) = %v, want %v", tt.got, tt.want, got, tt.ok)
		}
	}
}

func TestRouteString(t *testing.T) {
	r := Route{
		Prefix: anycast,
		Metric: 1,
		NextHops: []NextHop{
			{Gateway: addr("10.0.1.10"), Interface: "eth1"},
			{Gateway: addr("10.0.0.10")},
			{Gateway: addr("10.0.0.10")},
		},
	}.normalize()
	want := "192.0.2.53/32 metric 1 nexthop via 10.0.0.10 nexthop via 10.0.1.10 dev eth1"
	if got := r.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
