package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/ipslad/ipslad/config"
	"github.com/ipslad/ipslad/frr"
	"github.com/ipslad/ipslad/route"
)

// staticsAware is a route backend that needs the configured statics (the
// FRR backend, for their tags).
type staticsAware interface {
	SetStatics([]route.Static)
}

// frrBackend returns the FRR backend the configuration asks for.
func frrBackend(o options, be config.RouteBackend) (*frr.Backend, error) {
	cli, err := frr.Vtysh(o.vtysh, be.Pathspace, frr.DefaultTimeout)
	if err != nil {
		return nil, err
	}
	return frr.NewBackend(cli, frr.Tags{Low: be.TagLow, High: be.TagHigh})
}

// routeKernel returns where the daemon puts its routes: k (the Linux
// kernel), or FRR's staticd with `ipslad route backend frr`.
func routeKernel(o options, cfg *config.Config, k route.Kernel) (route.Kernel, error) {
	if !cfg.RouteBackend.FRR {
		return k, nil
	}
	b, err := frrBackend(o, cfg.RouteBackend)
	if err != nil {
		return nil, err
	}
	fk := frr.NewKernel(b)
	fk.SetStatics(cfg.Routes)
	return fk, nil
}

// flushFRR removes ipslad's statics from FRR when the configuration file
// (ipslad --flush -f FILE) uses the FRR backend.
func flushFRR(o options, stderr io.Writer) int {
	cfg, err := config.Load(o.file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if !cfg.RouteBackend.FRR {
		return 0
	}
	b, err := frrBackend(o, cfg.RouteBackend)
	if err != nil {
		fmt.Fprintf(stderr, "ipslad: flush: %v\n", err)
		return 1
	}
	if _, err := b.Flush(context.Background()); err != nil {
		fmt.Fprintf(stderr, "ipslad: flush: %v\n", err)
		return 1
	}
	return 0
}

// frrConfig is `ipslad frr-config -f FILE [-asn N]`: it prints the FRR
// configuration that exports exactly the configuration's tracked prefixes.
func frrConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ipslad frr-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "configuration `file`")
	asn := fs.Uint("asn", 0, "BGP `AS` number of the router bgp block (0: print the redistribute lines as comments)")
	name := fs.String("name", "IPSLAD", "`prefix` of the prefix-list and route-map names")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *file == "" || fs.NArg() > 0 || *asn > 4294967295 {
		fmt.Fprintln(stderr, "usage: ipslad frr-config -f FILE [-asn N] [-name PREFIX]")
		return 2
	}
	cfg, err := config.Load(*file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var prefixes []netip.Prefix
	tags := map[uint32]bool{}
	for _, s := range cfg.Routes {
		if s.Track != 0 {
			prefixes = append(prefixes, s.Prefix)
			tags[s.Tag] = true
		}
	}
	if len(prefixes) == 0 {
		fmt.Fprintf(stderr, "ipslad frr-config: %s has no tracked route\n", *file)
		return 1
	}
	source, tag := "kernel", uint32(0)
	if cfg.RouteBackend.FRR {
		source = "static"
		if len(tags) == 1 {
			for t := range tags {
				tag = t
			}
		}
	}
	out, err := frr.Snippet(prefixes, source, tag, uint32(*asn), *name)
	if err != nil {
		fmt.Fprintf(stderr, "ipslad frr-config: %v\n", err)
		return 1
	}
	io.WriteString(stdout, out)
	return 0
}

