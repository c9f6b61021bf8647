package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipslad/ipslad/config"
	"github.com/ipslad/ipslad/route"
	"github.com/ipslad/ipslad/sla"
	"github.com/ipslad/ipslad/track"
)

// The control protocol is vtysh's: one command line in, text out, close.
//
// A line may end in "| json" for the same answer as JSON (ipslactl --json),
// or in "?" for IOS help: "show ip sla ?" lists the words that may follow,
// "show ip sla s?" the words that start with "s". Every answer that is an
// error starts with "%", as on IOS, or in JSON is {"error": "..."}.
//
// Whoever can open the socket (root and the --socket-group) may run the
// show commands; the commands that change state are for root only, which
// is checked from the peer's credentials (SO_PEERCRED).

// command is one CLI form. A word in angle brackets stands for a number in
// that range; the others may be abbreviated to any unique prefix.
type command struct {
	words []string
	root  bool // changes state: root only
	run   func(d *daemon, nums []int) (reply, error)
}

// reply is a command's answer, as IOS text and as data for JSON.
type reply struct {
	text func(w io.Writer)
	data any
}

const (
	slaID   = "<1-2147483647>"
	trackID = "<1-1000>"
)

// help is what `?` prints beside each word.
var help = map[string]string{
	"show":           "Show running system information",
	"ip":             "IP information",
	"sla":            "IP Service Level Agreement",
	"statistics":     "IPSLA Statistics",
	"details":        "Details",
	"aggregated":     "IPSLA Statistics Aggregated (per hour)",
	"group":          "IPSLA Group (multi-operation scheduling)",
	"schedule":       "Group schedule",
	"summary":        "IPSLA Statistics Summary",
	"configuration":  "IPSLA Configuration",
	"application":    "IPSLA Application",
	"track":          "Tracking information",
	"brief":          "Brief information",
	"route":          "IP routing table",
	"track-table":    "Tracked static routing table",
	"static":         "Static route information",
	"frr":            "What FRR made of the tracked prefixes (ipslad extension)",
	"running-config": "Current operating configuration",
	"debugging":      "State of each debugging option",
	"clear":          "Reset functions",
	"counters":       "Clear IPSLA statistics counters",
	"restart":        "Restart an active entry: clear its statistics, start again now",
	"set":            "Set the state of a stub object",
	"up":             "Up",
	"down":           "Down",
	"reload":         "Reload the configuration file (keeps unchanged state)",
	"debug":          "Debugging functions",
	"undebug":        "Disable debugging functions",
	"all":            "Enable/disable all debugging",
	slaID:            "Entry Number",
	trackID:          "Tracked object",
	"<cr>":           "",
	"no":             "Negate a command",
	" track":         "Set the state of a stub object (track N set up|down)",
	" ip":            "IP SLA commands (ip sla restart N)",
	"track summary":  "Summary of track objects",
	"debug all":      "Enable all debugging (log level debug)",
	"undebug all":    "Disable all debugging (back to -log-level)",
}

func words(s string) []string { return strings.Fields(s) }

