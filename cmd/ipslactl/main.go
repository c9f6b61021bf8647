// Command ipslactl shows ipslad's state the way IOS does
// (`ipslactl show ip sla statistics`, `ipslactl show track brief`).
//
// It sends one command line to the daemon's control socket and prints the
// answer; words may be abbreviated to any unique prefix, a line ending in
// "?" lists the words that may follow, and --json asks for the same answer
// as JSON. Run with no command on a terminal, it is an interactive prompt
// with history (arrow keys), Tab completion and "?" help, as in vtysh.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

const usage = `usage: ipslactl [-s SOCKET] [--json] [COMMAND...]

Without COMMAND: an interactive prompt (Tab completes, ? lists the next
words, Up/Down recall history, "exit" or Ctrl-D leaves). With standard input
not a terminal, each input line is one command.

Commands (words may be abbreviated, as on IOS: "sh ip sla sum"; end a line
with ? for help: "ipslactl show ip sla ?"):
  show ip sla summary
  show ip sla statistics [N] [details]
  show ip sla statistics aggregated [N] [details]
  show ip sla group schedule
  show ip sla configuration [N]
  show ip sla application
  show track [N | brief | summary]
  show ip route track-table
  show ip static route
  show running-config
  show debugging
  clear ip sla counters          (root)
  ip sla restart N               (root) restart an active entry: clear its statistics, start now
  reload                         (root) re-read the configuration file
  debug all | undebug all        (root) log level debug / back to -log-level

Every command answers JSON with --json. An error (text starting with "%",
or JSON {"error": "..."}) makes ipslactl exit 1.

flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ipslactl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sock := fs.String("s", "/run/ipslad/ipslad.sock", "ipslad control socket `path`")
	fs.StringVar(sock, "socket", "/run/ipslad/ipslad.sock", "the same as -s (ipslad's flag name)")
	asJSON := fs.Bool("json", false, "answer in JSON")
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	c := client{socket: *sock, json: *asJSON}
	if fs.NArg() > 0 {
		return c.one(strings.Join(fs.Args(), " "), stdout, stderr)
	}
	if term.IsTerminal(int(stdin.Fd())) {
		return c.interactive(stdin, stderr)
	}
	status := 0
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "!") || strings.HasPrefix(line, "#") {
			continue
		}
		if c.one(line, stdout, stderr) != 0 {
			status = 1
		}
	}
	return status
}

type client struct {
	socket string
	json   bool
}

// ask sends one line and returns the daemon's answer.
func (c client) ask(line string) (string, error) {
	conn, err := net.DialTimeout("unix", c.socket, 5*time.Second)
	if err != nil {
		return "", fmt.Errorf("%v (is ipslad running, and are you root or in its -socket-group?)", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := fmt.Fprintln(conn, line); err != nil {
		return "", err
	}
	out, err := io.ReadAll(conn)
	return string(out), err
}

// request is the line sent for what the user typed.
func (c client) request(line string) string {
	if c.json && !strings.HasSuffix(line, "?") {
		return line + " | json"
	}
	return line
}

// one runs a command and returns the exit status.
func (c client) one(line string, stdout, stderr io.Writer) int {
	out, err := c.ask(c.request(line))
	io.WriteString(stdout, out)
	if err != nil {
		fmt.Fprintf(stderr, "ipslactl: %v\n", err)
		return 1
	}
	if failed(out) {
		return 1
	}
	return 0
}

// failed reports whether an answer is an error: IOS text starting with
// "%", or JSON {"error": ...}.
func failed(out string) bool {
	return strings.HasPrefix(out, "%") || strings.HasPrefix(out, `{"error"`)
}

func (c client) interactive(stdin *os.File, stderr io.Writer) int {
	fd := int(stdin.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		fmt.Fprintf(stderr, "ipslactl: %v\n", err)
		return 1
	}
	defer term.Restore(fd, old)
	prompt := "ipslad> "
	if os.Geteuid() == 0 {
		prompt = "ipslad# "
	}
	rw := struct {
		io.Reader
		io.Writer
	}{stdin, os.Stdout}
	t := term.NewTerminal(rw, prompt)
	t.AutoCompleteCallback = func(line string, pos int, key rune) (string, int, bool) {
		switch key {
		case '\t':
			help, err := c.ask(line[:pos] + "?")
			if err != nil {
				return "", 0, false
			}
			nl, show := complete(line[:pos], candidates(help))
			if len(show) > 1 {
				fmt.Fprintln(t, strings.Join(show, "  "))
			}
			return nl + line[pos:], len(nl), true
		case '?':
			help, err := c.ask(line[:pos] + "?")
			if err != nil {
				help = "% " + err.Error() + "\n"
			}
			fmt.Fprintf(t, "%s%s\n", prompt+line[:pos]+"?\n", strings.TrimRight(help, "\n"))
			return line, pos, true
		}
		return "", 0, false
	}
	for {
		line, err := t.ReadLine()
		if err != nil { // Ctrl-D or the terminal went away
			fmt.Fprintln(t)
			return 0
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case line == "exit" || line == "quit" || line == "end":
			return 0
		}
		out, err := c.ask(c.request(line))
		if err != nil {
			out = "% " + err.Error() + "\n"
		}
		t.Write([]byte(out))
	}
}

// candidates are the keywords in a `?` answer: the first word of each
// line, without number ranges ("<1-1000>"), "<cr>" and error lines.
func candidates(help string) []string {
	var out []string
	for _, l := range strings.Split(help, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "<") || strings.HasPrefix(f[0], "%") {
			continue
		}
		out = append(out, f[0])
	}
	return out
}

// complete is Tab: given the line up to the cursor and the keywords that
// may stand at the word being typed, it returns the new line and, when
// the choice is not unique, the keywords to show. A unique keyword
// replaces the partial word and is followed by a space; several are
// completed as far as their common prefix goes.
func complete(line string, cands []string) (string, []string) {
	start := strings.LastIndexAny(line, " \t") + 1
	partial := line[start:]
	var match []string
	for _, c := range cands {
		if strings.HasPrefix(c, strings.ToLower(partial)) {
			match = append(match, c)
		}
	}
	switch len(match) {
	case 0:
		return line, nil
	case 1:
		return line[:start] + match[0] + " ", nil
	}
	common := match[0]
	for _, m := range match[1:] {
		for !strings.HasPrefix(m, common) {
			common = common[:len(common)-1]
		}
	}
	if len(common) < len(partial) {
		common = partial
	}
	return line[:start] + common, match
}
