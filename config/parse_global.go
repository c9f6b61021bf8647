package config

import "strings"

// globalMode is global configuration. It knows every line: what is not
// ipslad's is another IOS feature's, and skipped.
type globalMode struct{}

func (globalMode) command(p *parser) bool {
	switch p.kw(0) {
	case "ip":
		switch p.kw(1) {
		case "sla":
			p.ipSLA()
		case "route":
			p.route(false)
		default:
			p.foreign()
		}
	case "ipv6":
		if p.kw(1) == "route" {
			p.route(true)
		} else {
			p.foreign()
		}
	case "track":
		p.track()
	case "ipslad":
		p.backendLine()
	case "banner":
		p.banner()
	case "end":
		p.modes, p.moved = p.modes[:1], true
	case "exit":
		// Leaves configuration mode on IOS; nothing to do in a file.
	default:
		p.foreign()
	}
	return true
}

// skipMode swallows the sub-commands of a block ipslad does not read:
// another IOS feature's block (interface, router bgp, ...), the indented
// lines of an unknown command, or the rest of an ipslad block whose first
// line was refused.
type skipMode struct {
	indent int  // of the line that opened the block
	known  bool // a known block: its unindented sub-commands belong to it too
	failed bool // the block of a refused line: not counted as skipped
	family bool // an address-family block, closed by exit-address-family
}

func (m *skipMode) command(p *parser) bool {
	kw := p.kw(0)
	switch {
	case p.own(p.ln.indent > m.indent):
		return false
	case kw == "exit":
		p.exit()
	case kw == "exit-address-family" && m.family:
		p.exit()
	case kw == "address-family" && !p.neg:
		p.enter(&skipMode{indent: p.ln.indent, known: true, failed: m.failed, family: true})
	case p.ln.indent > m.indent:
	case !m.known:
		return false
	case p.escapes():
		return false
	}
	if m.failed {
		p.skipped = true
	} else {
		p.skip()
	}
	return true
}

// foreign handles a global line that is not ipslad's: a look-alike of an
// ipslad command is an error, a known IOS command is skipped with its
// block, and an unknown one is skipped with its indented lines and a
// warning.
func (p *parser) foreign() {
	if want := lookalike(p.args); want != "" {
		p.errorf(p.ln.pos, "unknown command %q: did you mean %q?", commandName(p.args), want)
		p.fail()
		return
	}
	p.skip()
	known, block := globalCommand(p.args)
	switch {
	case !known && (p.kw(0) == "ip" || p.kw(0) == "ipv6"):
		// IOS has hundreds of ip commands; these few open blocks.
		block = p.kw(1) == "dhcp" || p.kw(1) == "router" || p.kw(1) == "explicit-path"
	case !known:
		p.warnf(p.ln.pos, "unknown command %q ignored, with its indented lines", commandName(p.args))
		p.enter(&skipMode{indent: p.ln.indent})
		return
	}
	if block && !p.neg && !p.def {
		p.enter(&skipMode{indent: p.ln.indent, known: true})
	}
}

// commandName is the first word of a command, two for ip and ipv6 ones.
func commandName(args []word) string {
	name := args[0].text
	if kw := strings.ToLower(name); (kw == "ip" || kw == "ipv6") && len(args) > 1 {
		name += " " + args[1].text
	}
	return name
}

// bannerTypes are the words that may follow `banner` before the delimiter.
var bannerTypes = map[string]bool{
	"motd": true, "login": true, "exec": true, "incoming": true, "slip-ppp": true,
	"prompt-timeout": true, "config-save": true,
}

// banner skips `banner [TYPE] cTEXTc`: the delimiter c is the first
// character after the type, and the text runs to the next c, possibly many
// lines later (show running-config prints Ctrl-C as "^C", so c is '^').
func (p *parser) banner() {
	p.skip()
	if p.neg || p.def {
		return
	}
	rest := p.ln.text[p.args[0].end-1:]
	rest = strings.TrimLeft(rest, " \t")
	if len(p.args) > 1 && bannerTypes[p.kw(1)] {
		rest = strings.TrimLeft(p.ln.text[p.args[1].end-1:], " \t")
	}
	if rest == "" {
		p.warnf(p.ln.pos, "banner without a delimiter ignored")
		return
	}
	delim := rest[0]
	if strings.IndexByte(rest[1:], delim) >= 0 {
		return
	}
	for n := p.ln.pos.Line; n < len(p.raw); n++ {
		if strings.IndexByte(p.raw[n], delim) >= 0 {
			p.skipTo = n + 1
			return
		}
	}
	p.errorf(p.ln.pos, "banner: no closing %q delimiter: the rest of the file would be banner text", delim)
	p.skipTo = len(p.raw)
}
