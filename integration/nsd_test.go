package integration

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// nsdServer is an authoritative nsd running in a namespace.
type nsdServer struct {
	t      testing.TB
	ns     string
	dir    string
	conf   string
	origin string   // the zone's name, without the final dot
	addrs  []string // addresses nsd listens on
	pid    int      // 0 while stopped
}

var originRE = regexp.MustCompile(`(?m)^\$ORIGIN\s+(\S+)`)

// startNSD writes an nsd.conf and the zone file into dir (a new t.TempDir
// when dir is ""), starts nsd in namespace ns listening on addrs (port 53)
// and waits until it answers the zone's SOA on every address. zone is the
// zone file's text and must name its zone in an $ORIGIN line. nsd is stopped
// when t ends.
func startNSD(t testing.TB, ns, dir string, addrs []string, zone string) *nsdServer {
	t.Helper()
	m := originRE.FindStringSubmatch(zone)
	if m == nil {
		t.Fatal("startNSD: the zone text needs an $ORIGIN line")
	}
	origin := strings.TrimSuffix(m[1], ".")
	if dir == "" {
		dir = readableTempDir(t)
	}
	var conf strings.Builder
	conf.WriteString("server:\n")
	for _, a := range addrs {
		fmt.Fprintf(&conf, "  ip-address: %s\n", a)
	}
	fmt.Fprintf(&conf, `  port: 53
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: %[1]q
  database: ""
  zonelistfile: "%[1]s/zone.list"
  xfrdfile: "%[1]s/xfrd.state"
  xfrdir: %[1]q
  pidfile: "%[1]s/nsd.pid"
  logfile: "%[1]s/nsd.log"
  hide-version: yes
  reuseport: no
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: %[2]q
  zonefile: "zone.db"
`, dir, origin)
	n := &nsdServer{t: t, ns: ns, dir: dir, conf: filepath.Join(dir, "nsd.conf"), origin: origin, addrs: addrs}
	for name, text := range map[string]string{n.conf: conf.String(), filepath.Join(dir, "zone.db"): zone} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := exec.LookPath("nsd-checkconf"); err == nil {
		if out, err := run(10*time.Second, "nsd-checkconf", n.conf); err != nil {
			t.Fatalf("nsd-checkconf: %v\n%s", err, out)
		}
	}
	t.Cleanup(func() {
		n.stop()
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "nsd.log")); err == nil {
				t.Logf("nsd log (%s):\n%s", ns, b)
			}
		}
	})
	n.Start()
	return n
}

// Start starts nsd with its config (again) and waits until it answers.
func (n *nsdServer) Start() {
	t := n.t
	t.Helper()
	if n.pid != 0 {
		t.Fatalf("nsd in %s already running (pid %d)", n.ns, n.pid)
	}
	pidfile := filepath.Join(n.dir, "nsd.pid")
	_ = os.Remove(pidfile)
	// nsd daemonizes: the command returns once the daemon has forked.
	if out, err := run(30*time.Second, "ip", "netns", "exec", n.ns, "nsd", "-c", n.conf); err != nil {
		t.Fatalf("starting nsd: %v\n%s", err, out)
	}
	if _, ok := waitFor(t, 10*time.Second, 20*time.Millisecond, func() bool {
		pid, err := readPIDFile(pidfile)
		n.pid = pid
		return err == nil
	}); !ok {
		t.Fatalf("nsd in %s wrote no pid file %s", n.ns, pidfile)
	}
	for _, a := range n.addrs {
		if _, ok := waitFor(t, 10*time.Second, 50*time.Millisecond, func() bool {
			r, err := dig(n.ns, a, n.origin, "SOA")
			return err == nil && r.Status == "NOERROR" && len(r.Answer) > 0
		}); !ok {
			r, err := dig(n.ns, a, n.origin, "SOA")
			t.Fatalf("nsd in %s does not answer on %s: %+v %v", n.ns, a, r, err)
		}
	}
}

// Stop kills nsd by the pid from its pid file and waits until it is gone
// and no longer answers.
func (n *nsdServer) Stop() {
	n.t.Helper()
	if err := n.stop(); err != nil {
		n.t.Fatal(err)
	}
}

func (n *nsdServer) stop() error {
	if n.pid == 0 {
		return nil
	}
	pid := n.pid
	n.pid = 0
	if err := killPID(pid, 10*time.Second); err != nil {
		return fmt.Errorf("stopping nsd in %s: %w", n.ns, err)
	}
	// nsd's server and xfrd children exit with it; make sure the sockets are
	// closed before the caller measures anything.
	for _, a := range n.addrs {
		if _, ok := waitFor(n.t, 10*time.Second, 50*time.Millisecond, func() bool {
			_, err := dig(n.ns, a, n.origin, "SOA")
			return err != nil
		}); !ok {
			return fmt.Errorf("nsd in %s still answers on %s after its pid %d exited", n.ns, a, pid)
		}
	}
	return nil
}

// digResult is the parsed answer of one dig query.
type digResult struct {
	Status string   // NOERROR, SERVFAIL, NXDOMAIN, ...
	Answer []string // the answer section's RDATA, one per record
}

// dig asks server (from inside namespace ns) for name/qtype once, with a one
// second timeout. It returns an error when no answer came back at all.
func dig(ns, server, name, qtype string) (digResult, error) {
	out, err := run(10*time.Second, "ip", "netns", "exec", ns, "dig", "@"+server, name, qtype,
		"+time=1", "+tries=1", "+noall", "+comments", "+answer")
	if err != nil {
		return digResult{}, err
	}
	var r digResult
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "status: "); i >= 0 && strings.HasPrefix(line, ";;") {
			r.Status = strings.TrimRight(strings.Fields(line[i+len("status: "):])[0], ",")
			continue
		}
		if line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		// name TTL class type rdata...
		if f := strings.Fields(line); len(f) >= 5 {
			r.Answer = append(r.Answer, strings.Join(f[4:], " "))
		}
	}
	if r.Status == "" {
		return r, fmt.Errorf("dig @%s %s %s: no reply: %s", server, name, qtype, strings.TrimSpace(out))
	}
	return r, nil
}
