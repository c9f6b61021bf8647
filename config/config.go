package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ipslad/ipslad/route"
	"github.com/ipslad/ipslad/sla"
	"github.com/ipslad/ipslad/track"
)

// Config is a parsed and validated configuration: the model (Operations,
// Tracks, Routes) plus what a --check should tell the user.
type Config struct {
	Operations []sla.Operation // sorted by ID
	Tracks     []track.Object  // sorted by ID
	Routes     []route.Static  // in file order

	// RouteBackend is set by `ipslad route backend ...` (an ipslad
	// extension, parse_route.go); the zero value is the kernel.
	RouteBackend RouteBackend

	// Warnings are findings that IOS would accept but that probably are not
	// what the user meant (a track of an undefined ip sla, an unscheduled
	// operation, an ignored unknown command). They are not part of the model.
	Warnings ErrorList

	// Skipped counts the lines of other IOS features (interfaces, routing
	// protocols, banners, ...) that were skipped.
	Skipped int

	pos positions
}

// positions remembers where each item was defined, for messages that refer
// to it later. It is not part of the model: Equal ignores it.
type positions struct {
	op, schedule map[int]Pos    // ip sla N; ip sla schedule N
	track        map[int]Pos    // track N ...
	trackRef     map[int]Pos    // the M of track N ip sla M
	member       map[[2]int]Pos // the M of `object M` in list N, keyed {N, M}
	route        []Pos          // parallel to Routes
	routeRef     []Pos          // the K of track K, parallel to Routes
}

// OperationPos is where ip sla id was defined (zero if unknown).
func (c *Config) OperationPos(id int) Pos { return c.pos.op[id] }

// SchedulePos is where ip sla id was scheduled (zero if unknown).
func (c *Config) SchedulePos(id int) Pos { return c.pos.schedule[id] }

// TrackPos is where track id was defined (zero if unknown).
func (c *Config) TrackPos(id int) Pos { return c.pos.track[id] }

// RoutePos is where Routes[i] was defined (zero if unknown).
func (c *Config) RoutePos(i int) Pos {
	if i < 0 || i >= len(c.pos.route) {
		return Pos{}
	}
	return c.pos.route[i]
}

// Equal reports whether c and d have the same model: positions, warnings
// and skipped lines do not count.
func (c *Config) Equal(d *Config) bool {
	return slices.EqualFunc(c.Operations, d.Operations, sla.Operation.Equal) &&
		slices.EqualFunc(c.Tracks, d.Tracks, track.Object.Equal) &&
		slices.Equal(c.Routes, d.Routes) && c.RouteBackend == d.RouteBackend
}

// Load reads the file at path: YAML when its name ends in .yaml or .yml,
// Cisco IOS style otherwise. A file that cannot be read gives the os error;
// anything wrong inside it gives an ErrorList.
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return ParseYAML(path, src)
	}
	return Parse(path, src)
}

// builder collects the model while a front end reads a file, then sorts and
// validates it. Both front ends share it, so the same file content gives the
// same model, warnings and errors.
type builder struct {
	file    string
	ops     map[int]*sla.Operation
	broken  map[int]bool // operations whose definition failed: no follow-up errors
	tracks  map[int]*track.Object
	routes  []route.Static
	pos     positions
	backend RouteBackend // ipslad route backend
	sla     slaGlobals   // ip sla logging traps, reaction-trigger positions
	skipped int
	errs    ErrorList
	warns   ErrorList
}

func newBuilder(file string) *builder {
	return &builder{
		file:   file,
		ops:    map[int]*sla.Operation{},
		broken: map[int]bool{},
		tracks: map[int]*track.Object{},
		pos: positions{
			op: map[int]Pos{}, schedule: map[int]Pos{},
			track: map[int]Pos{}, trackRef: map[int]Pos{}, member: map[[2]int]Pos{},
		},
	}
}

// scheduleGroup gives operations ids the group schedule s (ip sla group
// schedule, at pos), spreading their starts. An operation that is not
// defined or is scheduled already is an error, and then none changes.
func (b *builder) scheduleGroup(what string, ids []int, s sla.Schedule, pos Pos) error {
	for _, id := range ids {
		switch op := b.ops[id]; {
		case op == nil:
			return fmt.Errorf("%s: ip sla %d is not defined", what, id)
		case op.Schedule.Scheduled:
			return fmt.Errorf("%s: ip sla %d is already scheduled at line %d", what, id, b.pos.schedule[id].Line)
		}
	}
	for i, id := range ids {
		if b.broken[id] {
			continue
		}
		sch := s
		sch.GroupOffset = groupOffset(s, id, i, len(ids))
		b.ops[id].Schedule, b.pos.schedule[id] = sch, pos
	}
	return nil
}

func (b *builder) deleteOperation(id int) {
	delete(b.ops, id)
	delete(b.broken, id)
	delete(b.pos.op, id)
	delete(b.pos.schedule, id)
}

