package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// procStatus holds the fields of /proc/PID/status the soak reports.
type procStatus struct {
	rssKB, threads int
}

// parseStatus reads VmRSS (kB) and Threads from /proc/PID/status text.
func parseStatus(text string) (procStatus, error) {
	var p procStatus
	var seen int
	for l := range strings.Lines(text) {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		var dst *int
		switch f[0] {
		case "VmRSS:":
			dst = &p.rssKB
		case "Threads:":
			dst = &p.threads
		default:
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			return p, fmt.Errorf("/proc status: %s %q: %v", f[0], f[1], err)
		}
		*dst = n
		seen++
	}
	if seen != 2 {
		return p, fmt.Errorf("/proc status: VmRSS or Threads missing")
	}
	return p, nil
}

// metric is one sample line of the Prometheus text format.
type metric struct {
	name   string
	labels map[string]string
	value  float64
}

// parseMetricLine parses `name{a="x",b="y"} value [timestamp]`; ok is false
// for comments, blank lines and lines it cannot read.
func parseMetricLine(line string) (m metric, ok bool) {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return m, false
	}
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return m, false
	}
	m.name = line[:i]
	rest := line[i:]
	if rest[0] == '{' {
		m.labels = map[string]string{}
		rest = rest[1:]
		for {
			rest = strings.TrimLeft(rest, " ,")
			if strings.HasPrefix(rest, "}") {
				rest = rest[1:]
				break
			}
			eq := strings.IndexByte(rest, '=')
			if eq <= 0 || len(rest) < eq+2 || rest[eq+1] != '"' {
				return m, false
			}
			key := rest[:eq]
			rest = rest[eq+2:]
			var v strings.Builder
			j := 0
			for ; j < len(rest) && rest[j] != '"'; j++ {
				if rest[j] == '\\' && j+1 < len(rest) {
					j++
					switch rest[j] {
					case 'n':
						v.WriteByte('\n')
					default:
						v.WriteByte(rest[j])
					}
					continue
				}
				v.WriteByte(rest[j])
			}
			if j == len(rest) {
				return m, false
			}
			m.labels[key] = v.String()
			rest = rest[j+1:]
		}
	}
	f := strings.Fields(rest)
	if len(f) < 1 {
		return m, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return m, false
	}
	m.value = v
	return m, true
}

// scrape is what one read of ipslad's /metrics says.
type scrape struct {
	results      map[string]float64 // ipslad_sla_results_total summed by code
	perOp        map[string]float64 // ipslad_sla_results_total summed by operation
	lateness     []time.Duration    // ipslad_sla_start_lateness_seconds, one per operation
	trackChanges float64            // ipslad_track_changes_total summed
	tracks, up   int                // track objects, those Up
	desired      int                // ipslad_route_desired == 1
	installed    int                // ipslad_route_installed == 1
	goroutines   int                // go_goroutines when exported, else -1
	bytes        int64              // size of the answer
}

// parseScrape reads a /metrics answer.
func parseScrape(r io.Reader) (scrape, error) {
	s := scrape{results: map[string]float64{}, perOp: map[string]float64{}, goroutines: -1}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		s.bytes += int64(len(sc.Bytes()) + 1)
		m, ok := parseMetricLine(sc.Text())
		if !ok {
			continue
		}
		switch m.name {
		case "ipslad_sla_results_total":
			s.results[m.labels["code"]] += m.value
			s.perOp[m.labels["sla"]] += m.value
		case "ipslad_sla_start_lateness_seconds":
			s.lateness = append(s.lateness, time.Duration(m.value*float64(time.Second)))
		case "ipslad_track_changes_total":
			s.trackChanges += m.value
		case "ipslad_track_up":
			s.tracks++
			if m.value == 1 {
				s.up++
			}
		case "ipslad_route_desired":
			if m.value == 1 {
				s.desired++
			}
		case "ipslad_route_installed":
			if m.value == 1 {
				s.installed++
			}
		case "go_goroutines":
			s.goroutines = int(m.value)
		}
	}
	return s, sc.Err()
}

// totalRuns is the number of runs counted over every return code.
func (s scrape) totalRuns() float64 {
	var n float64
	for _, v := range s.results {
		n += v
	}
	return n
}

// quantiles are the p50, p99 and max of ds (zero when ds is empty).
func quantiles(ds []time.Duration) (p50, p99, max time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration {
		return s[min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1)]
	}
	return q(0.5), q(0.99), s[len(s)-1]
}

// parseGoroutineProfile reads the total from net/http/pprof's
// /debug/pprof/goroutine?debug=1 ("goroutine profile: total N").
func parseGoroutineProfile(text string) (int, error) {
	const p = "goroutine profile: total "
	for l := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), p); ok {
			return strconv.Atoi(strings.TrimSpace(rest))
		}
	}
	return 0, fmt.Errorf("no %q line", strings.TrimSpace(p))
}

// parseHeapProfile reads HeapAlloc (bytes) from /debug/pprof/heap?debug=1.
func parseHeapProfile(text string) (int64, error) {
	for l := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "# HeapAlloc = "); ok {
			return strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
		}
	}
	return 0, fmt.Errorf("no HeapAlloc line")
}

// parseRoutes reads `ip -j route show` output into destination/gateway
// pairs; a multipath route gives one pair per next hop.
func parseRoutes(b []byte) ([]kroute, error) {
	var rs []struct {
		Dst      string `json:"dst"`
		Gateway  string `json:"gateway"`
		Nexthops []struct {
			Gateway string `json:"gateway"`
		} `json:"nexthops"`
	}
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("ip -j route: %v", err)
	}
	var out []kroute
	for _, r := range rs {
		if len(r.Nexthops) == 0 {
			out = append(out, kroute{r.Dst, r.Gateway})
		}
		for _, nh := range r.Nexthops {
			out = append(out, kroute{r.Dst, nh.Gateway})
		}
	}
	return out, nil
}

// diffRoutes compares the kernel's routes with the expected set: routes
// missing from the kernel and routes the kernel holds that it should not.
func diffRoutes(got []kroute, want map[kroute]bool) (missing, extra []kroute) {
	have := map[kroute]bool{}
	for _, r := range got {
		have[r] = true
		if !want[r] {
			extra = append(extra, r)
		}
	}
	for r := range want {
		if !have[r] {
			missing = append(missing, r)
		}
	}
	cmp := func(a, b kroute) int { return strings.Compare(a.dst+" "+a.gw, b.dst+" "+b.gw) }
	slices.SortFunc(missing, cmp)
	slices.SortFunc(extra, cmp)
	return missing, extra
}
