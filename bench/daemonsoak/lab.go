package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sys/unix"
)

// cleanups runs registered functions in reverse order, once, on every exit
// path (normal end, error, Ctrl-C, panic).
type cleanups struct {
	mu  sync.Mutex
	fns []func()
}

func (c *cleanups) add(f func()) {
	c.mu.Lock()
	c.fns = append(c.fns, f)
	c.mu.Unlock()
}

func (c *cleanups) run() {
	c.mu.Lock()
	fns := c.fns
	c.fns = nil
	c.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// ipCmd runs ip(8) with args and returns an error with its output.
func ipCmd(args ...string) error {
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("ip %v: %v: %s", args, err, out)
	}
	return nil
}

// inNetns runs f on an OS thread switched into namespace ns; sockets f
// opens belong to ns and may then be used from any goroutine. There is
// one such thread per namespace, locked and kept for the life of the
// process: a locked thread that exited would take with it the children
// forked on it before (their Pdeathsig fires when that thread dies).
func inNetns(ns string, f func() error) error {
	nsThreadsMu.Lock()
	w := nsThreads[ns]
	if w == nil {
		w = make(chan func())
		ready := make(chan error, 1)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread stays in ns
			fd, err := unix.Open(filepath.Join("/var/run/netns", ns), unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err == nil {
				err = unix.Setns(fd, unix.CLONE_NEWNET)
				unix.Close(fd)
			}
			ready <- err
			if err != nil {
				return
			}
			for job := range w {
				job()
			}
		}()
		if err := <-ready; err != nil {
			nsThreadsMu.Unlock()
			return fmt.Errorf("netns %s: %v", ns, err)
		}
		nsThreads[ns] = w
	}
	nsThreadsMu.Unlock()
	errc := make(chan error, 1)
	w <- func() { errc <- f() }
	return <-errc
}

var (
	nsThreadsMu sync.Mutex
	nsThreads   = map[string]chan func(){}
)

