package main

import (
	"context"
	"errors"
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

// resyncEvery is how often the kernel is re-read to put back a route of
// ours that someone deleted by hand.
const resyncEvery = 5 * time.Second

// daemon wires the stages: scheduler results feed the track table, whose
// changes recompute the desired routes that the route manager installs.
// One goroutine (run) owns every state change; show requests read
// snapshots.
type daemon struct {
	opt     options
	log     *slog.Logger
	routes  *route.Manager
	sched   *sla.Scheduler
	table   *track.Table
	results chan sla.Result
	reloads chan chan error
	hup     <-chan os.Signal // SIGHUP: reload (nil in tests)
	started time.Time

	mu  sync.Mutex // protects cfg
	cfg *config.Config
}

// newDaemon wires a daemon to a kernel (route.NewNetlink in production)
// and a probe factory (sla.NewProbe in production).
func newDaemon(o options, cfg *config.Config, log *slog.Logger, k route.Kernel, newProbe func(sla.Operation) (sla.Probe, error)) *daemon {
	d := &daemon{
		opt:     o,
		log:     log,
		routes:  route.NewManager(k, log),
		table:   track.NewTable(),
		results: make(chan sla.Result, 1024),
		reloads: make(chan chan error),
		cfg:     cfg,
		started: time.Now(),
	}
	d.sched = sla.NewScheduler(d.results, newProbe, log)
	return d
}

func (d *daemon) config() *config.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

func (d *daemon) run(ctx context.Context) error {
	cfg := d.config()

	// Adopt the routes a previous run left, and presume Up the objects that
	// vouched for them, so a restart with healthy servers changes nothing.
	adopted, err := d.routes.Adopt()
	if err != nil {
		return err
	}
	presume := presumeUp(cfg, adopted)
	if len(adopted) > 0 {
		d.log.Info("adopted routes from a previous run", "routes", len(adopted), "objects presumed up", len(presume))
	}
	d.table.Set(cfg.Tracks, time.Now(), presume)
	d.apply()
	for _, err := range d.sched.Set(cfg.Operations) {
		d.log.Error("ip sla not started", "err", err)
	}

	schedCtx, stopSched := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); d.sched.Run(schedCtx) }()
	defer func() { stopSched(); wg.Wait() }()

	if d.opt.socket != "" {
		srv, err := listenControl(d.opt.socket, d)
		if err != nil {
			return err
		}
		defer srv.Close()
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
			d.report(d.table.Observe(r, time.Now()))
		case <-delay.C:
			d.report(d.table.Advance(time.Now()))
		case <-resync.C:
			if err := d.routes.Resync(); err != nil {
				d.log.Warn("route resync", "err", err)
			}
		case <-d.hup:
			d.reload()
		case reply := <-d.reloads:
			reply <- d.reload()
		}
	}
}

// report logs each change as IOS does and recomputes the routes.
func (d *daemon) report(changes []track.Change) {
	if len(changes) == 0 {
		return
	}
	for _, c := range changes {
		d.log.Info(c.String(), "track", c.Object.ID, "from", c.From.String(), "to", c.To.String())
	}
	d.apply()
}

// apply installs the routes the current track states call for.
func (d *daemon) apply() {
	desired := route.Desired(d.config().Routes, d.table.Up)
	if err := d.routes.Set(desired); err != nil {
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
	for _, w := range cfg.Warnings {
		d.log.Warn(w.Error())
	}
	now := time.Now()
	old := d.config()
	for _, err := range d.sched.Set(cfg.Operations) {
		d.log.Error("ip sla not started", "err", err)
	}
	d.table.Set(cfg.Tracks, now, nil)
	// Objects whose operation changed or went away lose its last result.
	for _, op := range old.Operations {
		if nw, ok := findOp(cfg, op.ID); !ok || !op.Equal(nw) {
			d.report(d.table.Forget(op.ID, now))
		}
	}
	d.mu.Lock()
	d.cfg = cfg
	d.mu.Unlock()
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
// installed (adopted), whose operation is scheduled to run: they start Up.
func presumeUp(cfg *config.Config, adopted []route.Route) map[int]bool {
	active := map[int]bool{}
	for _, op := range cfg.Operations {
		active[op.ID] = op.Schedule.Active()
	}
	slaOf := map[int]int{}
	for _, t := range cfg.Tracks {
		slaOf[t.ID] = t.SLA
	}
	out := map[int]bool{}
	for _, s := range cfg.Routes {
		if s.Track == 0 || !active[slaOf[s.Track]] {
			continue
		}
		if installedVia(adopted, s.Prefix, s.Distance, s.NextHop, s.Interface) {
			out[s.Track] = true
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
