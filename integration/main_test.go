package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const prSetChildSubreaper = 36 // PR_SET_CHILD_SUBREAPER from <linux/prctl.h>

func TestMain(m *testing.M) {
	// Daemons (nsd, FRR with -d) fork away from the command that started
	// them. As a child subreaper this process becomes their parent, so that
	// killPID can reap them instead of leaving zombies to PID 1.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	code := m.Run()
	cleanupBuildDir()
	os.Exit(code)
}

// skipUnlessRoot skips the test when it does not run as root: namespaces,
// veths and routes need CAP_NET_ADMIN, and FRR and nsd need root to start.
func skipUnlessRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("skipping: needs root (network namespaces, FRR, nsd); running as uid %d", os.Geteuid())
	}
}

// requireBinaries skips the test when any of the named programs is missing.
// A name with a slash is checked as a path, any other name on PATH.
func requireBinaries(t testing.TB, names ...string) {
	t.Helper()
	var missing []string
	for _, n := range names {
		if strings.Contains(n, "/") {
			if st, err := os.Stat(n); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
				missing = append(missing, n)
			}
			continue
		}
		if _, err := exec.LookPath(n); err != nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		t.Skipf("skipping: missing %s (install with: apt-get install frr nsd dnsutils iproute2)", strings.Join(missing, ", "))
	}
}

// requireLab is the usual preamble of a test that builds a lab with FRR and
// nsd: root and every program the harness runs.
func requireLab(t testing.TB) {
	t.Helper()
	skipUnlessRoot(t)
	requireBinaries(t, "ip", "nsd", "dig", "vtysh", frrDir+"/zebra", frrDir+"/bgpd")
}

// waitFor polls cond every poll until it returns true or timeout passes. It
// returns the time from the call until cond first held (or until it gave
// up) and whether cond held. Use the duration for printing measured times,
// never for asserting speed.
func waitFor(t testing.TB, timeout, poll time.Duration, cond func() bool) (time.Duration, bool) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Now().After(deadline) {
			return time.Since(start), false
		}
		time.Sleep(poll)
	}
}

// run runs argv (no shell) with a timeout and returns its combined output.
func run(timeout time.Duration, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", timeout, ctx.Err())
	}
	if err != nil {
		return out.String(), fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// mustRun is run that fails the test on error.
func mustRun(t testing.TB, argv ...string) string {
	t.Helper()
	out, err := run(30*time.Second, argv...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// processGone reports whether pid no longer runs. A zombie counts as gone.
func processGone(pid int) bool {
	st, _, ok := procStat(pid)
	return !ok || st == 'Z' || st == 'X'
}

// killPID stops a daemon this test started, by its pid (from its pid
// file): it sends SIGTERM, waits up to grace for the process and every
// descendant it had to go, then SIGKILLs what is left. Daemons that
// daemonized were reparented to this test process (a child subreaper, see
// TestMain); killPID reaps them so no zombie is left behind. It returns an
// error only when a process outlives SIGKILL.
func killPID(pid int, grace time.Duration) error {
	if pid <= 1 || processGone(pid) {
		reap([]int{pid})
		return nil
	}
	pids := append([]int{pid}, descendants(pid)...)
	defer reap(pids)
	_ = syscall.Kill(pid, syscall.SIGTERM)
	if waitAllGone(pids, grace) {
		return nil
	}
	for _, p := range pids {
		if !processGone(p) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}
	if waitAllGone(pids, 5*time.Second) {
		return nil
	}
	return fmt.Errorf("pid %d (or a child of it) still running after SIGKILL", pid)
}

func waitAllGone(pids []int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for _, p := range pids {
		if !waitGone(p, time.Until(deadline)) {
			return false
		}
	}
	return true
}

// procStat returns the state and parent pid of pid from /proc.
func procStat(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	// "pid (comm) S ppid ...": comm may hold spaces, so split after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0][0], ppid, true
}

// descendants returns the pids of pid's children, grandchildren, ...
func descendants(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, pp, ok := procStat(p); ok {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out = append(out, children[p]...)
		queue = append(queue, children[p]...)
	}
	return out
}

// reap collects those of pids that are zombies and children of this
// process. Only pids of daemons this test started (never os/exec's own
// children) are passed here.
func reap(pids []int) {
	self := os.Getpid()
	for _, p := range pids {
		if st, pp, ok := procStat(p); ok && pp == self && st == 'Z' {
			var ws syscall.WaitStatus
			_, _ = syscall.Wait4(p, &ws, syscall.WNOHANG, nil)
		}
	}
}

func waitGone(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// readPIDFile returns the pid in a pid file.
func readPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0, fmt.Errorf("bad pid file %s: %q", path, b)
	}
	return pid, nil
}

// syncBuffer is a bytes.Buffer safe for a process writing while the test
// reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// readableTempDir returns a t.TempDir that every user can read and enter:
// t.TempDir and its parent are created 0700, but FRR reads its config as
// the frr user.
func readableTempDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
