package route

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
)

// Kernel is the routing table as the Manager needs it. Every method sees
// and touches only routes of the implementation's own protocol.
type Kernel interface {
	// List returns every route of our protocol, one Route per prefix and
	// metric, with each next hop's interface filled in.
	List() ([]Route, error)
	// Replace installs r, replacing the route of our protocol with the
	// same prefix and metric if there is one. On failure the kernel keeps
	// what it had, and the error names the route.
	Replace(Route) error
	// Delete removes the route of our protocol with r's prefix and
	// metric; its next hops are ignored. Deleting a missing route is not
	// an error; any other error names the route.
	Delete(Route) error
}

// changer is a Kernel that changes a route of ours in place more safely
// when it is told what the route was (Netlink: never overwriting another
// protocol's route with the same prefix and metric). The Manager calls
// change instead of Replace for a route it believes installed.
type changer interface {
	change(old, r Route) error
}

// Manager keeps the kernel's routes of our protocol equal to a desired set.
// It remembers what it actually installed, so that a repeated Set costs no
// kernel calls. It is safe for concurrent use; kernel calls are serialized.
type Manager struct {
	k   Kernel
	log *slog.Logger

	mu          sync.Mutex    // protects following fields
	installed   map[key]Route // what the kernel holds, as far as we know
	desired     map[key]Route // last argument to Set, merged; never modified
	haveDesired bool          // Set was called
}

// NewManager returns a Manager that believes nothing is installed; call
// Adopt to take over the routes a previous run left.
func NewManager(k Kernel, log *slog.Logger) *Manager {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{k: k, log: log, installed: make(map[key]Route)}
}

// Adopt lists the routes of our protocol already in the kernel, left there
// by a previous run, and takes them as installed without touching them.
// The next Set then changes only what differs. It returns the routes.
func (m *Manager) Adopt() ([]Route, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.listLocked(); err != nil {
		return nil, err
	}
	rs := sortedRoutes(m.installed)
	if len(rs) > 0 {
		m.log.Info("adopted routes left in the kernel", "count", len(rs))
	}
	return rs, nil
}

// listLocked replaces m.installed with what the kernel holds.
// [Manager.mu] must be held.
func (m *Manager) listLocked() error {
	rs, err := m.k.List()
	if err != nil {
		return fmt.Errorf("listing routes: %w", err)
	}
	m.installed = make(map[key]Route, len(rs))
	for _, r := range rs {
		r = r.normalize()
		if old, ok := m.installed[r.key()]; ok {
			// The Kernel listed one key twice: separate routes.
			r.NextHops = append(old.NextHops, r.NextHops...)
			r = r.normalize()
			r.split = true
		}
		m.installed[r.key()] = r
	}
	return nil
}

// Set makes the kernel hold exactly the desired routes (of our protocol).
// It replaces every route that differs before it deletes routes that are
// no longer desired, so a floating static takes over before the route it
// backs up goes. It keeps going after a failure and returns all failures
// joined; Installed then reports what is really installed, and the next Set
// retries what failed. Calling Set again with the same routes makes no
// kernel calls.
func (m *Manager) Set(desired []Route) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	want, errs := merge(desired)
	m.desired = want
	m.haveDesired = true
	return errors.Join(append(errs, m.applyLocked(want)...)...)
}

// merge normalizes routes and returns them by key. Routes with the same
// key are merged into one with all their next hops. Invalid routes are
// dropped and reported.
func merge(routes []Route) (map[key]Route, []error) {
	var errs []error
	want := make(map[key]Route, len(routes))
	for _, r := range routes {
		r = r.normalize()
		switch {
		case !r.Prefix.IsValid():
			errs = append(errs, fmt.Errorf("route %v: invalid prefix", r))
			continue
		case len(r.NextHops) == 0:
			errs = append(errs, fmt.Errorf("route %v: no next hop", r))
			continue
		case r.Metric < 0:
			errs = append(errs, fmt.Errorf("route %v: negative metric", r))
			continue
		}
		if old, ok := want[r.key()]; ok {
			r.NextHops = append(old.NextHops, r.NextHops...)
			r = r.normalize()
		}
		want[r.key()] = r
	}
	return want, errs
}

