package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ipslad/ipslad/route"
	"github.com/ipslad/ipslad/sla"
	"github.com/ipslad/ipslad/track"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "devel"

// rttBuckets are the RTT histogram's upper bounds in seconds.
var rttBuckets = []float64{.001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5}

// lister reads ipslad's routes back from the kernel (a second netlink
// handle in production, so scrapes never share the event loop's socket).
type lister interface {
	List() ([]route.Route, error)
}

// metrics is the daemon's Prometheus view. Per-result series (RTT
// histogram, return codes) are fed by the event loop; everything else is
// read from snapshots at scrape time by Collect.
type metrics struct {
	d      *daemon
	kernel lister // nil: no installed-route metrics

	rtt   *prometheus.HistogramVec
	codes *prometheus.CounterVec

	mu          sync.Mutex // protects the reload fields
	reloadOK    bool
	reloadAt    time.Time
	reloads     map[string]int // by result: ok, error
	loadedAt    time.Time      // of the running configuration
	reloadError string
	seen        map[string]bool // sla labels of the per-result series

	latestCode, lateness, latestRTT, traps, elementTraps, trackUp, trackChanges,
	routeDesired, routeInstalled, reloadSuccess, reloadTime, reloadsTotal, buildInfo *prometheus.Desc
	backendUp, backendFailures *prometheus.Desc // FRR route backend only
}

func newMetrics(d *daemon, k lister) *metrics {
	m := &metrics{
		d: d, kernel: k,
		rtt: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ipslad_sla_rtt_seconds", Help: "RTT of completed IP SLA runs (OK or over threshold).",
			Buckets: rttBuckets,
		}, []string{"sla"}),
		codes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ipslad_sla_results_total", Help: "IP SLA runs by return code.",
		}, []string{"sla", "code"}),
		reloadOK: true,
		reloads:  map[string]int{},
		seen:     map[string]bool{},
		loadedAt: time.Now(),
	}
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	m.latestCode = desc("ipslad_sla_latest_return_code", "1 for the return code of the operation's latest run.", "sla", "code")
	m.lateness = desc("ipslad_sla_start_lateness_seconds", "How late the latest run started after its scheduled time.", "sla")
	m.latestRTT = desc("ipslad_sla_latest_rtt_seconds", "RTT of the latest run, when it completed.", "sla")
	// Both restart from 0 on clear ip sla counters and ip sla restart, as
	// a counter reset. The per-element one has a series for each reaction
	// with a trap action (trapOnly, trapAndTrigger) of the running
	// configuration; summed by sla it is the per-operation one.
	m.traps = desc("ipslad_sla_reaction_traps_total", "Reaction events (occurred and cleared) of the operation's reactions with a trap action.", "sla")
	m.elementTraps = desc("ipslad_sla_reaction_element_traps_total", "Reaction events (occurred and cleared) of one reaction element (react) with a trap action.", "sla", "react")
	m.trackUp = desc("ipslad_track_up", "1 when the track object is Up.", "track")
	m.trackChanges = desc("ipslad_track_changes_total", "State changes of the track object.", "track")
	m.routeDesired = desc("ipslad_route_desired", "1 when the tracked statics call for this kernel route (prefix, metric).", "prefix", "metric")
	m.routeInstalled = desc("ipslad_route_installed", "1 when the kernel holds this route of ipslad's protocol, read back from the kernel.", "prefix", "metric")
	m.reloadSuccess = desc("ipslad_config_last_reload_successful", "1 when the last reload was applied, 0 when it was refused.")
	m.reloadTime = desc("ipslad_config_last_reload_timestamp_seconds", "When the last reload was attempted (Unix time); 0 if never.")
	m.reloadsTotal = desc("ipslad_config_reloads_total", "Reload attempts by result.", "result")
	m.buildInfo = desc("ipslad_build_info", "Build information.", "version", "goversion")
	m.backendUp = desc("ipslad_route_backend_up", "1 when the route backend (FRR through vtysh) answers, 0 while it is unreachable and retried with backoff.", "backend")
	m.backendFailures = desc("ipslad_route_backend_failures_total", "Attempts to reach the route backend that failed (FRR or staticd not running, vtysh timed out).", "backend")
	return m
}

// observe records one result; the event loop calls it.
func (m *metrics) observe(r sla.Result) {
	id := strconv.Itoa(r.ID)
	m.mu.Lock()
	m.seen[id] = true
	m.mu.Unlock()
	m.codes.WithLabelValues(id, r.Code.String()).Inc()
	if r.Code.Completed() {
		m.rtt.WithLabelValues(id).Observe(r.RTT.Seconds())
	}
}

