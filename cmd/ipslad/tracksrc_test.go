package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipslad/ipslad/config"
	"github.com/ipslad/ipslad/route"
	"github.com/ipslad/ipslad/sla"
)

func TestPresumeUpThroughLists(t *testing.T) {
	cfg, err := config.Parse("t.cfg", []byte(`ip sla 1
 dns a.example name-server 10.0.0.1
ip sla schedule 1 life forever start-time now
ip sla 2
 dns a.example name-server 10.0.0.2
track 1 ip sla 1
track 2 ip sla 2
track 3 interface eth0 line-protocol
track 4 stub-object
track 9 list boolean and
 object 1
 object 2
 object 3
 object 4 not
ip route 192.0.2.53 255.255.255.255 10.0.0.10 track 9
ip route 192.0.2.54 255.255.255.255 10.0.0.10 track 1
`))
	if err != nil {
		t.Fatal(err)
	}
	adopted := []route.Route{{Prefix: netip.MustParsePrefix("192.0.2.53/32"), Metric: 1,
		NextHops: []route.NextHop{{Gateway: netip.MustParseAddr("10.0.0.10")}}}}
	got := fmt.Sprint(presumeUp(cfg, adopted))
	// 9 vouched for an adopted route; its members 1 (scheduled) and 3 are
	// presumed with it, 2 is not (never runs), 4 is negated.
	if want := "map[1:true 3:true 9:true]"; got != want {
		t.Errorf("presumeUp = %s, want %s", got, want)
	}
}

// fakeSource is a trackSource driven by the test.
type fakeSource struct {
	watched chan []route.RouteKey
	updates chan route.TrackUpdate
}

func (f *fakeSource) WatchRoutes(keys []route.RouteKey) { f.watched <- keys }

func (f *fakeSource) Run(ctx context.Context, out chan<- route.TrackUpdate) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case u := <-f.updates:
			out <- u
		}
	}
}

func TestDaemonFeedsInterfaceAndRouteObjects(t *testing.T) {
	const src = `
track 3 interface eth0 line-protocol
track 4 ip route 10.9.0.0 255.255.0.0 reachability
track 9 list boolean and
 object 3
 object 4
ip route 192.0.2.53 255.255.255.255 10.0.0.10 track 9
`
	k := newFakeKernel()
	f := &fakeSource{watched: make(chan []route.RouteKey, 4), updates: make(chan route.TrackUpdate)}
	d, cancel, done := startDaemonWith(t, src, k, f)
	defer func() { cancel(); <-done }()
	select {
	case keys := <-f.watched:
		if len(keys) != 1 || keys[0].Prefix.String() != "10.9.0.0/16" {
			t.Fatalf("watched %v", keys)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no WatchRoutes")
	}
	f.updates <- route.TrackUpdate{Full: true, AllLinks: []route.LinkInfo{{Name: "eth0", Exists: true, Up: true}}}
	f.updates <- route.TrackUpdate{Route: &route.RouteInfo{RouteKey: route.RouteKey{Prefix: netip.MustParsePrefix("10.9.0.0/16")}, Present: true}}
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: kernel %q", what, k.String())
			}
		}
	}
	wait("route installed", func() bool { return k.String() != "" && d.table.Up(9) })
	f.updates <- route.TrackUpdate{Link: &route.LinkInfo{Name: "eth0", Exists: true, Up: false}}
	wait("route withdrawn on link down", func() bool { return k.String() == "" })
}

// startDaemonWith is startDaemon with a track source and no operations.
func startDaemonWith(t *testing.T, src string, k route.Kernel, ts trackSource) (*daemon, context.CancelFunc, chan error) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "test.cfg")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	probes := &switchable{code: map[string]sla.ReturnCode{}}
	d := newDaemon(options{file: file, protocol: 200}, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), k, probes.newProbe)
	d.tracks = ts
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	return d, cancel, done
}