func (b *builder) deleteTrack(id int) {
	delete(b.tracks, id)
	delete(b.pos.track, id)
	delete(b.pos.trackRef, id)
}

// addRoute adds r, defined at pos (its track number at ref). As on IOS, a
// route to the same prefix through the same next hop and interface replaces
// the earlier one; an identical line is a duplicate. Both are warned about.
func (b *builder) addRoute(r route.Static, pos, ref Pos) {
	for i, old := range b.routes {
		if old.Prefix != r.Prefix || old.NextHop != r.NextHop || old.Interface != r.Interface {
			continue
		}
		if old == r {
			b.warns.Add(pos, "duplicate of the route at line %d; ignored", b.pos.route[i].Line)
			return
		}
		b.warns.Add(pos, "replaces the route at line %d (same prefix and next hop), as on IOS", b.pos.route[i].Line)
		b.routes[i], b.pos.routeRef[i] = r, ref
		return
	}
	b.routes = append(b.routes, r)
	b.pos.route = append(b.pos.route, pos)
	b.pos.routeRef = append(b.pos.routeRef, ref)
}

// deleteRoutes removes the routes to r.Prefix; only those through r's next
// hop and interface when they are given (`no ip route`).
func (b *builder) deleteRoutes(r route.Static) {
	for i := 0; i < len(b.routes); {
		old := b.routes[i]
		if old.Prefix == r.Prefix &&
			(!r.NextHop.IsValid() || old.NextHop == r.NextHop) &&
			(r.Interface == "" || old.Interface == r.Interface) {
			b.routes = slices.Delete(b.routes, i, i+1)
			b.pos.route = slices.Delete(b.pos.route, i, i+1)
			b.pos.routeRef = slices.Delete(b.pos.routeRef, i, i+1)
			continue
		}
		i++
	}
}

// finish validates what was collected and returns the Config, or the
// ErrorList of everything wrong.
func (b *builder) finish() (*Config, error) {
	b.checkBackend()
	c := &Config{Routes: b.routes, RouteBackend: b.backend, Skipped: b.skipped, pos: b.pos}
	for _, id := range sortedKeys(b.ops) {
		op := b.ops[id]
		if b.broken[id] {
			continue
		}
		if !op.HasType() {
			b.errs.Add(b.pos.op[id], "ip sla %d: no operation type (e.g. \"dns NAME name-server ADDR\")", id)
			continue
		}
		b.finishSLA(op)
		c.Operations = append(c.Operations, *op)
	}
	for _, id := range sortedKeys(b.tracks) {
		c.Tracks = append(c.Tracks, *b.tracks[id])
	}
	b.validate(c)
	if len(b.errs) > 0 {
		b.errs.Sort()
		return nil, b.errs
	}
	b.warns.Sort()
	c.Warnings = b.warns
	return c, nil
}

// validate checks what single lines cannot: the IOS schedule-time rule and
// references between items.
func (b *builder) validate(c *Config) {
	for _, op := range c.Operations {
		if h := op.HTTP; h != nil && h.Raw && h.RawRequest == "" {
			b.errs.Add(b.pos.op[op.ID], "ip sla %d: http raw without its request: add an http-raw-request block", op.ID)
		}
		s := op.Schedule
		if !s.Scheduled {
			b.warns.Add(b.pos.op[op.ID], "ip sla %d is not scheduled: it never runs and its tracks stay Down", op.ID)
			continue
		}
		// IOS checks this when the schedule line is entered and refuses
		// the line (cisco-semantics §2.4).
		at := b.pos.schedule[op.ID]
		if op.Timeout > op.EffectiveFrequency() {
			b.errs.Add(at, "%%Scheduling a probe with timeout %d ms greater than frequency %d ms is not allowed.",
				op.Timeout.Milliseconds(), op.EffectiveFrequency().Milliseconds())
		}
		if op.Threshold > op.Timeout {
			b.errs.Add(at, "%%Scheduling a probe with threshold %d ms greater than timeout %d ms is not allowed.",
				op.Threshold.Milliseconds(), op.Timeout.Milliseconds())
		}
		if s.Start == sla.StartPending && !b.sla.triggered[op.ID] {
			b.warns.Add(at, "ip sla %d: start-time pending: it waits for a reaction trigger, and no ip sla reaction-trigger names it, so it never runs", op.ID)
		}
	}
	for _, t := range c.Tracks {
		if _, ok := b.ops[t.SLA]; t.Type == track.TypeSLA && !ok {
			b.warns.Add(b.pos.trackRef[t.ID], "track %d: ip sla %d is not defined; the track stays Down", t.ID, t.SLA)
		}
	}
	b.validateTracks(c)
	for i, r := range c.Routes {
		if _, ok := b.tracks[r.Track]; r.Track != 0 && !ok {
			b.warns.Add(b.pos.routeRef[i], "track %d is not defined; the route is treated as Down", r.Track)
		}
	}
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
