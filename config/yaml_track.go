package config

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ipslad/ipslad/track"
)

// track reads one entry of the YAML track list. Exactly one of ip-sla,
// interface, route, list and stub-object says the type (see ParseYAML).
func (y *yamlParser) track(n *yaml.Node) {
	const what = "track entry"
	f, ok := y.mapping(n, what, "id", "ip-sla", "interface", "route", "list", "stub-object",
		"mode", "vrf", "threshold-metric", "objects", "threshold", "default-state",
		"delay", "hysteresis", "dampening")
	if !ok {
		return
	}
	if f["id"] == nil {
		y.errorf(n, "%s: missing id", what)
		return
	}
	v, ok := y.integer(f["id"], "id", limTrack)
	if !ok {
		return
	}
	t := track.Object{ID: int(v)}
	if _, dup := y.b.tracks[t.ID]; dup {
		y.errorf(f["id"], "track %d: already defined at line %d", t.ID, y.b.pos.track[t.ID].Line)
		return
	}
	var types []string
	for _, k := range []string{"ip-sla", "interface", "route", "list", "stub-object"} {
		if f[k] != nil {
			types = append(types, k)
		}
	}
	if len(types) == 0 {
		y.errorf(n, "track %d: missing ip-sla, interface, route, list or stub-object", t.ID)
		return
	}
	if len(types) != 1 {
		y.errorf(n, "track %d: expected exactly one of ip-sla, interface, route, list, stub-object; got %d", t.ID, len(types))
		return
	}
	typ := types[0]
	// Keys that belong to one type only.
	only := map[string]string{"vrf": "route", "threshold-metric": "route", "objects": "list",
		"threshold": "list", "default-state": "stub-object", "hysteresis": "ip-sla"}
	good := true
	for k, owner := range only {
		if f[k] != nil && owner != typ {
			y.errorf(f[k], "track %d: %s is only for %s objects", t.ID, k, owner)
			good = false
		}
	}
	modes := map[string]map[string]track.Mode{
		"ip-sla":    {"state": track.ModeState, "reachability": track.ModeReachability},
		"interface": {"line-protocol": track.ModeLineProtocol, "ip-routing": track.ModeIPRouting},
		"route":     {"reachability": track.ModeReachability, "metric-threshold": track.ModeMetricThreshold},
	}
	wantMode := map[string]string{"ip-sla": "state or reachability", "interface": "line-protocol or ip-routing",
		"route": "reachability or metric-threshold"}
	switch typ {
	case "ip-sla":
		if v, ok := y.integer(f["ip-sla"], "ip-sla", limOperation); ok {
			t.SLA = int(v)
		} else {
			good = false
		}
	case "interface":
		t.Type = track.TypeInterface
		s, ok := y.scalar(f["interface"], "interface", "an interface name")
		good = ok && y.check(f["interface"], "interface", checkInterface(s)) && good
		t.Interface = s
		t.Mode = track.ModeLineProtocol
	case "route":
		t.Type = track.TypeRoute
		p, ok := y.prefix(f["route"], nil)
		t.Prefix, good = p, ok && good
		t.Mode = track.ModeReachability
		if vn := f["vrf"]; vn != nil {
			s, ok := y.scalar(vn, "vrf", "a VRF name")
			good = ok && y.check(vn, "vrf", checkWord(s)) && good
			if ok && p.Addr().Is6() {
				y.errorf(vn, "vrf: only for IPv4 routes")
				good = false
			}
			t.VRF = s
		}
	case "list":
		t.Type = track.TypeList
		kinds := map[string]track.ListKind{"boolean-and": track.ListAnd, "boolean-or": track.ListOr,
			"threshold-weight": track.ListWeight, "threshold-percentage": track.ListPercentage}
		s, ok := y.scalar(f["list"], "list", "boolean-and, boolean-or, threshold-weight or threshold-percentage")
		k, found := kinds[strings.ToLower(s)]
		if ok && !found {
			y.errorf(f["list"], "list: expected boolean-and, boolean-or, threshold-weight or threshold-percentage, got %q", s)
		}
		t.List, good = k, ok && found && good
	case "stub-object":
		t.Type = track.TypeStub
		b, ok := y.boolean(f["stub-object"], "stub-object")
		if ok && !b {
			y.errorf(f["stub-object"], "stub-object: expected true (leave it out for other types)")
		}
		good = ok && b && good
	}
	if m := f["mode"]; m != nil {
		if modes[typ] == nil {
			y.errorf(m, "track %d: mode is not for %s objects", t.ID, typ)
			good = false
		} else {
			s, ok := y.scalar(m, "mode", wantMode[typ])
			mode, found := modes[typ][strings.ToLower(s)]
			if ok && !found {
				y.errorf(m, "mode: expected %s, got %q", wantMode[typ], s)
			}
			t.Mode, good = mode, ok && found && good
		}
	}
	if tm := f["threshold-metric"]; tm != nil && typ == "route" {
		if t.Mode != track.ModeMetricThreshold {
			y.errorf(tm, "threshold-metric: needs mode metric-threshold")
			good = false
		} else {
			up, down, ok := y.upDown(tm, "threshold-metric", limMetricUp, limMetricDown, track.DefaultMetricUp, track.DefaultMetricDown)
			if ok && down <= up {
				y.errorf(tm, "threshold-metric: down %d must be greater than up %d", down, up)
				ok = false
			}
			if ok && !(up == track.DefaultMetricUp && down == track.DefaultMetricDown) {
				t.MetricUp, t.MetricDown = up, down
			}
			good = ok && good
		}
	}
	if typ == "list" {
		good = y.members(f["objects"], &t) && good
		if th := f["threshold"]; th != nil {
			lu, ld := limWeightUp, limWeightDown
			if t.List == track.ListPercentage {
				lu, ld = limPercentUp, limPercentDown
			}
			switch {
			case !t.List.Threshold():
				y.errorf(th, "threshold: only for threshold lists")
				good = false
			default:
				up, down, ok := y.upDown(th, "threshold", lu, ld, track.DefaultThresholdUp, track.DefaultThresholdDwn)
				if ok && down >= up {
					y.errorf(th, "threshold: down %d must be less than up %d", down, up)
					ok = false
				}
				if ok && !(up == track.DefaultThresholdUp && down == track.DefaultThresholdDwn) {
					t.ThresholdUp, t.ThresholdDown = up, down
				}
				good = ok && good
			}
		}
	}
	if ds := f["default-state"]; ds != nil && typ == "stub-object" {
		s, ok := y.scalar(ds, "default-state", "up or down")
		switch strings.ToLower(s) {
		case "up":
			t.DefaultState = track.Up
		case "down":
		default:
			if ok {
				y.errorf(ds, "default-state: expected up or down, got %q", s)
			}
			good = false
		}
	}
	if d := f["delay"]; d != nil {
		if df, ok := y.mapping(d, "delay", "up", "down"); ok {
			good = y.duration(df["up"], "delay up", limDelay, time.Second, &t.DelayUp) && good
			good = y.duration(df["down"], "delay down", limDelay, time.Second, &t.DelayDown) && good
		} else {
			good = false
		}
	}
	if h := f["hysteresis"]; h != nil && typ == "ip-sla" {
		up, down, ok := y.upDown(h, "hysteresis", limHysteresis, limHysteresis, 1, 1)
		if ok {
			t.HysteresisUp, t.HysteresisDown = up, down
			if up == 1 {
				t.HysteresisUp = 0
			}
			if down == 1 {
				t.HysteresisDown = 0
			}
		}
		good = ok && good
	}
	if d := f["dampening"]; d != nil {
		good = y.dampening(d, &t) && good
	}
	if !good {
		return
	}
	y.b.tracks[t.ID], y.b.pos.track[t.ID] = &t, y.pos(n)
	if typ == "ip-sla" {
		y.b.pos.trackRef[t.ID] = y.pos(f["ip-sla"])
	}
}

