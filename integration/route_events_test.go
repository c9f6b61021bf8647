package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// routeEventsConfig has only untracked statics, so that what the test sees
// is the kernel side alone: one through the link to d, one whose next hop
// is on no connected network yet.
const routeEventsConfig = `ip route 203.0.113.0 255.255.255.0 10.0.0.10 tag 7
ip route 198.51.100.0 255.255.255.0 10.77.0.1
`

// TestRouteEvents runs the real ipslad against the real kernel and checks
// that it follows kernel changes through netlink notifications, long
// before its 30-second safety-net resync: a route of ours deleted by hand
// comes back, a route through an interface that was set down and up again
// comes back with it, and a route whose next hop is not on a connected
// network is not installed (one log line, no retry loop) until an address
// makes it reachable. SIGTERM then withdraws every route of ours.
func TestRouteEvents(t *testing.T) {
	skipUnlessRoot(t)
	requireBinaries(t, "ip")
	l := newLab(t)
	r, d := l.netns("r", true), l.netns("d", false)
	ifR, _ := l.link(r, routerToDNS+"/24", d, dnsUnicast+"/24")

	dir := t.TempDir()
	cfg := filepath.Join(dir, "ipslad.cfg")
	if err := os.WriteFile(cfg, []byte(routeEventsConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startIpslad(t, r, cfg, "--socket", "")
	has := func(prefix string) func() bool {
		return func() bool {
			out, err := run(5*time.Second, "ip", "-n", r, "route", "show", prefix, "proto", "200")
			return err == nil && strings.Contains(out, strings.TrimSuffix(prefix, "/24"))
		}
	}
	gone := func(prefix string) func() bool {
		h := has(prefix)
		return func() bool { return !h() }
	}
	// Prompt means well under the 30 s safety-net resync.
	const prompt = 5 * time.Second
	if _, ok := waitFor(t, 10*time.Second, 10*time.Millisecond, has("203.0.113.0/24")); !ok {
		t.Fatalf("route not installed:\n%s", p.Output())
	}
	if has("198.51.100.0/24")() {
		t.Fatal("route with an unreachable next hop installed")
	}

	// 1. Deleted by hand: restored.
	ip(t, r, "route", "del", "203.0.113.0/24", "proto", "200")
	if took, ok := waitFor(t, prompt, 5*time.Millisecond, has("203.0.113.0/24")); !ok {
		t.Fatalf("hand-deleted route not restored:\n%s", p.Output())
	} else {
		t.Logf("hand-deleted route restored after %v", took)
	}
	if !strings.Contains(p.Output(), "restoring") {
		t.Errorf("restore not logged:\n%s", p.Output())
	}

	// 2. Interface flap: the kernel drops the route silently; it comes back
	// with the interface.
	ip(t, r, "link", "set", ifR, "down")
	if _, ok := waitFor(t, prompt, 5*time.Millisecond, gone("203.0.113.0/24")); !ok {
		t.Fatal("route through a down interface still there")
	}
	ip(t, r, "link", "set", ifR, "up")
	if took, ok := waitFor(t, prompt, 5*time.Millisecond, has("203.0.113.0/24")); !ok {
		t.Fatalf("route not back after the interface came up:\n%s", p.Output())
	} else {
		t.Logf("route back %v after link up", took)
	}

	// 3. Next hop resolution: the address makes 10.77.0.1 connected.
	if n := strings.Count(p.Output(), "198.51.100.0"); n != 1 {
		t.Errorf("unresolved route logged %d times, want once:\n%s", n, p.Output())
	}
	ip(t, r, "addr", "add", "10.77.0.2/24", "dev", ifR)
	if _, ok := waitFor(t, prompt, 5*time.Millisecond, has("198.51.100.0/24")); !ok {
		t.Fatalf("route not installed once its next hop became reachable:\n%s", p.Output())
	}
	ip(t, r, "addr", "del", "10.77.0.2/24", "dev", ifR)
	if _, ok := waitFor(t, prompt, 5*time.Millisecond, gone("198.51.100.0/24")); !ok {
		t.Fatalf("route kept after its next hop became unreachable:\n%s", p.Output())
	}

	// 4. SIGTERM withdraws everything of ours.
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM:\n%s", code, p.Output())
	}
	if out := mustRun(t, "ip", "-n", r, "route", "show", "proto", "200"); strings.TrimSpace(out) != "" {
		t.Errorf("routes left after SIGTERM:\n%s", out)
	}
}
