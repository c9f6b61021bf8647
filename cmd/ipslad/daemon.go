package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/ipslad/ipslad/config"
	"github.com/ipslad/ipslad/route"
	"github.com/ipslad/ipslad/sla"
	"github.com/ipslad/ipslad/track"
)

// resyncEvery is how often the kernel is re-read and the routes
// re-evaluated as a safety net: kernel notifications (routes.go) put back a
// route of ours deleted by hand, and re-evaluate next hops, at once.
const resyncEvery = 30 * time.Second

// daemon wires the stages: scheduler results feed the track table, whose
// changes recompute the desired routes that the route manager installs.
// One goroutine (run) owns every state change; show requests read
// snapshots.
type daemon struct {
	opt     options
	log     *slog.Logger
	routes  *route.Manager
	kernel  route.Kernel
	res     route.Resolver // nil: every next hop counts as reachable
	status  []route.Status // of the last apply, for logging changes
	lastErr string         // of the last apply, logged once
	sched   *sla.Scheduler
	table   *track.Table
	tracks  trackSource // interface and route events for track objects (nil: none)
	results chan sla.Result
	reloads chan chan error
	hup     <-chan os.Signal // SIGHUP: reload (nil in tests)
	started time.Time
	metrics *metrics    // Prometheus view and reload status (metrics.go)
	control chan func() // control commands that change state run here (control.go)

	backend *backendHealth // FRR route backend: reachability and retries (frr.go); nil with the kernel

	mu      sync.Mutex // protects cfg and desired
	cfg     *config.Config
	desired []route.Route // what the last apply asked the kernel for
}

// newDaemon wires a daemon to a kernel (route.NewNetlink in production)
// and a probe factory (sla.NewProbe in production).
func newDaemon(o options, cfg *config.Config, log *slog.Logger, k route.Kernel, newProbe func(sla.Operation) (sla.Probe, error)) *daemon {
	d := &daemon{
		opt:     o,
		log:     log,
		routes:  route.NewManager(k, log),
		kernel:  k,
		table:   track.NewTable(),
		results: make(chan sla.Result, resultsBuffer),
		reloads: make(chan chan error),
		control: make(chan func()),
		cfg:     cfg,
		started: time.Now(),
	}
	d.sched = sla.NewScheduler(d.results, newProbe, log)
	if cfg.RouteBackend.FRR {
		d.backend = newBackendHealth("frr", d.started)
	}
	d.metrics = newMetrics(d, nil)
	d.res, _ = k.(route.Resolver)
	return d
}

// lastDesired returns the routes the last apply asked for (with next-hop
// resolution), for metrics.
func (d *daemon) lastDesired() []route.Route {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.desired
}

func (d *daemon) config() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