// dialIn dials addr from inside namespace ns.
func dialIn(ctx context.Context, ns, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := inNetns(ns, func() error {
		var err error
		c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// answers reports whether a name server answers qname from namespace ns.
func answers(ns, server string) bool {
	c, err := dialIn(context.Background(), ns, "udp", net.JoinHostPort(server, "53"))
	if err != nil {
		return false
	}
	defer c.Close()
	co := &dns.Conn{Conn: c}
	q := new(dns.Msg)
	q.SetQuestion(qname+".", dns.TypeA)
	c.SetDeadline(time.Now().Add(300 * time.Millisecond))
	if err := co.WriteMsg(q); err != nil {
		return false
	}
	r, err := co.ReadMsg()
	return err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0
}

// proc is a process the soak started, in a process group of its own
// (its pgid is its pid), so that it and only its children get signals.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// startIn starts argv in namespace ns (ip netns exec replaces itself with
// argv, so the pid is argv's) with output to logPath.
func startIn(name, ns, logPath string, env []string, argv ...string) (*proc, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), env...)
	// Own process group (Ctrl-C reaches the soak only, which then stops
	// everything in order); killed if the soak itself dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// signalGroup sends sig to the process group the soak created for p.
func (p *proc) signalGroup(sig syscall.Signal) error {
	if !p.running() {
		return nil
	}
	return syscall.Kill(-p.pid(), sig)
}

// stop sends sig to p's group and waits up to wait for p to exit, then
// kills the group.
func (p *proc) stop(sig syscall.Signal, wait time.Duration) error {
	if !p.running() {
		return nil
	}
	_ = p.signalGroup(syscall.SIGCONT) // a stopped process cannot act on sig
	_ = p.signalGroup(sig)
	select {
	case <-p.done:
		return nil
	case <-time.After(wait):
	}
	_ = p.signalGroup(syscall.SIGKILL)
	<-p.done
	return fmt.Errorf("%s (pid %d) did not exit within %v of %v; killed", p.name, p.pid(), wait, sig)
}

// exitErr describes how p ended.
func (p *proc) exitErr() error {
	if p.err == nil {
		return errors.New("exited with status 0")
	}
	return p.err
}

// nsdServer is one real nsd in the servers' namespace, flapped by the soak.
type nsdServer struct {
	idx     int
	ns      string // where it runs
	probeNS string // where the soak checks that it answers from
	addr    string
	dir     string
	p       *proc

	mu      sync.Mutex
	up      bool // answering (not killed, not stopped)
	stopped bool // SIGSTOPped rather than killed
}

func (n *nsdServer) start() error {
	_ = os.Remove(filepath.Join(n.dir, "nsd.pid"))
	p, err := startIn(fmt.Sprintf("nsd %d", n.idx), n.ns, filepath.Join(n.dir, "nsd.out"), nil,
		"nsd", "-d", "-c", filepath.Join(n.dir, "nsd.conf"))
	if err != nil {
		return err
	}
	n.p = p
	deadline := time.Now().Add(15 * time.Second)
	for !answers(n.probeNS, n.addr) {
		if !p.running() {
			return fmt.Errorf("nsd %d on %s exited: %v (see %s)", n.idx, n.addr, p.exitErr(), n.dir)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nsd %d on %s does not answer within 15 s (see %s)", n.idx, n.addr, n.dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.mu.Lock()
	n.up, n.stopped = true, false
	n.mu.Unlock()
	return nil
}

// down takes the server away: SIGSTOP (it keeps its socket; queries queue
// and go unanswered) or a kill (queries get ICMP port unreachable).
func (n *nsdServer) down(freeze bool) error {
	n.mu.Lock()
	n.up = false
	n.stopped = freeze
	n.mu.Unlock()
	if freeze {
		return n.p.signalGroup(syscall.SIGSTOP)
	}
	return n.p.stop(syscall.SIGTERM, 10*time.Second)
}

// back brings the server back the way down took it away.
func (n *nsdServer) back() error {
	n.mu.Lock()
	frozen := n.stopped
	n.mu.Unlock()
	if frozen {
		if err := n.p.signalGroup(syscall.SIGCONT); err != nil {
			return err
		}
		n.mu.Lock()
		n.up, n.stopped = true, false
		n.mu.Unlock()
		return nil
	}
	return n.start()
}

func (n *nsdServer) isUp() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.up
}

// overlaySrc is added to cmd/ipslad when the soak builds ipslad (go build
// -overlay; the tree is not changed): it serves net/http/pprof on
// $IPSLAD_SOAK_PPROF, because ipslad's /metrics has no Go collector, so the
// soak can count goroutines and read the live heap.
const overlaySrc = `package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

// Added by bench/daemonsoak with go build -overlay; not part of ipslad.
func init() {
	if addr := os.Getenv("IPSLAD_SOAK_PPROF"); addr != "" {
		go http.ListenAndServe(addr, nil)
	}
}
`

// buildIpslad builds cmd/ipslad of the module in the working directory
// into dir, with the pprof overlay.
func buildIpslad(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(string(trimNL(out)))
	if _, err := os.Stat(filepath.Join(root, "cmd", "ipslad")); err != nil {
		return "", fmt.Errorf("run from the ipslad module (or give -ipslad PATH): %v", err)
	}
	src := filepath.Join(dir, "soak_pprof.go")
	if err := os.WriteFile(src, []byte(overlaySrc), 0o644); err != nil {
		return "", err
	}
	ov := filepath.Join(dir, "overlay.json")
	target := filepath.Join(root, "cmd", "ipslad", "zz_daemonsoak_pprof.go")
	if err := os.WriteFile(ov, fmt.Appendf(nil, `{"Replace":{%q:%q}}`, target, src), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ipslad")
	cmd := exec.CommandContext(ctx, "go", "build", "-overlay", ov, "-o", bin, "./cmd/ipslad")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/ipslad: %v\n%s", err, out)
	}
	return bin, nil
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
