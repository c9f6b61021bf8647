package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// labSeq makes each lab in one test binary distinct.
var labSeq atomic.Int32

// A lab names the namespaces of one test: "isl<pid%10000><letter>-<role>",
// unique per test binary run and per lab within it.
type lab struct {
	t      testing.TB
	prefix string
}

// newLab starts a lab for t. Namespaces it creates are deleted when t ends,
// after the cleanups registered later (processes inside them) have run.
func newLab(t testing.TB) *lab {
	t.Helper()
	n := labSeq.Add(1) - 1
	suffix := string(rune('a' + n%26))
	if n >= 26 {
		suffix = fmt.Sprint(n)
	}
	return &lab{t: t, prefix: fmt.Sprintf("isl%d%s", os.Getpid()%10000, suffix)}
}

// netns creates the namespace for role, brings its lo up and, for a router,
// turns IPv4 and IPv6 forwarding on. It returns the namespace's name, which
// is also the FRR pathspace name used by startFRR.
func (l *lab) netns(role string, router bool) string {
	t := l.t
	t.Helper()
	name := l.prefix + "-" + role
	mustRun(t, "ip", "netns", "add", name)
	t.Cleanup(func() {
		if out, err := run(30*time.Second, "ip", "netns", "delete", name); err != nil {
			t.Errorf("deleting namespace %s: %v %s", name, err, out)
		}
	})
	mustRun(t, "ip", "-n", name, "link", "set", "lo", "up")
	if router {
		mustRun(t, "ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv4.ip_forward=1")
		mustRun(t, "ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
	}
	return name
}

// link joins namespaces a and b with a veth pair created directly inside
// them (so names never clash in the root namespace), gives each end its
// address (CIDR, e.g. "10.0.0.1/24"; "" for none) and brings both up. The
// ends are named "<role of a>-<role of b>" and the reverse; they are
// returned. Deleting either namespace deletes the pair.
func (l *lab) link(a, addrA, b, addrB string) (ifA, ifB string) {
	t := l.t
	t.Helper()
	ifA = l.role(a) + "-" + l.role(b)
	ifB = l.role(b) + "-" + l.role(a)
	if len(ifA) > 15 || len(ifB) > 15 {
		t.Fatalf("interface names %q/%q longer than 15 characters: use shorter roles", ifA, ifB)
	}
	mustRun(t, "ip", "link", "add", ifA, "netns", a, "type", "veth", "peer", "name", ifB, "netns", b)
	for _, e := range []struct{ ns, dev, addr string }{{a, ifA, addrA}, {b, ifB, addrB}} {
		if e.addr != "" {
			mustRun(t, "ip", "-n", e.ns, "addr", "add", e.addr, "dev", e.dev)
		}
		mustRun(t, "ip", "-n", e.ns, "link", "set", e.dev, "up")
	}
	return ifA, ifB
}

func (l *lab) role(ns string) string {
	return strings.TrimPrefix(ns, l.prefix+"-")
}

// ip runs "ip -n NS args..." and fails the test on error.
func ip(t testing.TB, ns string, args ...string) string {
	t.Helper()
	return mustRun(t, append([]string{"ip", "-n", ns}, args...)...)
}

// kroute is one route of "ip -j route show".
type kroute struct {
	Dst      string   `json:"dst"`
	Gateway  string   `json:"gateway"`
	Dev      string   `json:"dev"`
	Protocol string   `json:"protocol"` // a name from rt_protos, or the number
	Scope    string   `json:"scope"`
	Metric   int      `json:"metric"`
	Flags    []string `json:"flags"`
}

// kernelRoute returns the route for exactly prefix (e.g. "192.0.2.53/32")
// in the main table of namespace ns, and whether there is one. Errors (such
// as a namespace that is gone) count as no route.
func kernelRoute(ns, prefix string) (kroute, bool) {
	out, err := run(10*time.Second, "ip", "-n", ns, "-j", "route", "show", "exact", prefix)
	if err != nil {
		return kroute{}, false
	}
	var rs []kroute
	if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) == 0 {
		return kroute{}, false
	}
	return rs[0], true
}