// showFRR is `show ip route track-table frr` (ipslad extension): for each
// tracked static, its track state and what FRR made of its prefix: in
// zebra's RIB, selected, installed in the kernel, and advertised by bgpd.
func showFRR(d *daemon, _ []int) (reply, error) {
	fk, ok := d.kernel.(*frr.Kernel)
	if !ok {
		return reply{}, fmt.Errorf("%% FRR read-back needs `ipslad route backend frr`")
	}
	type row struct {
		Route      string `json:"route"`
		Track      int    `json:"track"`
		State      string `json:"state"`
		InRIB      bool   `json:"in_rib"`
		Selected   bool   `json:"selected"`
		Installed  bool   `json:"installed"`
		Protocol   string `json:"protocol,omitempty"`
		Advertised bool   `json:"advertised"`
	}
	var tracked []route.Static
	var prefixes []netip.Prefix
	for _, s := range d.config().Routes {
		if s.Track != 0 {
			tracked = append(tracked, s)
			prefixes = append(prefixes, s.Prefix)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*frr.DefaultTimeout)
	defer cancel()
	st, err := fk.Backend().State(ctx, prefixes)
	if err != nil {
		return reply{}, fmt.Errorf("%% reading FRR: %v", err)
	}
	rows := make([]row, len(tracked))
	for i, s := range tracked {
		state := "down"
		if d.table.Up(s.Track) {
			state = "up"
		}
		p := st[i]
		rows[i] = row{s.String(), s.Track, state, p.InRIB, p.Selected, p.Installed, p.Protocol, p.Advertised}
	}
	return reply{func(w io.Writer) {
		yes := func(b bool, word string) string {
			if b {
				return word
			}
			return "not " + word
		}
		for _, r := range rows {
			fmt.Fprintf(w, " %s state is [%s]\n", r.Route, r.State)
			if !r.InRIB {
				fmt.Fprintf(w, "   zebra: not in the RIB; bgp: %s\n", yes(r.Advertised, "advertised"))
				continue
			}
			fmt.Fprintf(w, "   zebra: %s, %s, %s; bgp: %s\n", r.Protocol, yes(r.Selected, "selected"),
				yes(r.Installed, "installed"), yes(r.Advertised, "advertised"))
		}
	}, rows}, nil
}

// The route backend's retries while it is unreachable: the first a second
// after the failure, then doubling up to 30 s.
const (
	backendRetryMin = time.Second
	backendRetryMax = 30 * time.Second
)

// backendHealth follows whether the FRR route backend answers. While it
// does not (FRR or staticd not running, vtysh hung: frr.ErrUnreachable),
// the daemon sends it nothing but its own retries, with capped exponential
// backoff; the outage is logged once when it starts and once when it ends.
// The event loop changes it; metrics and show commands read Status.
type backendHealth struct {
	name  string
	timer *time.Timer // the next retry (event loop only)

	mu       sync.Mutex // protects the fields below
	up       bool
	since    time.Time     // of the current state
	failures uint64        // failed attempts ever (a counter)
	attempts int           // failed attempts in the current outage
	lastErr  string        // of the current outage
	delay    time.Duration // before the next retry
	next     time.Time     // of the next retry, while down
	retrying bool          // a retry runs: it may talk to the backend
}

// backendStatus is a snapshot of backendHealth.
type backendStatus struct {
	Backend   string    `json:"backend"`
	Up        bool      `json:"up"`
	Since     time.Time `json:"since"`
	Failures  uint64    `json:"failures"`
	Attempts  int       `json:"failed_attempts,omitempty"` // in the current outage
	LastError string    `json:"last_error,omitempty"`
	NextRetry time.Time `json:"next_retry,omitzero"`
}

func newBackendHealth(name string, now time.Time) *backendHealth {
	return &backendHealth{name: name, up: true, since: now}
}

// fail records a failed attempt at now. It reports whether it starts an
// outage, and how long to wait before the next attempt: the minimum after
// the first failure, twice the last wait (capped) after each failed retry.
func (h *backendHealth) fail(now time.Time, err error) (first bool, delay time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures++
	h.lastErr = err.Error()
	if h.up {
		h.up, h.since, h.attempts, h.delay = false, now, 0, backendRetryMin
		first = true
	} else {
		h.delay = min(2*h.delay, backendRetryMax)
	}
	h.attempts++
	h.next = now.Add(h.delay)
	return first, h.delay
}

// ok records that the backend answered at now. It reports whether that
// ends an outage, how long the outage lasted and how many attempts failed.
func (h *backendHealth) ok(now time.Time) (recovered bool, down time.Duration, attempts int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.up {
		return false, 0, 0
	}
	down, attempts = now.Sub(h.since), h.attempts
	h.up, h.since, h.attempts, h.lastErr, h.next = true, now, 0, "", time.Time{}
	return true, down, attempts
}

// waiting reports whether the backend is down and no retry runs: then
// nothing but the retries talks to it.
func (h *backendHealth) waiting() bool {
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.up && !h.retrying
}

func (h *backendHealth) setRetrying(b bool) {
	h.mu.Lock()
	h.retrying = b
	h.mu.Unlock()
}

// Status returns a snapshot.
func (h *backendHealth) Status() backendStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	return backendStatus{Backend: h.name, Up: h.up, Since: h.since, Failures: h.failures,
		Attempts: h.attempts, LastError: h.lastErr, NextRetry: h.next}
}