// reloaded records a reload attempt and, when it was applied, drops the
// per-result series of operations no longer configured.
func (m *metrics) reloaded(err error, ops []sla.Operation) {
	m.mu.Lock()
	m.reloadAt = time.Now()
	m.reloadOK = err == nil
	if err != nil {
		m.reloads["error"]++
		m.reloadError = err.Error()
	} else {
		m.reloads["ok"]++
		m.reloadError = ""
		m.loadedAt = m.reloadAt
	}
	m.mu.Unlock()
	if err != nil {
		return
	}
	keep := map[string]bool{}
	for _, op := range ops {
		keep[strconv.Itoa(op.ID)] = true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for id := range m.seen {
		if !keep[id] {
			m.rtt.DeletePartialMatch(prometheus.Labels{"sla": id})
			m.codes.DeletePartialMatch(prometheus.Labels{"sla": id})
			delete(m.seen, id)
		}
	}
}

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	m.rtt.Describe(ch)
	m.codes.Describe(ch)
	for _, d := range []*prometheus.Desc{m.latestCode, m.lateness, m.latestRTT, m.traps, m.elementTraps, m.trackUp, m.trackChanges,
		m.routeDesired, m.routeInstalled, m.reloadSuccess, m.reloadTime, m.reloadsTotal, m.buildInfo} {
		ch <- d
	}
	ch <- m.backendUp
	ch <- m.backendFailures
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.rtt.Collect(ch)
	m.codes.Collect(ch)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	reactions := map[int][]sla.Reaction{}
	for _, op := range m.d.config().Operations {
		reactions[op.ID] = op.Reactions
	}
	for _, st := range m.d.sched.Snapshot() {
		id := strconv.Itoa(st.ID)
		for _, rc := range reactions[st.ID] {
			if rc.Action.Trap() && int(rc.Element) < len(st.ElementTraps) {
				ch <- prometheus.MustNewConstMetric(m.elementTraps, prometheus.CounterValue, float64(st.ElementTraps[rc.Element]), id, rc.Element.String())
			}
		}
		if st.Runs > 0 || st.Latest.Code != sla.CodeUnknown {
			gauge(m.latestCode, 1, id, st.Latest.Code.String())
			gauge(m.lateness, st.Lateness.Seconds(), id)
		}
		if st.Latest.Code.Completed() {
			gauge(m.latestRTT, st.Latest.RTT.Seconds(), id)
		}
		ch <- prometheus.MustNewConstMetric(m.traps, prometheus.CounterValue, float64(st.Traps), id)
	}
	for _, st := range m.d.table.Snapshot(time.Now()) {
		id := strconv.Itoa(st.ID)
		gauge(m.trackUp, b2f(st.State == track.Up), id)
		ch <- prometheus.MustNewConstMetric(m.trackChanges, prometheus.CounterValue, float64(st.Changes), id)
	}
	type key struct {
		p string
		m int
	}
	routes := map[key][2]bool{} // desired, installed
	for _, r := range m.d.lastDesired() {
		k := key{r.Prefix.String(), r.Metric}
		routes[k] = [2]bool{true, false}
	}
	if m.kernel != nil {
		if rs, err := m.kernel.List(); err == nil {
			for _, r := range rs {
				k := key{r.Prefix.String(), r.Metric}
				v := routes[k]
				v[1] = true
				routes[k] = v
			}
		} else {
			ch <- prometheus.NewInvalidMetric(m.routeInstalled, err)
		}
	}
	for k, v := range routes {
		gauge(m.routeDesired, b2f(v[0]), k.p, strconv.Itoa(k.m))
		if m.kernel != nil {
			gauge(m.routeInstalled, b2f(v[1]), k.p, strconv.Itoa(k.m))
		}
	}
	m.mu.Lock()
	gauge(m.reloadSuccess, b2f(m.reloadOK))
	at := 0.0
	if !m.reloadAt.IsZero() {
		at = float64(m.reloadAt.UnixNano()) / 1e9
	}
	gauge(m.reloadTime, at)
	for _, res := range []string{"ok", "error"} {
		ch <- prometheus.MustNewConstMetric(m.reloadsTotal, prometheus.CounterValue, float64(m.reloads[res]), res)
	}
	m.mu.Unlock()
	if m.d.backend != nil {
		st := m.d.backend.Status()
		gauge(m.backendUp, b2f(st.Up), st.Backend)
		ch <- prometheus.MustNewConstMetric(m.backendFailures, prometheus.CounterValue, float64(st.Failures), st.Backend)
	}
	gauge(m.buildInfo, 1, version, runtime.Version())
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// serveMetrics serves /metrics on addr until Close.
func serveMetrics(addr string, m *metrics) (*http.Server, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(m); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-metrics-listen: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.d.log.Error("metrics server stopped", "err", err)
		}
	}()
	return srv, nil
}
