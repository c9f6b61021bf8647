package config

import "strings"

// The lexer is line oriented: IOS commands never span lines (banners are
// handled by the parser, from the raw text). It turns a file into lines of
// words with their columns, dropping blank lines and comments.

// word is one blank-separated token. A word that starts with a double quote
// runs to the next double quote and is one word without its quotes.
type word struct {
	text string
	col  int // column of the first byte (the opening quote, if quoted)
	end  int // column just past the last byte
}

// line is one non-empty, non-comment line of a file.
type line struct {
	pos    Pos    // of the first word
	indent int    // leading blanks, in bytes
	text   string // the raw text, for banners
	words  []word // never empty

	// err is a lexical error. It is reported only if the line is parsed as a
	// command: the same text inside a banner or a skipped block is harmless.
	err *Error
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }

// lex splits src into lines. Lines holding only blanks or a comment are
// dropped; a comment is a word starting with "!" and runs to the end of the
// line.
func lex(file string, src []byte) []line {
	var lines []line
	for i, text := range strings.Split(string(src), "\n") {
		text = strings.TrimSuffix(text, "\r")
		if l := lexLine(Pos{File: file, Line: i + 1}, text); len(l.words) > 0 {
			lines = append(lines, l)
		}
	}
	return lines
}

func lexLine(pos Pos, text string) line {
	l := line{text: text}
	i := 0
	for i < len(text) && isBlank(text[i]) {
		i++
	}
	l.indent = i
	for i < len(text) {
		if isBlank(text[i]) {
			i++
			continue
		}
		start := i
		var w string
		switch text[i] {
		case '!':
			i = len(text)
			continue
		case '"':
			n := strings.IndexByte(text[i+1:], '"')
			if n < 0 {
				l.err = &Error{Pos: Pos{pos.File, pos.Line, start + 1}, Msg: "unterminated quoted string"}
				w, i = text[i+1:], len(text)
			} else {
				w, i = text[i+1:i+1+n], i+n+2
			}
		default:
			for i < len(text) && !isBlank(text[i]) {
				i++
			}
			w = text[start:i]
		}
		l.words = append(l.words, word{text: w, col: start + 1, end: i + 1})
	}
	if len(l.words) > 0 {
		l.pos = Pos{pos.File, pos.Line, l.words[0].col}
	}
	return l
}
