package main

import (
	"slices"
	"testing"
)

func TestComplete(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		cands      []string
		want       string
		show       []string
	}{
		{"unique", "sh", []string{"show"}, "show ", nil},
		{"unique after words", "show ip s", []string{"sla", "static"}, "show ip s", []string{"sla", "static"}},
		{"common prefix", "show ip sla st", []string{"statistics"}, "show ip sla statistics ", nil},
		{"extend to common", "show ip sla ", []string{"statistics", "summary"}, "show ip sla s", []string{"statistics", "summary"}},
		{"nothing", "show x", nil, "show x", nil},
		{"case", "SH", []string{"show"}, "show ", nil},
		{"next word", "show ", []string{"debugging", "ip", "running-config", "track"}, "show ", []string{"debugging", "ip", "running-config", "track"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, show := complete(tc.line, tc.cands)
			if got != tc.want || !slices.Equal(show, tc.show) {
				t.Errorf("complete(%q, %q) = %q, %q; want %q, %q", tc.line, tc.cands, got, show, tc.want, tc.show)
			}
		})
	}
}

func TestCandidates(t *testing.T) {
	help := "  <1-2147483647>  Entry Number\n  details         Details\n  <cr>            \n"
	if got := candidates(help); !slices.Equal(got, []string{"details"}) {
		t.Errorf("got %q", got)
	}
	if got := candidates("% Unrecognized command: \"x\"\n"); got != nil {
		t.Errorf("got %q", got)
	}
}

func TestRequest(t *testing.T) {
	c := client{json: true}
	if got := c.request("show track"); got != "show track | json" {
		t.Errorf("got %q", got)
	}
	if got := c.request("show track ?"); got != "show track ?" {
		t.Errorf("got %q", got)
	}
}

func TestFailed(t *testing.T) {
	for out, want := range map[string]bool{
		"% Invalid input detected\n":                       true,
		`{"error":"Track object 5 does not exist"}` + "\n": true,
		"[\n  {\n":       false,
		"Track   Type\n": false,
		"":               false,
	} {
		if got := failed(out); got != want {
			t.Errorf("failed(%q) = %v", out, got)
		}
	}
}