// retryC is the channel of the backend's retry timer, nil when there is
// none (the kernel backend, or no outage yet).
func (d *daemon) retryC() <-chan time.Time {
	if d.backend == nil || d.backend.timer == nil {
		return nil
	}
	return d.backend.timer.C
}

// backendFailed handles an error of the route backend. When it is the
// backend being unreachable it records a failed attempt, logs the outage
// once (when it starts), schedules the next retry and returns true; any
// other error (or none) it leaves to the caller.
func (d *daemon) backendFailed(err error) bool {
	if d.backend == nil || err == nil || !errors.Is(err, frr.ErrUnreachable) {
		return false
	}
	d.backendFail(err)
	return true
}

func (d *daemon) backendFail(err error) {
	h := d.backend
	first, delay := h.fail(time.Now(), err)
	if first {
		d.log.Error("route backend unreachable: routes are not programmed; retrying with backoff",
			"backend", h.name, "err", err, "retry in", delay)
	} else {
		d.log.Debug("route backend still unreachable", "backend", h.name, "err", err, "retry in", delay)
	}
	if h.timer == nil {
		h.timer = time.NewTimer(delay)
	} else {
		h.timer.Reset(delay)
	}
}

// backendAnswered records that the backend answered a request; at the end
// of an outage it logs the recovery and stops the retries.
func (d *daemon) backendAnswered() {
	h := d.backend
	if h == nil {
		return
	}
	if recovered, down, attempts := h.ok(time.Now()); recovered {
		if h.timer != nil {
			h.timer.Stop()
		}
		d.log.Info("route backend reachable again; routes programmed", "backend", h.name,
			"down for", down.Round(time.Millisecond), "failed attempts", attempts, "routes", len(d.routes.Installed()))
	}
}

// retryBackend is one retry during an outage: it reads what the backend
// holds (taking it as installed, as at start) and applies the desired
// routes. The outage ends when FRR answers both (a listing it answers with
// another error is handled as at a resync).
func (d *daemon) retryBackend() {
	h := d.backend
	h.setRetrying(true)
	defer h.setRetrying(false)
	if err := d.routes.Refresh(); err != nil {
		if d.backendFailed(err) {
			return
		}
		// FRR answered with another error: as at a resync, the apply
		// decides whether the outage is over.
		d.log.Warn("route resync", "err", err)
	}
	d.apply()
}

// writeBackendStatus ends `show ip route track-table` with the FRR
// backend's state (ipslad extension; nothing with the kernel backend):
//
//	Route backend frr is up
//	Route backend frr is DOWN for 00:00:12: 5 failed attempts, next retry in 4 secs
//	  Last error: vtysh: exit status 1: Exiting: failed to connect to any daemons.
func writeBackendStatus(w io.Writer, h *backendHealth, now time.Time) {
	if h == nil {
		return
	}
	st := h.Status()
	if st.Up {
		fmt.Fprintf(w, "Route backend %s is up\n", st.Backend)
		return
	}
	next := max(st.NextRetry.Sub(now), 0).Round(time.Second)
	fmt.Fprintf(w, "Route backend %s is DOWN for %s: %d failed attempts, next retry in %d secs\n",
		st.Backend, hhmmss(now.Sub(st.Since)), st.Attempts, int(next/time.Second))
	fmt.Fprintf(w, "  Last error: %s\n", strings.ReplaceAll(st.LastError, "\n", "; "))
}

// hhmmss formats d as IOS does for durations under a day: hh:mm:ss.
func hhmmss(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}
