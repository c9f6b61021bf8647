package config

import (
	"errors"
	"testing"
)

func TestPosString(t *testing.T) {
	for _, tc := range []struct {
		pos  Pos
		want string
	}{
		{Pos{"seed.cfg", 3, 12}, "seed.cfg:3:12"},
		{Pos{"seed.cfg", 3, 0}, "seed.cfg:3"},
		{Pos{"seed.cfg", 0, 0}, "seed.cfg"},
		{Pos{"", 3, 12}, "3:12"},
		{Pos{}, "-"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.pos.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestErrorList(t *testing.T) {
	var l ErrorList
	if l.Err() != nil {
		t.Error("empty list: Err() != nil")
	}
	l.Add(Pos{"b.cfg", 1, 1}, "third")
	l.Add(Pos{"a.cfg", 3, 12}, "frequency: expected seconds 1-604800, got %q", "0")
	l.Add(Pos{"a.cfg", 3, 2}, "first")
	l.Sort()
	want := "a.cfg:3:2: first\n" +
		`a.cfg:3:12: frequency: expected seconds 1-604800, got "0"` + "\n" +
		"b.cfg:1:1: third"
	if got := l.Error(); got != want {
		t.Errorf("Error():\n%s\nwant:\n%s", got, want)
	}
	var list ErrorList
	if err := l.Err(); !errors.As(err, &list) || len(list) != 3 {
		t.Errorf("Err() = %#v, want the list", err)
	}
	if got := l[0].Error(); got != "a.cfg:3:2: first" {
		t.Errorf("Error.Error() = %q", got)
	}
}
