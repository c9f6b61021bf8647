package config

import "strings"

// Parse reads a Cisco IOS style configuration (see the package doc). On
// error it returns a nil Config and an ErrorList of every problem found.
func Parse(filename string, src []byte) (*Config, error) {
	p := &parser{
		b:     newBuilder(filename),
		raw:   strings.Split(string(src), "\n"),
		modes: []mode{globalMode{}},
	}
	for _, l := range lex(filename, src) {
		p.line(l)
	}
	return p.b.finish()
}

// parser runs lines through a stack of IOS configuration modes, the way the
// IOS CLI does: a line the current mode does not know is retried in the
// parent modes, so indentation is not needed. modes[0] is global
// configuration; `ip sla N` pushes ip-sla, its type line replaces that with
// ip-sla-dns, `track N ...` pushes track, `exit` pops and `end` clears.
//
//	global ─┬─ ip-sla ── (type line) ──▶ ip-sla-dns
//	        ├─ track
//	        └─ skip (other IOS features' blocks; blocks of failed lines)
type parser struct {
	b     *builder
	raw   []string // the source lines, for banners
	modes []mode

	// skipTo is the last line of a banner being skipped.
	skipTo int

	// The current line, with a leading "no" or "default" stripped into neg
	// or def, and i the next word to read.
	ln       line
	args     []word
	neg, def bool
	i        int

	// Set while a mode handles a line.
	level   int  // index of the mode in modes
	moved   bool // the handler changed modes
	skipped bool // the line was skipped, not read
}

// A mode handles the lines of one IOS configuration mode.
type mode interface {
	// command handles p's current line and reports whether the mode knows
	// it. When it returns false it must have changed nothing: the line is
	// then retried in the parent mode.
	command(p *parser) bool
}

func (p *parser) line(l line) {
	if l.pos.Line <= p.skipTo {
		p.b.skipped++
		return
	}
	p.ln, p.args, p.neg, p.def, p.skipped = l, l.words, false, false, false
	if len(p.args) > 1 {
		switch strings.ToLower(p.args[0].text) {
		case "no":
			p.neg, p.args = true, p.args[1:]
		case "default":
			p.def, p.args = true, p.args[1:]
		}
	}
	for i := len(p.modes) - 1; i >= 0; i-- {
		p.level, p.moved, p.i = i, false, 0
		if p.modes[i].command(p) {
			if !p.moved {
				// A parent mode took the line: IOS leaves the child modes.
				p.modes = p.modes[:i+1]
			}
			break
		}
	}
	if l.err != nil && !p.skipped {
		p.b.errs = append(p.b.errs, l.err)
	}
}

// enter pushes m as a child of the mode handling the line.
func (p *parser) enter(m mode) {
	p.modes, p.moved = append(p.modes[:p.level+1], m), true
}

// replace puts m in place of the mode handling the line (an ip sla type
// line turns config-ip-sla into config-ip-sla-dns).
func (p *parser) replace(m mode) {
	p.modes, p.moved = append(p.modes[:p.level], m), true
}

// exit leaves the mode handling the line.
func (p *parser) exit() {
	p.modes, p.moved = p.modes[:max(p.level, 1)], true
}

// fail enters a skip mode for the block of a line that was refused, so that
// its sub-commands do not add errors of their own.
func (p *parser) fail() {
	p.enter(&skipMode{indent: p.ln.indent, known: true, failed: true})
}

// skip marks the current line as belonging to another IOS feature.
func (p *parser) skip() {
	p.skipped = true
	p.b.skipped++
}

// kw returns word i of the line in lower case (IOS keywords are not case
// sensitive), or "" past the end.
func (p *parser) kw(i int) string {
	if i < len(p.args) {
		return strings.ToLower(p.args[i].text)
	}
	return ""
}

func (p *parser) more() bool { return p.i < len(p.args) }

func (p *parser) next() word {
	w := p.args[p.i]
	p.i++
	return w
}

