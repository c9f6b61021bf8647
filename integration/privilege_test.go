package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// nobody is the unprivileged user and group the test runs ipslad as.
const nobody = 65534

// startInNetns starts cmd with the network namespace ns (from ip netns)
// without `ip netns exec`, which needs root: the command is forked from a
// thread that has joined ns, so it keeps its own credentials and
// capabilities (cmd.SysProcAttr).
func startInNetns(t *testing.T, ns string, cmd *exec.Cmd) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		// The thread joins ns and is never given back: it ends with this
		// goroutine, so no other goroutine runs in ns.
		runtime.LockOSThread()
		f, err := os.Open(filepath.Join("/run/netns", ns))
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		errc <- cmd.Start()
	}()
	if err := <-errc; err != nil {
		t.Fatalf("starting %s in %s: %v", cmd.Path, ns, err)
	}
}

// TestLeastPrivilege runs the real ipslad as uid/gid 65534 with only
// CAP_NET_ADMIN and CAP_NET_RAW (ambient capabilities, as a systemd unit
// with User= and AmbientCapabilities= gives them): it probes the real nsd,
// installs the tracked route in the real kernel, serves the control socket
// from a directory that user owns, warns that its configuration file is
// world-writable, and withdraws the route on SIGTERM. Without the
// capabilities it logs that it cannot work, and nothing is installed.
func TestLeastPrivilege(t *testing.T) {
	skipUnlessRoot(t)
	requireBinaries(t, "ip", "nsd")
	bin := buildIpslad(t)
	l := newLab(t)
	r, d := l.netns("r", true), l.netns("d", false)
	l.link(r, routerToDNS+"/24", d, dnsUnicast+"/24")
	startNSD(t, d, "", []string{dnsUnicast}, seedZone(d))

	dir := readableTempDir(t)
	cfg := filepath.Join(dir, "ipslad.cfg")
	if err := os.WriteFile(cfg, []byte(seedIpsladConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	// World-writable on purpose: ipslad must say so (and still run).
	if err := os.Chmod(cfg, 0o666); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "run")
	if err := os.Mkdir(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(runDir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(runDir, "ipslad.sock")

	var out syncBuffer
	cmd := exec.Command(bin, "-f", cfg, "--socket", sock)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential:  &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}},
		AmbientCaps: []uintptr{unix.CAP_NET_ADMIN, unix.CAP_NET_RAW},
	}
	startInNetns(t, r, cmd)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("ipslad output:\n%s", out.String())
		}
	})

	// What the process really holds.
	status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Uid:\t65534\t65534\t65534\t65534",
		"Gid:\t65534\t65534\t65534\t65534",
		"CapEff:\t0000000000003000", // CAP_NET_ADMIN (12) and CAP_NET_RAW (13), nothing else
		"CapPrm:\t0000000000003000",
	} {
		if !strings.Contains(string(status), want+"\n") {
			t.Errorf("ipslad's /proc status has no %q:\n%s", want, status)
		}
	}

	inKernel := func() bool {
		kr, ok := kernelRoute(r, anycastPrefix)
		return ok && kr.Protocol == "200" && kr.Gateway == dnsUnicast
	}
	if _, ok := waitFor(t, 15*time.Second, 20*time.Millisecond, inKernel); !ok {
		t.Fatalf("unprivileged ipslad did not install %s:\n%s", anycastPrefix, mustRun(t, "ip", "-n", r, "route"))
	}
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatalf("control socket: %v", err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != nobody || fi.Mode().Perm() != 0o660 {
		t.Errorf("control socket owned by %d, mode %04o; want %d, 0660", st.Uid, fi.Mode().Perm(), nobody)
	}
	if got := control(t, sock, "show track brief"); !strings.Contains(got, "101") {
		t.Errorf("show track brief: %q", got)
	}
	if got := control(t, sock, "reload"); got != "Configuration reloaded.\n" {
		t.Errorf("reload (as root, over the socket): %q", got)
	}
	if !strings.Contains(out.String(), "configuration file "+cfg+" is world-writable (mode 0666)") {
		t.Errorf("no warning about the world-writable configuration file:\n%s", out.String())
	}

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		done <- err // for the cleanup
		if err != nil {
			t.Errorf("ipslad exited with %v after SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ipslad did not exit after SIGTERM")
	}
	if inKernel() {
		t.Error("route still in the kernel after the unprivileged ipslad stopped")
	}

	// Without the capabilities the same user cannot install the route, and
	// ipslad says why at start instead of running as if all were well.
	var out2 syncBuffer
	bare := exec.Command(bin, "-f", cfg, "--socket", "")
	bare.Stdout, bare.Stderr = &out2, &out2
	bare.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	startInNetns(t, r, bare)
	defer func() { bare.Process.Kill(); bare.Wait() }()
	if _, ok := waitFor(t, 10*time.Second, 20*time.Millisecond, func() bool {
		return strings.Contains(out2.String(), "operation not permitted")
	}); !ok {
		t.Fatalf("ipslad without capabilities: no route error:\n%s", out2.String())
	}
	if !strings.Contains(out2.String(), "running without CAP_NET_ADMIN") {
		t.Errorf("ipslad without capabilities did not say so:\n%s", out2.String())
	}
	if inKernel() {
		t.Error("route installed without CAP_NET_ADMIN: is the test running what it thinks?")
	}
}