// applyLocked reconciles the kernel with want. [Manager.mu] must be held.
func (m *Manager) applyLocked(want map[key]Route) []error {
	var errs []error
	// Only the routes that need a write are sorted (for a stable order of
	// kernel calls): a Set that changes one route of thousands sorts one.
	change := make(map[key]Route)
	for k, w := range want {
		cur, ok := m.installed[k]
		if ok && satisfies(cur, w) {
			// Remember the desired form, so that the next Set with the
			// same routes compares equal without interfaces.
			m.installed[k] = w
			continue
		}
		change[k] = w
	}
	for _, w := range sortedRoutes(change) {
		cur, ok := m.installed[w.key()]
		rw := w
		rw.split = cur.split // the kernel must clear all of a split route
		var err error
		if c, can := m.k.(changer); can && ok {
			err = c.change(cur, rw)
		} else {
			err = m.k.Replace(rw)
		}
		if err != nil {
			// What was there still is (change may rarely leave a
			// transitional route of ours, which the next List shows).
			errs = append(errs, err)
			continue
		}
		if ok {
			m.log.Info("route changed", "route", stringer{w}, "was", stringer{cur})
		} else {
			m.log.Info("route installed", "route", stringer{w})
		}
		m.installed[w.key()] = w
	}
	gone := make(map[key]Route)
	for k, cur := range m.installed {
		if _, ok := want[k]; !ok {
			gone[k] = cur
		}
	}
	for _, cur := range sortedRoutes(gone) {
		if err := m.k.Delete(cur); err != nil {
			errs = append(errs, err)
			continue
		}
		m.log.Info("route removed", "route", stringer{cur})
		delete(m.installed, cur.key())
	}
	return errs
}

// Resync lists the kernel again and re-applies the last desired set: a
// route of ours someone deleted by hand comes back, one of our protocol
// that we do not want goes. When the kernel already matches it makes no
// writes. Before the first Set it only refreshes Installed.
func (m *Manager) Resync() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.listLocked(); err != nil {
		return err
	}
	if !m.haveDesired {
		return nil
	}
	want := m.desired
	return errors.Join(m.applyLocked(want)...)
}

// stringer renders a route for a log line only when it is written.
type stringer struct{ r Route }

func (s stringer) LogValue() slog.Value { return slog.StringValue(s.r.String()) }

// Refresh lists the kernel again, so that the next Set compares against
// what the kernel really holds (after an interface went down, say, when
// the kernel drops IPv4 routes through it without a notification). It
// makes no writes.
func (m *Manager) Refresh() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.listLocked()
}

// Lost tells the Manager that the kernel no longer holds the route of our
// protocol with prefix p and metric (a deletion notification). It reports
// whether the Manager believed that route installed: then the next Set (or
// Resync) puts it back if it is still desired. A notification of the
// Manager's own deletion finds nothing and reports false.
func (m *Manager) Lost(p netip.Prefix, metric int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := Route{Prefix: p, Metric: metric}.normalize().key()
	if _, ok := m.installed[k]; !ok {
		return false
	}
	delete(m.installed, k)
	return true
}

// Installed returns the routes the Manager believes are in the kernel,
// sorted by prefix and metric.
func (m *Manager) Installed() []Route {
	m.mu.Lock()
	defer m.mu.Unlock()
	rs := sortedRoutes(m.installed)
	for i := range rs {
		rs[i].NextHops = slices.Clone(rs[i].NextHops)
	}
	return rs
}

// Flush deletes every route of k's protocol, for `ipslad --flush` and a
// clean stop. It keeps going after a failure and returns all failures.
func Flush(k Kernel) error {
	rs, err := k.List()
	if err != nil {
		return fmt.Errorf("listing routes: %w", err)
	}
	var errs []error
	for _, r := range rs {
		if err := k.Delete(r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
