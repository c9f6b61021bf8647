package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ipslad/ipslad/config"
	"github.com/ipslad/ipslad/sla"
	"github.com/ipslad/ipslad/track"
)

// The control protocol is vtysh's: one command line in, text out, close.

// command is one CLI form. In words, "N" stands for a number; the others
// may be abbreviated to any unique prefix, as on IOS.
type command struct {
	words []string
	run   func(d *daemon, w io.Writer, nums []int) error
}

var commands = []command{
	{words("show ip sla statistics"), func(d *daemon, w io.Writer, _ []int) error {
		sla.WriteStatistics(w, d.sched.Snapshot(), false, time.Now())
		return nil
	}},
	{words("show ip sla statistics N"), showStats(false)},
	{words("show ip sla statistics details"), func(d *daemon, w io.Writer, _ []int) error {
		sla.WriteStatistics(w, d.sched.Snapshot(), true, time.Now())
		return nil
	}},
	{words("show ip sla statistics N details"), showStats(true)},
	{words("show ip sla summary"), func(d *daemon, w io.Writer, _ []int) error {
		sla.WriteSummary(w, d.sched.Snapshot(), time.Now())
		return nil
	}},
	{words("show track"), func(d *daemon, w io.Writer, _ []int) error {
		track.WriteTrack(w, d.table.Snapshot(), routed(d.config()), time.Now())
		return nil
	}},
	{words("show track N"), func(d *daemon, w io.Writer, n []int) error {
		for _, st := range d.table.Snapshot() {
			if st.ID == n[0] {
				track.WriteTrack(w, []track.Status{st}, routed(d.config()), time.Now())
				return nil
			}
		}
		return fmt.Errorf("%% Track object %d does not exist", n[0])
	}},
	{words("show track brief"), func(d *daemon, w io.Writer, _ []int) error {
		track.WriteBrief(w, d.table.Snapshot(), time.Now())
		return nil
	}},
	{words("show ip route track-table"), func(d *daemon, w io.Writer, _ []int) error {
		for _, s := range d.config().Routes {
			if s.Track == 0 {
				continue
			}
			state := "down"
			if d.table.Up(s.Track) {
				state = "up"
			}
			fmt.Fprintf(w, " %s state is [%s]\n", s.String(), state)
		}
		return nil
	}},
	{words("show running-config"), func(d *daemon, w io.Writer, _ []int) error {
		_, err := io.WriteString(w, config.Format(d.config()))
		return err
	}},
	{words("reload"), func(d *daemon, w io.Writer, _ []int) error {
		reply := make(chan error, 1)
		d.reloads <- reply
		if err := <-reply; err != nil {
			return fmt.Errorf("%% Reload refused, running configuration kept:\n%v", err)
		}
		fmt.Fprintln(w, "Configuration reloaded.")
		return nil
	}},
	{words("clear ip sla counters"), func(d *daemon, w io.Writer, _ []int) error {
		d.sched.ClearCounters()
		return nil
	}},
}

func words(s string) []string { return strings.Fields(s) }

func showStats(details bool) func(*daemon, io.Writer, []int) error {
	return func(d *daemon, w io.Writer, n []int) error {
		for _, st := range d.sched.Snapshot() {
			if st.ID == n[0] {
				sla.WriteStatistics(w, []sla.Stats{st}, details, time.Now())
				return nil
			}
		}
		return fmt.Errorf("%% No IP SLA operation %d", n[0])
	}
}

func routed(c *config.Config) map[int]bool {
	m := map[int]bool{}
	for _, s := range c.Routes {
		if s.Track != 0 {
			m[s.Track] = true
		}
	}
	return m
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
			if w == "N" {
				n, err := strconv.Atoi(in[j])
				if err != nil || n < 0 {
					ok = false
					break
				}
				nums = append(nums, n)
			} else if !strings.HasPrefix(w, strings.ToLower(in[j])) {
				ok = false
				break
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

// execute runs one command line and returns its output.
func (d *daemon) execute(line string) string {
	in := strings.Fields(line)
	if len(in) == 0 {
		return ""
	}
	c, nums, err := match(in)
	if err != nil {
		return err.Error() + "\n"
	}
	var buf bytes.Buffer
	if err := c.run(d, &buf, nums); err != nil {
		buf.WriteString(err.Error() + "\n")
	}
	return buf.String()
}

type controlServer struct {
	ln   net.Listener
	path string
}

func listenControl(path string, d *daemon) (*controlServer, error) {
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
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, err
	}
	s := &controlServer{ln: ln, path: path}
	go s.serve(d)
	return s, nil
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
			line, err := bufio.NewReader(io.LimitReader(c, 4096)).ReadString('\n')
			if err != nil && line == "" {
				return
			}
			io.WriteString(c, d.execute(line))
		}()
	}
}

func (s *controlServer) Close() error {
	err := s.ln.Close()
	os.Remove(s.path)
	return err
}