// upDown reads {up: U, down: D}, either optional with the given defaults.
func (y *yamlParser) upDown(n *yaml.Node, what string, limUp, limDown limit, defUp, defDown int) (int, int, bool) {
	f, ok := y.mapping(n, what, "up", "down")
	if !ok {
		return 0, 0, false
	}
	up, down := defUp, defDown
	if u := f["up"]; u != nil {
		v, ok := y.integer(u, what+" up", limUp)
		if !ok {
			return 0, 0, false
		}
		up = int(v)
	}
	if d := f["down"]; d != nil {
		v, ok := y.integer(d, what+" down", limDown)
		if !ok {
			return 0, 0, false
		}
		down = int(v)
	}
	return up, down, true
}

// members reads a list's objects: [{id: 1}, {id: 2, not: true}, {id: 3, weight: 20}].
func (y *yamlParser) members(n *yaml.Node, t *track.Object) bool {
	good := true
	for _, e := range y.sequence(n, "objects") {
		f, ok := y.mapping(e, "object", "id", "not", "weight")
		if !ok {
			good = false
			continue
		}
		if f["id"] == nil {
			y.errorf(e, "object: missing id")
			good = false
			continue
		}
		v, ok := y.integer(f["id"], "object id", limTrack)
		if !ok {
			good = false
			continue
		}
		m := track.Member{ID: int(v)}
		if m.ID == t.ID {
			y.errorf(f["id"], "object %d: a list cannot contain itself", m.ID)
			good = false
			continue
		}
		for _, x := range t.Members {
			if x.ID == m.ID {
				y.errorf(f["id"], "object %d: given twice", m.ID)
				good = false
			}
		}
		if nn := f["not"]; nn != nil {
			b, ok := y.boolean(nn, fmt.Sprintf("object %d not", m.ID))
			if ok && b && t.List.Threshold() {
				y.errorf(nn, "object %d not: not allowed in threshold lists", m.ID)
				ok = false
			}
			m.Not, good = b, ok && good
		}
		if w := f["weight"]; w != nil {
			if t.List != track.ListWeight {
				y.errorf(w, "object %d weight: only in threshold-weight lists", m.ID)
				good = false
			} else if v, ok := y.integer(w, fmt.Sprintf("object %d weight", m.ID), limWeight); ok {
				if int(v) != track.DefaultWeight {
					m.Weight = int(v)
				}
			} else {
				good = false
			}
		}
		t.Members = append(t.Members, m)
		y.b.pos.member[[2]int{t.ID, m.ID}] = y.pos(f["id"])
	}
	return good
}

