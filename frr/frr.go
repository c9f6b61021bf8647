// Package frr programs FRR's staticd through vtysh and reads back what
// zebra and bgpd made of the routes: the FRR route backend of ipslad
// (`ipslad route backend frr`). It never runs a shell: vtysh gets an argv
// list, a timeout and a pathspace (-N), and every value is validated before
// it is formatted into a command.
//
// ipslad owns exactly the FRR static routes whose tag lies in its tag range
// (Tags); it lists, adds and removes only those, so an administrator's own
// statics (with other tags, or none) are never touched.
package frr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Cli runs vtysh with args (after any options of its own, such as -N) and
// returns its standard output.
type Cli func(ctx context.Context, args ...string) (string, error)

// DefaultTimeout bounds one vtysh run. The daemon's event loop waits for
// it, so it stays well under half the systemd unit's WatchdogSec (10 s):
// a hung FRR must not get ipslad killed. A healthy vtysh answers in tens
// of milliseconds.
const DefaultTimeout = 4 * time.Second

// ErrUnreachable is matched (errors.Is) by every error of a vtysh run that
// did not complete: FRR not running ("failed to connect to any daemons"),
// staticd not running, vtysh missing, killed or silent past its timeout.
// The daemon retries these with backoff; an answer of FRR's that refuses a
// command ("%" lines) is not one of them.
var ErrUnreachable = errors.New("FRR unreachable")

// cliError is a vtysh run that did not complete; it matches ErrUnreachable.
type cliError struct{ msg string }

func (e *cliError) Error() string        { return e.msg }
func (e *cliError) Is(target error) bool { return target == ErrUnreachable }

// Vtysh returns a Cli that runs the vtysh binary at path (exec, no shell)
// with -N pathspace when pathspace is not empty, killed after timeout.
func Vtysh(path, pathspace string, timeout time.Duration) (Cli, error) {
	if pathspace != "" {
		if err := checkWord(pathspace, "pathspace"); err != nil {
			return nil, err
		}
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return func(ctx context.Context, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		argv := args
		if pathspace != "" {
			argv = append([]string{"-N", pathspace}, args...)
		}
		cmd := exec.CommandContext(ctx, path, argv...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if ctx.Err() != nil {
			return out.String(), &cliError{fmt.Sprintf("vtysh: no answer within %v", timeout)}
		}
		if err != nil {
			return out.String(), &cliError{fmt.Sprintf("vtysh: %v: %s", err, strings.TrimSpace(errb.String()+out.String()))}
		}
		return out.String(), nil
	}, nil
}

// configure runs the commands in vtysh's configuration mode, all in one
// vtysh run. vtysh exits 0 also when a command fails, so its output is
// checked: every line starting with "%" is an error.
func configure(ctx context.Context, cli Cli, cmds []string) error {
	if len(cmds) == 0 {
		return nil
	}
	args := []string{"-c", "configure terminal"}
	for _, c := range cmds {
		args = append(args, "-c", c)
	}
	out, err := cli(ctx, args...)
	if err != nil {
		return err
	}
	var errs []error
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "%") {
			errs = append(errs, fmt.Errorf("vtysh: %s", l))
		}
	}
	return errors.Join(errs...)
}

// checkWord accepts a name FRR takes as one word: letters, digits and
// "_.:@-", 1-64 characters, not starting with "-", and not "." or ".."
// (as a pathspace, another directory).
func checkWord(s, what string) error {
	if s == "" || len(s) > 64 || s[0] == '-' || s == "." || s == ".." {
		return fmt.Errorf("invalid %s %q", what, s)
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '.' || c == ':' || c == '@' || c == '-'
		if !ok {
			return fmt.Errorf("invalid %s %q: only letters, digits and _.:@- are allowed", what, s)
		}
	}
	return nil
}