func (d *daemon) run(ctx context.Context) error {
	cfg := d.config()

	// The listeners first: the control socket is also the single-instance
	// check, and a daemon that cannot start must fail before it has touched
	// (adopted, changed or removed) a single route.
	if d.opt.socket != "" {
		srv, err := listenControl(d.opt.socket, d.opt.socketGroup, d)
		if err != nil {
			return err
		}
		defer srv.Close()
	}
	if d.opt.metricsListen != "" {
		srv, err := serveMetrics(d.opt.metricsListen, d.metrics)
		if err != nil {
			return err
		}
		defer srv.Close()
	}

	// Adopt the routes a previous run left, and presume Up the objects that
	// vouched for them, so a restart with healthy servers changes nothing.
	// An unreachable FRR backend is retried with backoff (frr.go).
	adopted, err := d.routes.Adopt()
	if err != nil && !d.backendFailed(err) {
		return err
	}
	presume := presumeUp(cfg, adopted)
	if len(adopted) > 0 {
		d.log.Info("adopted routes from a previous run", "routes", len(adopted), "objects presumed up", len(presume))
	}
	d.report(d.table.Set(cfg.Tracks, time.Now(), presume))
	d.watchRoutes()
	d.apply()
	for _, err := range d.sched.Set(cfg.Operations) {
		d.log.Error("ip sla not started", "err", err)
	}

	schedCtx, stopSched := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); d.sched.Run(schedCtx) }()
	defer func() { stopSched(); wg.Wait() }()

	// systemd (Type=notify): ready now; the watchdog is fed from this
	// loop, so a stuck loop stops feeding it (notify.go).
	sd := newNotifier()
	sd.notify("READY=1")
	defer sd.notify("STOPPING=1")
	watchdog, stopWatchdog := watchdogTicks()
	defer stopWatchdog()

	events := make(chan route.Event, 256)
	if w, ok := d.kernel.(watcher); ok {
		wg.Add(1)
		go func() { defer wg.Done(); watchKernel(schedCtx, w, events, d) }()
	}

	trackUpdates := make(chan route.TrackUpdate, 256)
	if d.tracks != nil {
		wg.Add(1)
		go func() { defer wg.Done(); runTrackSource(schedCtx, d.tracks, trackUpdates, d.log) }()
	}

	resync := time.NewTicker(resyncEvery)
	defer resync.Stop()
	delay := time.NewTimer(time.Hour)
	defer delay.Stop()

	d.log.Info("ipslad running", "config", d.opt.file, "operations", len(cfg.Operations),
		"tracks", len(cfg.Tracks), "routes", len(cfg.Routes), "route-protocol", d.opt.protocol)
	for {
		if next, ok := d.table.Next(); ok {
			delay.Reset(time.Until(next))
		} else {
			delay.Reset(time.Hour)
		}
		select {
		case <-ctx.Done():
			return d.shutdown()
		case r := <-d.results:
			// With the results already waiting: one recomputation of the
			// routes (which costs in proportion to them) serves every
			// change of a burst, such as a server failing under many
			// operations, instead of one recomputation each.
			changes := d.observe(r, nil)
			for range maxResultBatch {
				select {
				case r := <-d.results:
					changes = d.observe(r, changes)
					continue
				default:
				}
				break
			}
			d.report(changes)
		case <-watchdog:
			sd.notify("WATCHDOG=1")
		case f := <-d.control:
			f()
		case <-delay.C:
			d.report(d.table.Advance(time.Now()))
		case u := <-trackUpdates:
			d.report(d.trackUpdate(u, time.Now()))
		case e := <-events:
			d.kernelChanged(e, events)
		case <-resync.C:
			if d.backend.waiting() {
				continue // its own retries run
			}
			if err := d.routes.Refresh(); err != nil && !d.backendFailed(err) {
				d.log.Warn("route resync", "err", err)
			}
			d.apply()
		case <-d.retryC():
			d.retryBackend()
		case <-d.hup:
			d.metrics.reloaded(d.reload(), d.config().Operations)
		case reply := <-d.reloads:
			err := d.reload()
			d.metrics.reloaded(err, d.config().Operations)
			reply <- err
		}
	}
}

// resultsBuffer is how many results may wait for the event loop. The
// probes hand over their results there (the socket reader among them), so
// a loop busy with a burst of changes must not stall them: a stalled
// reader takes replies late and turns healthy runs into Over threshold or
// Timeout. 16,384 results (about 2 MB) absorb more than a second of
// 10,000 operations.
const resultsBuffer = 16384

// maxResultBatch bounds the results taken in one go, so that other events
// (control commands, kernel changes) are not held up by a flood.
const maxResultBatch = 256

// observe feeds one result to the track table and appends the changes it
// causes to changes.
func (d *daemon) observe(r sla.Result, changes []track.Change) []track.Change {
	if !d.sched.Current(r) {
		return changes // its operation was changed, removed or restarted since
	}
	d.metrics.observe(r)
	return append(changes, d.table.Observe(r, time.Now())...)
}

// report logs each change as IOS does and recomputes the routes.
func (d *daemon) report(changes []track.Change) {
	if len(changes) == 0 {
		return
	}
	d.logChanges(changes)
	d.apply()
}

// logChanges logs each change as IOS does (%TRACK-6-STATE).
func (d *daemon) logChanges(changes []track.Change) {
	for _, c := range changes {
		d.log.Info(c.String(), "track", c.Object.ID, "from", c.From.String(), "to", c.To.String())
	}
}

// apply installs the routes the current track states and next hops call
// for. A route the kernel refuses is retried on the next change or resync;
// the same failure is logged once.
func (d *daemon) apply() {
	if sa, ok := d.kernel.(staticsAware); ok {
		sa.SetStatics(d.config().Routes)
	}
	desired, status := route.Evaluate(d.config().Routes, d.table.Up, d.res)
	d.mu.Lock()
	d.desired = desired
	d.mu.Unlock()
	d.logStatus(status)
	if d.backend.waiting() {
		return // an unreachable backend gets only its retries (frr.go)
	}
	err := d.routes.Set(desired)
	if d.backendFailed(err) {
		return
	}
	d.backendAnswered()
	switch {
	case err == nil:
		d.lastErr = ""
	case err.Error() != d.lastErr:
		d.lastErr = err.Error()
		d.log.Error("route update incomplete; will retry", "err", err)
	}
}