// dampening reads `dampening: true` (defaults) or a mapping of half-life,
// reuse, suppress and max-suppress.
func (y *yamlParser) dampening(n *yaml.Node, t *track.Object) bool {
	if deref(n).Kind == yaml.ScalarNode {
		b, ok := y.boolean(n, "dampening")
		if ok && b {
			t.Dampening = track.Dampening{Enabled: true}
		}
		return ok
	}
	f, ok := y.mapping(n, "dampening", "half-life", "reuse", "suppress", "max-suppress")
	if !ok {
		return false
	}
	d := track.Dampening{Enabled: true}
	good := y.duration(f["half-life"], "dampening half-life", limHalfLife, time.Second, &d.HalfLife)
	good = y.duration(f["max-suppress"], "dampening max-suppress", limMaxSuppress, time.Second, &d.MaxSuppress) && good
	for _, k := range []struct {
		key string
		dst *int
	}{{"reuse", &d.Reuse}, {"suppress", &d.Suppress}} {
		if v := f[k.key]; v != nil {
			x, ok := y.integer(v, "dampening "+k.key, limPenalty)
			*k.dst, good = int(x), ok && good
		}
	}
	if (d.Reuse == 0) != (d.Suppress == 0) {
		y.errorf(n, "dampening: reuse and suppress go together")
		good = false
	} else if d.Reuse != 0 && d.Suppress <= d.Reuse {
		y.errorf(n, "dampening: suppress %d must be greater than reuse %d", d.Suppress, d.Reuse)
		good = false
	}
	if good {
		t.Dampening = d
	}
	return good
}