var commands = []command{
	{words: words("show ip sla statistics"), run: slaStats(false)},
	{words: words("show ip sla statistics " + slaID), run: slaStats(false)},
	{words: words("show ip sla statistics details"), run: slaStats(true)},
	{words: words("show ip sla statistics " + slaID + " details"), run: slaStats(true)},
	{words: words("show ip sla group schedule"), run: func(d *daemon, _ []int) (reply, error) {
		g := sla.Groups(d.config().Operations)
		return reply{func(w io.Writer) { sla.WriteGroupSchedule(w, g) }, g}, nil
	}},
	{words: words("show ip sla statistics aggregated"), run: slaAggregated(false)},
	{words: words("show ip sla statistics aggregated " + slaID), run: slaAggregated(false)},
	{words: words("show ip sla statistics aggregated details"), run: slaAggregated(true)},
	{words: words("show ip sla statistics aggregated " + slaID + " details"), run: slaAggregated(true)},
	{words: words("show ip sla summary"), run: func(d *daemon, _ []int) (reply, error) {
		st := d.sched.Snapshot()
		return reply{func(w io.Writer) { sla.WriteSummary(w, st, time.Now()) }, slaJSON(st)}, nil
	}},
	{words: words("show ip sla configuration"), run: slaConfig},
	{words: words("show ip sla configuration " + slaID), run: slaConfig},
	{words: words("show ip sla application"), run: func(d *daemon, _ []int) (reply, error) {
		st := d.sched.Snapshot()
		at := d.loadedAt()
		data := map[string]any{"entries": len(st), "last_change": at}
		for _, s := range st {
			k := strings.ToLower(s.State.String())
			n, _ := data[k].(int)
			data[k] = n + 1
		}
		return reply{func(w io.Writer) { sla.WriteApplication(w, st, at) }, data}, nil
	}},
	{words: words("show track"), run: showTrack},
	{words: words("show track " + trackID), run: showTrack},
	{words: words("show track brief"), run: func(d *daemon, _ []int) (reply, error) {
		st := d.table.Snapshot(time.Now())
		return reply{func(w io.Writer) { track.WriteBrief(w, st, time.Now()) }, trackJSON(st)}, nil
	}},
	{words: words("show track summary"), run: func(d *daemon, _ []int) (reply, error) {
		st, routed := d.table.Snapshot(time.Now()), routed(d.config())
		objects, clients := map[string]int{}, map[string]int{}
		for _, s := range st {
			objects[s.TypeWords()]++
			clients[s.TypeWords()] += routed[s.ID]
		}
		data := map[string]any{"objects": objects, "route_clients": clients}
		return reply{func(w io.Writer) { track.WriteSummary(w, st, routed) }, data}, nil
	}},
	{words: words("show ip route track-table"), run: func(d *daemon, _ []int) (reply, error) {
		type row struct {
			Route string `json:"route"`
			Track int    `json:"track"`
			State string `json:"state"`
		}
		var rows []row
		for _, s := range d.config().Routes {
			if s.Track == 0 {
				continue
			}
			state := "down"
			if d.table.Up(s.Track) {
				state = "up"
			}
			rows = append(rows, row{s.String(), s.Track, state})
		}
		return reply{func(w io.Writer) {
			for _, r := range rows {
				fmt.Fprintf(w, " %s state is [%s]\n", r.Route, r.State)
			}
			writeBackendStatus(w, d.backend, time.Now()) // FRR backend only (frr.go)
		}, rows}, nil
	}},
	{words: words("show ip route track-table frr"), run: showFRR}, // extension: FRR read-back
	{words: words("show ip static route"), run: func(d *daemon, _ []int) (reply, error) {
		statics, installed := d.config().Routes, d.routes.Installed()
		type row struct {
			Prefix    string `json:"prefix"`
			Distance  int    `json:"distance"`
			NextHop   string `json:"next_hop,omitempty"`
			Interface string `json:"interface,omitempty"`
			Track     int    `json:"track,omitempty"`
			Active    bool   `json:"active"`
		}
		var rows []row
		for _, s := range statics {
			nh := ""
			if s.NextHop.IsValid() {
				nh = s.NextHop.String()
			}
			rows = append(rows, row{s.Prefix.String(), s.AdminDistance(), nh, s.Interface, s.Track,
				s.Active(d.table.Up, installed)})
		}
		return reply{func(w io.Writer) { route.WriteStaticRoutes(w, statics, d.table.Up, installed) }, rows}, nil
	}},
	{words: words("show running-config"), run: func(d *daemon, _ []int) (reply, error) {
		text := config.Format(d.config())
		return reply{func(w io.Writer) { io.WriteString(w, text) }, map[string]string{"running_config": text}}, nil
	}},
	{words: words("show debugging"), run: func(d *daemon, _ []int) (reply, error) {
		lv := d.logLevel().Level()
		return reply{func(w io.Writer) {
			if lv <= slog.LevelDebug {
				fmt.Fprint(w, "IP SLAs and track debugging is on (log level debug)\n")
			} else {
				fmt.Fprintf(w, "Debugging is off (log level %s)\n", strings.ToLower(lv.String()))
			}
		}, map[string]string{"log_level": strings.ToLower(lv.String())}}, nil
	}},
	{words: words("reload"), root: true, run: func(d *daemon, _ []int) (reply, error) {
		reply := make(chan error, 1)
		d.reloads <- reply
		if err := <-reply; err != nil {
			return message(""), fmt.Errorf("%% Reload refused, running configuration kept:\n%v", err)
		}
		return message("Configuration reloaded."), nil
	}},
	{words: words("clear ip sla counters"), root: true, run: func(d *daemon, _ []int) (reply, error) {
		d.sched.ClearCounters()
		return message(""), nil
	}},
	{words: words("ip sla restart " + slaID), root: true, run: restartSLA},
	{words: words("track " + trackID + " set up"), root: true, run: setStub(track.Up)},
	{words: words("track " + trackID + " set down"), root: true, run: setStub(track.Down)},
	{words: words("debug all"), root: true, run: func(d *daemon, _ []int) (reply, error) {
		d.logLevel().Set(slog.LevelDebug)
		d.log.Info("debugging on", "by", "ipslactl")
		return message("All possible debugging has been turned on"), nil
	}},
	{words: words("undebug all"), root: true, run: undebug},
	{words: words("no debug all"), root: true, run: undebug},
}

