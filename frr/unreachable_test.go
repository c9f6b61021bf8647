package frr_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipslad/ipslad/frr"
	"github.com/ipslad/ipslad/route"
)

// TestUnreachable: a vtysh run that does not complete (nonzero exit as
// when no FRR daemon runs, a missing binary, no answer within the timeout)
// is frr.ErrUnreachable through every layer up to route.Manager; an answer
// in which FRR refuses a command is not.
func TestUnreachable(t *testing.T) {
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := route.Route{Prefix: netip.MustParsePrefix("192.0.2.53/32"), Metric: 1,
		NextHops: []route.NextHop{{Gateway: netip.MustParseAddr("10.0.0.10")}}}
	tests := []struct {
		name        string
		path        string
		timeout     time.Duration
		unreachable bool
	}{
		{"no daemon", script("down", `echo "Exiting: failed to connect to any daemons." >&2; exit 1`), 0, true},
		{"staticd not running", script("nostaticd", `case "$*" in *"configure terminal"*) echo "staticd is not running" >&2; exit 1;; esac`), 0, true},
		{"missing binary", filepath.Join(dir, "nonexistent"), 0, true},
		{"hangs", script("hang", "exec sleep 10"), 100 * time.Millisecond, true},
		{"refuses the command", script("refuse", `case "$*" in *"configure terminal"*) echo "% Unknown command: ip route";; esac`), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat("/bin/sh"); err != nil {
				t.Skip("no /bin/sh")
			}
			cli, err := frr.Vtysh(tt.path, "", tt.timeout)
			if err != nil {
				t.Fatal(err)
			}
			b, err := frr.NewBackend(cli, frr.DefaultTags)
			if err != nil {
				t.Fatal(err)
			}
			k := frr.NewKernel(b)
			err = route.NewManager(k, nil).Set([]route.Route{r})
			if err == nil {
				t.Fatal("Set succeeded")
			}
			if got := errors.Is(err, frr.ErrUnreachable); got != tt.unreachable {
				t.Errorf("errors.Is(%q, ErrUnreachable) = %v, want %v", err, got, tt.unreachable)
			}
			_, lerr := route.NewManager(k, nil).Adopt()
			if want := tt.name != "staticd not running" && tt.name != "refuses the command"; (lerr != nil) != want ||
				lerr != nil && !errors.Is(lerr, frr.ErrUnreachable) {
				t.Errorf("Adopt: %v (want an unreachable error: %v)", lerr, want)
			}
			if _, err := b.Set(context.Background(), nil); tt.unreachable && tt.name != "staticd not running" && !errors.Is(err, frr.ErrUnreachable) {
				t.Errorf("Backend.Set: %v, want unreachable", err)
			}
		})
	}
}

// TestUnreachableNotRetriedInPass: after one unreachable answer, the other
// routes of the same pass are not tried (a hung FRR would otherwise hold
// the daemon's loop for a timeout per route); the next List tries again.
func TestUnreachableNotRetriedInPass(t *testing.T) {
	var calls int
	down := true
	cli := func(_ context.Context, args ...string) (string, error) {
		calls++
		if down {
			return "", fmt.Errorf("vtysh: signal: killed: %w", frr.ErrUnreachable)
		}
		return "", nil
	}
	b, err := frr.NewBackend(cli, frr.DefaultTags)
	if err != nil {
		t.Fatal(err)
	}
	k := frr.NewKernel(b)
	var routes []route.Route
	for i := range 5 {
		routes = append(routes, route.Route{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), 32), Metric: 1,
			NextHops: []route.NextHop{{Gateway: netip.MustParseAddr("10.0.0.10")}}})
	}
	if err := route.NewManager(k, nil).Set(routes); !errors.Is(err, frr.ErrUnreachable) {
		t.Fatalf("Set: %v, want unreachable", err)
	}
	if calls != 1 {
		t.Errorf("vtysh ran %d times for 5 routes of one pass, want once", calls)
	}
	down = false
	calls = 0
	if _, err := k.List(); err != nil {
		t.Fatalf("List after FRR came back: %v", err)
	}
	if calls == 0 {
		t.Error("List did not try vtysh again")
	}
	if err := k.Replace(routes[0]); errors.Is(err, frr.ErrUnreachable) {
		t.Errorf("Replace after a good List: %v", err)
	}
}
