package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

const frrDir = "/usr/lib/frr"

// frrInstance is one FRR (zebra plus protocol daemons) running in a
// namespace under the pathspace of the same name (-N NS): its sockets and
// pid files are in /var/run/frr/NS, vtysh reaches it with -N NS.
type frrInstance struct {
	t       testing.TB
	ns      string
	runDir  string
	etcDir  string
	conf    string
	daemons []string
	pids    map[string]int
}

// startFRR writes conf to frr.conf in a temp dir readable by the frr user,
// starts zebra in namespace ns and waits for its zserv socket, then starts
// the other daemons (e.g. "bgpd", "ospfd", "staticd"; zebra is implied) and
// waits for their vty sockets. A "log file" line pointing into the run
// directory is put before conf; that log is printed when the test fails.
// Everything is stopped and removed when t ends.
func startFRR(t testing.TB, ns, conf string, daemons ...string) *frrInstance {
	t.Helper()
	f := &frrInstance{
		t:      t,
		ns:     ns,
		runDir: filepath.Join("/var/run/frr", ns),
		etcDir: filepath.Join("/etc/frr", ns),
		pids:   map[string]int{},
	}
	f.daemons = append([]string{"zebra"}, slices.DeleteFunc(slices.Clone(daemons), func(d string) bool { return d == "zebra" })...)
	for _, d := range f.daemons {
		requireBinaries(t, filepath.Join(frrDir, d))
	}
	u, err := user.Lookup("frr")
	if err != nil {
		t.Skipf("skipping: no frr user (is the frr package installed?): %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)

	for _, d := range []string{f.runDir, f.etcDir} {
		if _, err := os.Stat(d); err == nil {
			t.Fatalf("%s already exists: another FRR instance named %s?", d, ns)
		}
	}
	t.Cleanup(f.cleanup)
	if err := os.MkdirAll(f.runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(f.runDir, uid, gid); err != nil {
		t.Fatal(err)
	}
	// An empty vtysh.conf for this pathspace silences vtysh's warning.
	if err := os.MkdirAll(f.etcDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.etcDir, "vtysh.conf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := readableTempDir(t) // the daemons read their config as the frr user
	f.conf = filepath.Join(dir, "frr.conf")
	text := fmt.Sprintf("log file %s/frr.log\n%s\n", f.runDir, conf)
	if err := os.WriteFile(f.conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, d := range f.daemons {
		f.startDaemon(d)
	}
	return f
}

func (f *frrInstance) startDaemon(d string) {
	t := f.t
	t.Helper()
	pidfile := filepath.Join(f.runDir, d+".pid")
	// -d: the command returns once the daemon has forked and read its config.
	if out, err := run(30*time.Second, "ip", "netns", "exec", f.ns,
		filepath.Join(frrDir, d), "-d", "-N", f.ns, "-f", f.conf, "-i", pidfile); err != nil {
		t.Fatalf("starting %s in %s: %v\n%s", d, f.ns, err, out)
	}
	if _, ok := waitFor(t, 10*time.Second, 20*time.Millisecond, func() bool {
		pid, err := readPIDFile(pidfile)
		if err == nil {
			f.pids[d] = pid
		}
		return err == nil
	}); !ok {
		t.Fatalf("%s in %s wrote no pid file %s", d, f.ns, pidfile)
	}
	sock := filepath.Join(f.runDir, d+".vty")
	if d == "zebra" {
		sock = filepath.Join(f.runDir, "zserv.api")
	}
	if _, ok := waitFor(t, 10*time.Second, 20*time.Millisecond, func() bool {
		_, err := os.Stat(sock)
		return err == nil
	}); !ok {
		t.Fatalf("%s in %s: no socket %s", d, f.ns, sock)
	}
}

func (f *frrInstance) cleanup() {
	t := f.t
	if t.Failed() {
		if out, err := vtyshOut(f.ns, "show bgp summary", "show ip route"); err == nil {
			t.Logf("FRR state in %s:\n%s", f.ns, out)
		}
		if b, err := os.ReadFile(filepath.Join(f.runDir, "frr.log")); err == nil {
			t.Logf("FRR log (%s):\n%s", f.ns, b)
		}
	}
	for i := len(f.daemons) - 1; i >= 0; i-- {
		d := f.daemons[i]
		if pid, ok := f.pids[d]; ok {
			if err := killPID(pid, 10*time.Second); err != nil {
				t.Errorf("stopping %s in %s: %v", d, f.ns, err)
			}
			delete(f.pids, d)
		}
	}
	for _, d := range []string{f.runDir, f.etcDir} {
		if err := os.RemoveAll(d); err != nil {
			t.Errorf("removing %s: %v", d, err)
		}
	}
}

// vtyshOut runs "vtysh -N NS -c CMD..." (no shell) with a timeout.
func vtyshOut(ns string, cmds ...string) (string, error) {
	argv := []string{"vtysh", "-N", ns}
	for _, c := range cmds {
		argv = append(argv, "-c", c)
	}
	return run(15*time.Second, argv...)
}

// vtysh runs commands in the FRR of namespace ns and fails the test on error.
func vtysh(t testing.TB, ns string, cmds ...string) string {
	t.Helper()
	out, err := vtyshOut(ns, cmds...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ribRoute is one entry of "show ip route json".
type ribRoute struct {
	Prefix    string `json:"prefix"`
	Protocol  string `json:"protocol"` // kernel, connected, static, bgp, ospf, ...
	Selected  bool   `json:"selected"`
	Installed bool   `json:"installed"`
	Distance  int    `json:"distance"`
	Metric    int    `json:"metric"`
	Nexthops  []struct {
		IP            string `json:"ip"`
		InterfaceName string `json:"interfaceName"`
		Active        bool   `json:"active"`
		FIB           bool   `json:"fib"`
	} `json:"nexthops"`
}

// ribRoutes returns zebra's entries for exactly prefix in namespace ns, or
// nil (also on error).
func ribRoutes(ns, prefix string) []ribRoute {
	out, err := vtyshOut(ns, "show ip route json")
	if err != nil {
		return nil
	}
	var rib map[string][]ribRoute
	if err := json.Unmarshal([]byte(out), &rib); err != nil {
		return nil
	}
	return rib[prefix]
}

// ribHas reports whether zebra in ns has a selected route for prefix learned
// by protocol ("bgp", "kernel", ...).
func ribHas(ns, prefix, protocol string) bool {
	for _, r := range ribRoutes(ns, prefix) {
		if r.Protocol == protocol && r.Selected {
			return true
		}
	}
	return false
}

// bgpRoute reports whether zebra in ns has prefix as a selected BGP route.
func bgpRoute(ns, prefix string) bool {
	return ribHas(ns, prefix, "bgp")
}

// bgpEstablished reports whether bgpd in ns has an established session with
// neighbor.
func bgpEstablished(ns, neighbor string) bool {
	out, err := vtyshOut(ns, "show bgp neighbors "+neighbor+" json")
	if err != nil {
		return false
	}
	var m map[string]struct {
		BGPState string `json:"bgpState"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return false
	}
	return m[neighbor].BGPState == "Established"
}