// logLevel is the level the logger filters at; debug toggles it.
func (d *daemon) logLevel() *slog.LevelVar {
	if d.opt.level == nil {
		d.opt.level = new(slog.LevelVar)
		d.opt.level.Set(d.opt.baseLevel)
	}
	return d.opt.level
}

// setStub sets a stub object (`track N stub-object`) in the event loop,
// which reports the change and recomputes the routes.
func setStub(s track.State) func(*daemon, []int) (reply, error) {
	return func(d *daemon, n []int) (reply, error) {
		errc := make(chan error, 1)
		d.inLoop(func() {
			changes, err := d.table.SetStub(n[0], s, time.Now())
			d.report(changes)
			errc <- err
		})
		if err := <-errc; err != nil {
			return reply{}, fmt.Errorf("%% %v", err)
		}
		return message(""), nil
	}
}

// restartSLA is `ip sla restart N`: in the event loop, so that it cannot
// interleave with a reload, an active entry's statistics and reaction
// states are cleared and its schedule starts again now. As IOS (MIB
// restart(7)), only an active entry can be restarted.
func restartSLA(d *daemon, n []int) (reply, error) {
	done := make(chan bool, 1)
	d.inLoop(func() { done <- d.sched.Restart(n[0]) })
	if !<-done {
		return reply{}, fmt.Errorf("%% IP SLA entry %d is not active: only an active entry can be restarted", n[0])
	}
	return message(""), nil
}

func undebug(d *daemon, _ []int) (reply, error) {
	d.logLevel().Set(d.opt.baseLevel)
	d.log.Info("debugging off", "by", "ipslactl")
	return message("All possible debugging has been turned off"), nil
}

// message is a reply of one line of text (none when s is empty).
func message(s string) reply {
	return reply{func(w io.Writer) {
		if s != "" {
			fmt.Fprintln(w, s)
		}
	}, map[string]any{"ok": true, "message": s}}
}

func slaStats(details bool) func(*daemon, []int) (reply, error) {
	return func(d *daemon, n []int) (reply, error) {
		st, err := d.slaSnapshot(n)
		if err != nil {
			return reply{}, err
		}
		return reply{func(w io.Writer) { sla.WriteStatistics(w, st, details, time.Now()) }, slaJSON(st)}, nil
	}
}

// slaSnapshot returns the statistics of every operation, or of operation
// n[0] when given.
func (d *daemon) slaSnapshot(n []int) ([]sla.Stats, error) {
	st := d.sched.Snapshot()
	if len(n) > 0 {
		i := slices.IndexFunc(st, func(s sla.Stats) bool { return s.ID == n[0] })
		if i < 0 {
			return nil, fmt.Errorf("%% No IP SLA operation %d", n[0])
		}
		st = st[i : i+1]
	}
	return st, nil
}

// slaAggregated is show ip sla statistics aggregated [N] [details]: the
// hourly statistics (history hours-of-statistics-kept).
func slaAggregated(details bool) func(*daemon, []int) (reply, error) {
	return func(d *daemon, n []int) (reply, error) {
		st, err := d.slaSnapshot(n)
		if err != nil {
			return reply{}, err
		}
		return reply{func(w io.Writer) { sla.WriteAggregated(w, st, details) }, sla.AggregatedViews(st)}, nil
	}
}

