package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipslad/ipslad/config"
	"github.com/ipslad/ipslad/sla"
)

// maxAnswer bounds what one control request may produce: the longest
// honest answer for the fuzz configuration is a few kilobytes.
const maxAnswer = 64 << 10

// fuzzDaemon runs a daemon on a fake kernel and fake probes, with its
// event loop, so that state-changing commands (reload, track N set) run.
func fuzzDaemon(tb testing.TB) *daemon {
	tb.Helper()
	file := filepath.Join(tb.TempDir(), "test.cfg")
	src := twoSites + "track 200 stub-object\nip route 198.51.100.0 255.255.255.0 10.0.0.10 track 200\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		tb.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	probes := &switchable{code: map[string]sla.ReturnCode{"10.0.0.10": sla.CodeOK, "10.0.1.10": sla.CodeTimeout}}
	d := newDaemon(options{file: file, protocol: 200}, cfg, log, newFakeKernel(), probes.newProbe)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	return d
}

// checkAnswer checks the contract of executeAs for any line: an answer of
// bounded size; a refused line (no command, ambiguous, not root) answers
// with an error starting with "%" (or {"error": ...} for "| json"); a
// line that is not a command never changes state.
func checkAnswer(t *testing.T, line string, root bool, out string) {
	t.Helper()
	if len(out) > maxAnswer {
		t.Fatalf("%q: answer of %d bytes", line, len(out))
	}
	trimmed := strings.TrimRight(line, "\r\n")
	if strings.HasSuffix(trimmed, "?") {
		if out == "" {
			t.Fatalf("%q: help answered nothing", line)
		}
		if !strings.HasPrefix(out, "%") {
			for l := range strings.Lines(out) {
				if !strings.HasPrefix(l, "  ") {
					t.Fatalf("%q: help line %q", line, l)
				}
			}
		}
		return
	}
	asJSON := false
	if before, ok := strings.CutSuffix(strings.TrimSpace(trimmed), "| json"); ok {
		trimmed, asJSON = before, true
	}
	in := strings.Fields(trimmed)
	if len(in) == 0 {
		if out != "" {
			t.Fatalf("%q: empty line answered %q", line, out)
		}
		return
	}
	c, _, err := match(in)
	refused := err != nil || (c.root && !root)
	isError := strings.HasPrefix(out, "%")
	if asJSON {
		var v map[string]any
		if json.Unmarshal([]byte(out), &v) == nil {
			_, isError = v["error"]
		}
		if !json.Valid([]byte(out)) {
			t.Fatalf("%q: answer is not JSON: %q", line, out)
		}
	}
	if refused && !isError {
		t.Fatalf("%q (root %v): refused line answered %q, not an error", line, root, out)
	}
	if isError && !asJSON && !strings.HasSuffix(out, "\n") {
		t.Fatalf("%q: error without a newline: %q", line, out)
	}
}

// FuzzControl feeds arbitrary request lines to the control-socket
// dispatcher, as root and as a member of -socket-group.
func FuzzControl(f *testing.F) {
	for _, s := range []string{
		"show ip sla statistics", "sh ip sla st 101 d", "show ip sla summary | json",
		"show track brief", "sh tr 200", "show ip route track-table", "show ip static route",
		"show running-config", "show debugging", "show ip sla configuration 101",
		"show ip sla application", "show track summary", "show ip route track-table frr",
		"track 200 set up", "tr 200 set d", "track 101 set up", "reload", "clear ip sla counters",
		"debug all", "undebug all", "no debug all", "?", "show ?", "sh ip sla s?", "show track 1001",
		"show ip sla statistics 2147483648", "show ip sla statistics -1", "sh ip sla st 0x10",
		"| json", "  \t ", "show\x00track", "show track brief | json | json", "\xff\xfe",
		"show ip sla statistics 101 details extra", strings.Repeat("show ", 500),
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	d := fuzzDaemon(f)
	f.Fuzz(func(t *testing.T, line string, root bool) {
		if len(line) > 4096 {
			return // the socket reads at most 4096 bytes of a request
		}
		checkAnswer(t, line, root, d.executeAs(line, root))
	})
}

// TestControlHostileClients opens the real control socket to clients that
// send nothing, send no newline, send more than a request may hold, send
// binary, or hang up early: none of them blocks a well-behaved client,
// and the daemon answers each with at most one bounded reply.
func TestControlHostileClients(t *testing.T) {
	d := fuzzDaemon(t)
	path := filepath.Join(t.TempDir(), "ipslad.sock")
	s, err := listenControl(path, "", d)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dial := func() net.Conn {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	ask := func(line string) string {
		c := dial()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, line+"\n")
		b, _ := io.ReadAll(io.LimitReader(c, maxAnswer+1))
		return string(b)
	}
	// Idle clients, and one that never ends its line.
	for range 50 {
		dial()
	}
	dial().Write([]byte("show track brief"))
	// A request longer than the 4096 bytes read.
	long := dial()
	long.SetDeadline(time.Now().Add(5 * time.Second))
	go long.Write([]byte(strings.Repeat("show ", 1<<20)))
	r := bufio.NewReader(long)
	got, _ := io.ReadAll(io.LimitReader(r, maxAnswer+1))
	if len(got) > maxAnswer || !strings.HasPrefix(string(got), "%") {
		t.Errorf("1 MB request: %d bytes of answer starting %.40q", len(got), got)
	}
	// Binary, NUL and a client that hangs up before the answer.
	for _, line := range []string{"\x00\x01\x02", "\xff\xfe\xfd", "show\x00track"} {
		if out := ask(line); !strings.HasPrefix(out, "%") {
			t.Errorf("%q: %q", line, out)
		}
	}
	c := dial()
	io.WriteString(c, "show running-config\n")
	c.Close()
	// The well-behaved client is served meanwhile.
	for range 5 {
		if out := ask("show track brief"); !strings.Contains(out, "Track") {
			t.Fatalf("show track brief beside hostile clients: %q", out)
		}
	}
}
