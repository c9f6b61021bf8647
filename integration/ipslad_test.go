package integration

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
	buildOut  string
)

// goTool finds the go command: on PATH, else the usual install location.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

// buildIpslad builds cmd/ipslad once per test binary and returns the path of
// the binary. A build failure fails the test (the daemon is part of this
// repository, so not having it is a bug, not a missing dependency).
func buildIpslad(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "ipslad-itest-")
		if buildErr != nil {
			return
		}
		if err := os.Chmod(buildDir, 0o755); err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(buildDir, "ipslad")
		buildOut, buildErr = run(5*time.Minute, goTool(), "build", "-o", buildBin, "github.com/ipslad/ipslad/cmd/ipslad")
	})
	if buildErr != nil {
		t.Fatalf("building ipslad: %v\n%s", buildErr, buildOut)
	}
	return buildBin
}

func cleanupBuildDir() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}

// ipsladProc is a running ipslad.
type ipsladProc struct {
	t    testing.TB
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // Wait's result, once done is closed
	PID  int
}

// startIpslad runs "ip netns exec NS ipslad -f CFG extraArgs..." in the
// foreground with stdout and stderr captured (printed when the test fails).
// ip netns exec execs the daemon, so PID is ipslad's own. A daemon still
// running when t ends is killed.
func startIpslad(t testing.TB, ns, cfgPath string, extraArgs ...string) *ipsladProc {
	t.Helper()
	bin := buildIpslad(t)
	argv := append([]string{"netns", "exec", ns, bin, "-f", cfgPath}, extraArgs...)
	p := &ipsladProc{t: t, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command("ip", argv...)
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting ipslad: %v", err)
	}
	p.PID = p.cmd.Process.Pid
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("ipslad output (%s):\n%s", ns, p.Output())
		}
	})
	return p
}

// Signal sends sig to the daemon.
func (p *ipsladProc) Signal(sig os.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signalling ipslad: %v", err)
	}
}

// Wait waits up to timeout for the daemon to exit and returns its exit code
// (-1 when a signal killed it). It fails the test when it does not exit.
func (p *ipsladProc) Wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("ipslad did not exit within %v", timeout)
	}
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1
		}
		return ee.ExitCode()
	default:
		p.t.Fatalf("waiting for ipslad: %v", p.err)
		return -1
	}
}

// Exited reports whether the daemon has exited.
func (p *ipsladProc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Output returns what the daemon printed so far.
func (p *ipsladProc) Output() string { return p.out.String() }

// WaitOutput waits up to timeout for the output to contain s.
func (p *ipsladProc) WaitOutput(s string, timeout time.Duration) bool {
	_, ok := waitFor(p.t, timeout, 20*time.Millisecond, func() bool {
		return strings.Contains(p.Output(), s)
	})
	return ok
}