func slaConfig(d *daemon, n []int) (reply, error) {
	ops := d.config().Operations
	if len(n) > 0 {
		i := slices.IndexFunc(ops, func(o sla.Operation) bool { return o.ID == n[0] })
		if i < 0 {
			return reply{}, fmt.Errorf("%% No IP SLA operation %d", n[0])
		}
		ops = ops[i : i+1]
	}
	st := d.sched.Snapshot()
	type opJSON struct {
		ID          int    `json:"id"`
		Type        string `json:"type"`
		Target      string `json:"target,omitempty"`
		NameServer  string `json:"name_server,omitempty"`
		FrequencyS  int    `json:"frequency_s"`
		TimeoutMS   int64  `json:"timeout_ms"`
		ThresholdMS int64  `json:"threshold_ms"`
		Owner       string `json:"owner,omitempty"`
		Tag         string `json:"tag,omitempty"`
		Scheduled   bool   `json:"scheduled"`
		Start       string `json:"start"`
		LifeS       int    `json:"life_s,omitempty"`
		Forever     bool   `json:"forever"`
	}
	var data []opJSON
	for _, op := range ops {
		j := opJSON{ID: op.ID, Type: op.TypeName(), FrequencyS: int(op.Frequency / time.Second),
			TimeoutMS: op.Timeout.Milliseconds(), ThresholdMS: op.Threshold.Milliseconds(),
			Owner: op.Owner, Tag: op.Tag, Scheduled: op.Schedule.Scheduled, Start: op.Schedule.Start.String(),
			Forever: op.Schedule.Forever}
		if !op.Schedule.Forever {
			j.LifeS = int(op.Schedule.Life / time.Second)
		}
		if op.DNS != nil {
			j.Target, j.NameServer = op.DNS.Target, op.DNS.NameServer.String()
		}
		data = append(data, j)
	}
	return reply{func(w io.Writer) { sla.WriteConfiguration(w, ops, st) }, data}, nil
}

func showTrack(d *daemon, n []int) (reply, error) {
	all := d.table.Snapshot(time.Now())
	st := all
	if len(n) > 0 {
		i := slices.IndexFunc(st, func(s track.Status) bool { return s.ID == n[0] })
		if i < 0 {
			return reply{}, fmt.Errorf("%% Track object %d does not exist", n[0])
		}
		st = st[i : i+1]
	}
	r := routed(d.config())
	return reply{func(w io.Writer) { track.WriteTrack(w, st, all, r, time.Now()) }, trackJSON(st)}, nil
}

type resultJSON struct {
	Code   string    `json:"code"`
	RTTMS  *float64  `json:"rtt_ms,omitempty"`
	Start  time.Time `json:"start,omitzero"`
	Detail string    `json:"detail,omitempty"`
}

func resultView(r sla.Result) resultJSON {
	j := resultJSON{Code: r.Code.String(), Start: r.Start, Detail: r.Detail}
	if r.Code.Completed() {
		ms := float64(r.RTT) / float64(time.Millisecond)
		j.RTTMS = &ms
	}
	return j
}