func (p *parser) at(w word) Pos { return Pos{p.ln.pos.File, p.ln.pos.Line, w.col} }

// eol is the position just past the last word.
func (p *parser) eol() Pos { return Pos{p.ln.pos.File, p.ln.pos.Line, p.args[len(p.args)-1].end} }

func (p *parser) errorf(pos Pos, format string, args ...any) { p.b.errs.Add(pos, format, args...) }

func (p *parser) warnf(pos Pos, format string, args ...any) { p.b.warns.Add(pos, format, args...) }

// expect returns the next word, or reports "what: expected want, got end of
// line".
func (p *parser) expect(what, want string) (word, bool) {
	if !p.more() {
		p.errorf(p.eol(), "%s: expected %s, got end of line", what, want)
		return word{}, false
	}
	return p.next(), true
}

// expectWord reads the next word, which must be the keyword kw (in any
// case).
func (p *parser) expectWord(what, kw string) bool {
	w, ok := p.expect(what, kw)
	if !ok {
		return false
	}
	if !strings.EqualFold(w.text, kw) {
		p.errorf(p.at(w), "%s: expected %s, got %q", what, kw, w.text)
		return false
	}
	return true
}

// number reads the next word as an integer in lim.
func (p *parser) number(what string, lim limit) (int64, word, bool) {
	w, ok := p.expect(what, lim.String())
	if !ok {
		return 0, w, false
	}
	n, err := lim.parse(w.text)
	if err != nil {
		p.errorf(p.at(w), "%s: %v", what, err)
		return 0, w, false
	}
	return n, w, true
}

// address reads the next word as an IPv4 or IPv6 address.
func (p *parser) address(what string) (word, bool) {
	w, ok := p.expect(what, "an IPv4 or IPv6 address")
	if ok {
		if _, err := parseAddr(w.text); err != nil {
			p.errorf(p.at(w), "%s: %v", what, err)
			return w, false
		}
	}
	return w, ok
}

// done reports words left over at the end of a command.
func (p *parser) done(what string) bool {
	if p.more() {
		p.errorf(p.at(p.args[p.i]), "%s: unexpected %q", what, p.args[p.i].text)
		return false
	}
	return true
}

// rest returns the words from i on as one text, single-spaced.
func (p *parser) rest() string {
	texts := make([]string, 0, len(p.args)-p.i)
	for _, w := range p.args[p.i:] {
		texts = append(texts, w.text)
	}
	p.i = len(p.args)
	return strings.Join(texts, " ")
}

// escapes reports whether the line is a global command that leaves a block:
// one of ipslad's own, or another IOS feature's global command. Used by
// modes for lines they do not know.
func (p *parser) escapes() bool {
	if p.own(false) {
		return true
	}
	known, _ := globalCommand(p.args)
	return known
}

// own reports whether the line is one of ipslad's global commands, a
// look-alike of one, a banner or end: lines that no other block may swallow.
// With exact, track lines and look-alikes do not count: indented inside
// another feature's block they are that block's (VRRP's `track 1 decrement
// 10`), while no IOS sub-mode has an ip sla, ip route or banner command.
func (p *parser) own(exact bool) bool {
	switch p.kw(0) {
	case "banner", "end":
		return true
	case "track":
		return !exact
	case "ip":
		if p.kw(1) == "sla" || p.kw(1) == "route" {
			return true
		}
	case "ipv6":
		if p.kw(1) == "route" {
			return true
		}
	}
	return !exact && lookalike(p.args) != ""
}

// unknownSub handles a line that a mode of ipslad's own does not know. An
// indented line is taken as a mistyped sub-command and reported; any other
// line is retried in the parent modes, as IOS does.
func (p *parser) unknownSub(mode string, indent int) bool {
	if p.ln.indent <= indent || p.escapes() {
		return false
	}
	p.errorf(p.ln.pos, "unknown %s command %q", mode, p.args[0].text)
	return true
}