// reload reads the file again. A file with errors changes nothing; a good
// one is applied as a difference: unchanged operations and objects keep
// running with their state, and unchanged routes are not touched.
func (d *daemon) reload() error {
	cfg, err := config.Load(d.opt.file)
	if err != nil {
		d.log.Error("reload refused; keeping the running configuration", "file", d.opt.file, "err", err)
		return err
	}
	if old := d.config().RouteBackend; cfg.RouteBackend != old {
		err := fmt.Errorf("%s: the route backend changed (%q to %q); that needs a restart", d.opt.file, old.String(), cfg.RouteBackend.String())
		d.log.Error("reload refused; keeping the running configuration", "file", d.opt.file, "err", err)
		return err
	}
	for _, w := range cfg.Warnings {
		d.log.Warn(w.Error())
	}
	now := time.Now()
	old := d.config()
	for _, err := range d.sched.Set(cfg.Operations) {
		d.log.Error("ip sla not started", "err", err)
	}
	// The new configuration goes in whole before any route is computed,
	// so routes are never judged by new tracks with old statics.
	d.mu.Lock()
	d.cfg = cfg
	d.mu.Unlock()
	d.logChanges(d.table.Set(cfg.Tracks, now, nil))
	d.watchRoutes()
	// Objects whose operation changed or went away lose its last result.
	for _, op := range old.Operations {
		if nw, ok := findOp(cfg, op.ID); !ok || !op.Equal(nw) {
			d.logChanges(d.table.Forget(op.ID, now))
		}
	}
	d.apply()
	d.log.Info("configuration reloaded", "file", d.opt.file)
	return nil
}

func findOp(c *config.Config, id int) (sla.Operation, bool) {
	for _, op := range c.Operations {
		if op.ID == id {
			return op, true
		}
	}
	return sla.Operation{}, false
}

func (d *daemon) shutdown() error {
	if d.opt.keepRoutes {
		d.log.Info("stopping; routes kept in place (-keep-routes)", "routes", len(d.routes.Installed()))
		return nil
	}
	n := len(d.routes.Installed())
	if err := d.routes.Set(nil); err != nil {
		return errors.Join(errors.New("withdrawing routes"), err)
	}
	d.log.Info("stopped; routes withdrawn", "routes", n)
	return nil
}

// presumeUp returns the track objects that vouch for a route already
// installed (adopted) and can confirm it: an ip sla object whose operation
// is scheduled to run, or any other type (interface, route, stub and list
// objects are judged afresh at once). A presumed boolean list presumes its
// members too (track.Presume), except ip sla ones that never run.
func presumeUp(cfg *config.Config, adopted []route.Route) map[int]bool {
	active := map[int]bool{}
	for _, op := range cfg.Operations {
		active[op.ID] = op.Schedule.Active()
	}
	obj := map[int]track.Object{}
	for _, t := range cfg.Tracks {
		obj[t.ID] = t
	}
	confirms := func(id int) bool {
		t, ok := obj[id]
		return ok && (t.Type != track.TypeSLA || active[t.SLA])
	}
	direct := map[int]bool{}
	for _, s := range cfg.Routes {
		if s.Track == 0 || !confirms(s.Track) {
			continue
		}
		if installedVia(adopted, s.Prefix, s.Distance, s.NextHop, s.Interface) {
			direct[s.Track] = true
		}
	}
	out := map[int]bool{}
	for id := range track.Presume(cfg.Tracks, direct) {
		if confirms(id) {
			out[id] = true
		}
	}
	return out
}

func installedVia(rs []route.Route, p netip.Prefix, metric int, gw netip.Addr, dev string) bool {
	for _, r := range rs {
		if r.Prefix != p || r.Metric != metric {
			continue
		}
		for _, nh := range r.NextHops {
			if (!gw.IsValid() || nh.Gateway == gw) && (dev == "" || nh.Interface == dev) {
				return true
			}
		}
	}
	return false
}