func slaJSON(st []sla.Stats) any {
	type statsJSON struct {
		ID             int        `json:"id"`
		Type           string     `json:"type"`
		Target         string     `json:"target"`
		State          string     `json:"state"`
		Runs           int        `json:"runs"`
		Successes      int        `json:"successes"`
		Failures       int        `json:"failures"`
		OverThresholds int        `json:"over_thresholds"`
		Busies         int        `json:"busies"`
		Latest         resultJSON `json:"latest"`
		RTTMinMS       float64    `json:"rtt_min_ms"`
		RTTAvgMS       float64    `json:"rtt_avg_ms"`
		RTTMaxMS       float64    `json:"rtt_max_ms"`
		LatenessMS     float64    `json:"lateness_ms"`
		Reset          time.Time  `json:"reset"`
		LifeEnd        time.Time  `json:"life_end,omitzero"`
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	out := []statsJSON{}
	for _, s := range st {
		out = append(out, statsJSON{s.ID, s.Type, s.Target, s.State.String(), s.Runs, s.Successes, s.Failures,
			s.OverThresholds, s.Busies, resultView(s.Latest), ms(s.RTTMin), ms(s.RTTAvg()), ms(s.RTTMax),
			ms(s.Lateness), s.Reset, s.LifeEnd})
	}
	return out
}

func trackJSON(st []track.Status) any {
	type statusJSON struct {
		ID         int         `json:"id"`
		Type       string      `json:"type"`
		Instance   string      `json:"instance,omitempty"`
		Mode       string      `json:"mode,omitempty"`
		State      string      `json:"state"`
		Changes    int         `json:"changes"`
		LastChange time.Time   `json:"last_change"`
		Latest     *resultJSON `json:"latest,omitempty"`
		PendingTo  string      `json:"pending_to,omitempty"`
		PendingAt  time.Time   `json:"pending_at,omitzero"`
	}
	out := []statusJSON{}
	for _, s := range st {
		j := statusJSON{ID: s.ID, Type: s.TypeWords(), Instance: s.Instance(), State: s.State.String(),
			Changes: s.Changes, LastChange: s.LastChange}
		switch s.Type {
		case track.TypeSLA:
			r := resultView(s.Latest)
			j.Latest, j.Mode = &r, s.Mode.String()
		case track.TypeInterface, track.TypeRoute:
			j.Mode = s.Mode.String()
		}
		if s.Pending {
			j.PendingTo, j.PendingAt = s.PendingTo.String(), s.PendingAt
		}
		out = append(out, j)
	}
	return out
}

// routed counts the static routes that track each object.
func routed(c *config.Config) track.Clients {
	m := track.Clients{}
	for _, s := range c.Routes {
		if s.Track != 0 {
			m[s.Track]++
		}
	}
	return m
}

// wordMatches reports whether the input word in abbreviates the grammar
// word w (or, for a number placeholder, is a number in its range).
func wordMatches(w, in string) bool {
	if lo, hi, ok := rangeOf(w); ok {
		n, err := strconv.Atoi(in)
		return err == nil && n >= lo && n <= hi
	}
	return in != "" && strings.HasPrefix(w, strings.ToLower(in))
}

func rangeOf(w string) (lo, hi int, ok bool) {
	if !strings.HasPrefix(w, "<") {
		return 0, 0, false
	}
	a, b, _ := strings.Cut(strings.Trim(w, "<>"), "-")
	lo, _ = strconv.Atoi(a)
	hi, _ = strconv.Atoi(b)
	return lo, hi, true
}

// match finds the one command the input words abbreviate.
func match(in []string) (*command, []int, error) {
	var found []*command
	var foundNums []int
	for i := range commands {
		c := &commands[i]
		if len(c.words) != len(in) {
			continue
		}
		var nums []int
		ok := true
		for j, w := range c.words {
			if !wordMatches(w, in[j]) {
				ok = false
				break
			}
			if _, _, isNum := rangeOf(w); isNum {
				n, _ := strconv.Atoi(in[j])
				nums = append(nums, n)
			}
		}
		if ok {
			found = append(found, c)
			foundNums = nums
		}
	}
	switch len(found) {
	case 0:
		return nil, nil, fmt.Errorf("%% Invalid input detected: %q", strings.Join(in, " "))
	case 1:
		return found[0], foundNums, nil
	}
	return nil, nil, fmt.Errorf("%% Ambiguous command: %q", strings.Join(in, " "))
}

// nextWords lists the grammar words that may follow the complete words in and
// start with partial, sorted, with "<cr>" when in is itself a command. It
// is what `?` prints and what ipslactl completes with the Tab key.
func nextWords(in []string, partial string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range commands {
		if len(c.words) < len(in) {
			continue
		}
		ok := true
		for j := range in {
			if !wordMatches(c.words[j], in[j]) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		w := "<cr>"
		if len(c.words) > len(in) {
			w = c.words[len(in)]
		} else if partial != "" {
			continue
		}
		if _, _, isNum := rangeOf(w); partial != "" && !isNum && !strings.HasPrefix(w, strings.ToLower(partial)) {
			continue
		}
		if _, _, isNum := rangeOf(w); partial != "" && isNum {
			if _, err := strconv.Atoi(partial); err != nil {
				continue
			}
		}
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		// IOS lists numbers first and <cr> last.
		rank := func(s string) int {
			switch {
			case s == "<cr>":
				return 2
			case strings.HasPrefix(s, "<"):
				return 0
			}
			return 1
		}
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return out
}

// writeHelp prints the `?` answer for a line ending in "?".
func writeHelp(w io.Writer, line string) {
	line = strings.TrimSuffix(line, "?")
	in := strings.Fields(line)
	partial := ""
	if len(in) > 0 && !strings.HasSuffix(line, " ") && line != "" {
		partial, in = in[len(in)-1], in[:len(in)-1]
	}
	next := nextWords(in, partial)
	if len(next) == 0 {
		fmt.Fprintf(w, "%% Unrecognized command: %q\n", strings.TrimSpace(line))
		return
	}
	width := 0
	for _, n := range next {
		width = max(width, len(n))
	}
	prev := ""
	if len(in) > 0 {
		prev = strings.ToLower(in[len(in)-1])
		// the grammar word prev abbreviates, for the context-dependent help
		if words := nextWords(in[:len(in)-1], prev); len(words) == 1 {
			prev = words[0]
		}
	}
	for _, n := range next {
		h, ok := help[prev+" "+n]
		if !ok {
			h = help[n]
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, h)
	}
}

// execute runs one command line with root's rights (in-process callers).
func (d *daemon) execute(line string) string { return d.executeAs(line, true) }

// executeAs runs one command line for a client, root or not, and returns
// its output.
func (d *daemon) executeAs(line string, root bool) string {
	line = strings.TrimRight(line, "\r\n")
	if strings.HasSuffix(line, "?") {
		var b bytes.Buffer
		writeHelp(&b, line)
		return b.String()
	}
	asJSON := false
	if before, ok := strings.CutSuffix(strings.TrimSpace(line), "| json"); ok {
		line, asJSON = before, true
	}
	in := strings.Fields(line)
	if len(in) == 0 {
		return ""
	}
	fail := func(err error) string {
		if asJSON {
			// ipslactl exits 1 on an answer starting with {"error"
			b, _ := json.Marshal(map[string]string{"error": strings.TrimPrefix(err.Error(), "% ")})
			return string(b) + "\n"
		}
		return err.Error() + "\n"
	}
	c, nums, err := match(in)
	if err != nil {
		return fail(err)
	}
	if c.root && !root {
		d.log.Warn("control command refused: not root", "command", strings.Join(c.words, " "))
		return fail(fmt.Errorf("%% Permission denied: %q is for root only", strings.Join(c.words, " ")))
	}
	r, err := c.run(d, nums)
	if err != nil {
		return fail(err)
	}
	var buf bytes.Buffer
	if asJSON {
		b, err := json.MarshalIndent(r.data, "", "  ")
		if err != nil {
			return fail(fmt.Errorf("%% %v", err))
		}
		buf.Write(b)
		buf.WriteByte('\n')
	} else {
		r.text(&buf)
	}
	return buf.String()
}

type controlServer struct {
	ln   net.Listener
	path string
}

// lookupGroup resolves a group name or number.
func lookupGroup(name string) (int, error) {
	if gid, err := strconv.Atoi(name); err == nil {
		return gid, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("-socket-group: %v", err)
	}
	return strconv.Atoi(g.Gid)
}

// listenControl opens the control socket: mode 0660, owned by root (the
// daemon's user) and group (when not empty), so only they can connect.
func listenControl(path, group string, d *daemon) (*controlServer, error) {
	gid := -1
	if group != "" {
		var err error
		if gid, err = lookupGroup(group); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	// A socket left by a crashed run is in the way; anything else is not ours.
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("control socket %s exists and is not a socket", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("control socket %s is in use: is another ipslad running?", path)
		}
		os.Remove(path)
	}
	// Create the socket with no access for others from the start, so no
	// one can connect in the moment before chmod.
	old := unix.Umask(0o177)
	ln, err := net.Listen("unix", path)
	unix.Umask(old)
	if err != nil {
		return nil, err
	}
	if gid >= 0 {
		if err := os.Chown(path, -1, gid); err != nil {
			ln.Close()
			return nil, err
		}
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, err
	}
	d.logLevel() // set up before the connections' goroutines read it
	s := &controlServer{ln: ln, path: path}
	go s.serve(d)
	return s, nil
}

// peerIsRoot reports whether the process at the other end of c runs as
// root, from the kernel's record of its credentials.
func peerIsRoot(c net.Conn) bool {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return false
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return false
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return false
	}
	return cred.Uid == 0
}

func (s *controlServer) serve(d *daemon) {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			root := peerIsRoot(c)
			line, err := bufio.NewReader(io.LimitReader(c, 4096)).ReadString('\n')
			if err != nil && line == "" {
				return
			}
			io.WriteString(c, d.executeAs(line, root))
		}()
	}
}

func (s *controlServer) Close() error {
	err := s.ln.Close()
	os.Remove(s.path)
	return err
}

// loadedAt is when the running configuration was loaded.
func (d *daemon) loadedAt() time.Time {
	d.metrics.mu.Lock()
	defer d.metrics.mu.Unlock()
	return d.metrics.loadedAt
}

// inLoop runs f in the event loop, which owns every state change.
func (d *daemon) inLoop(f func()) { d.control <- f }
