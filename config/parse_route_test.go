package config

import (
	"strings"
	"testing"
)

func TestRouteBackendLine(t *testing.T) {
	tests := []struct {
		name, src string
		want      RouteBackend
		format    string // the line Format prints, "" for none
		err       string // substring of the error, "" for none
	}{
		{name: "default is the kernel", src: "ip route 192.0.2.53 255.255.255.255 10.0.0.10\n"},
		{name: "kernel", src: "ipslad route backend kernel\n"},
		{name: "frr defaults", src: "ipslad route backend frr\nip route 192.0.2.53 255.255.255.255 10.0.0.10 tag 64001\n",
			want:   RouteBackend{FRR: true, TagLow: 64000, TagHigh: 64999},
			format: "ipslad route backend frr"},
		{name: "frr options in any order", src: "ipslad route backend frr pathspace r1 tags 100-100\nip route 192.0.2.53 255.255.255.255 10.0.0.10 tag 100\n",
			want:   RouteBackend{FRR: true, TagLow: 100, TagHigh: 100, Pathspace: "r1"},
			format: "ipslad route backend frr tags 100-100 pathspace r1"},
		{name: "no form returns to the kernel", src: "ipslad route backend frr\nno ipslad route backend\n"},
		{name: "route without an owned tag", src: "ipslad route backend frr\nip route 192.0.2.53 255.255.255.255 10.0.0.10 tag 7\n",
			err: "t.cfg:2:1: ip route: with `ipslad route backend frr` every route needs a tag in 64000-64999"},
		{name: "bad backend", src: "ipslad route backend bird\n", err: "t.cfg:1:22: ipslad route backend: expected kernel or frr, got \"bird\""},
		{name: "bad range", src: "ipslad route backend frr tags 9-1\n", err: "t.cfg:1:31: ipslad route backend frr tags: expected LOW-HIGH"},
		{name: "tag 0", src: "ipslad route backend frr tags 0-5\n", err: "expected LOW-HIGH"},
		{name: "bad pathspace", src: "ipslad route backend frr pathspace ../x\n", err: "t.cfg:1:36: ipslad route backend frr pathspace: invalid name"},
		{name: "unknown option", src: "ipslad route backend frr vrf x\n", err: "t.cfg:1:26: ipslad route backend frr: expected tags or pathspace, got \"vrf\""},
		{name: "kernel takes no options", src: "ipslad route backend kernel tags 1-2\n", err: "unexpected \"tags\""},
		{name: "not a backend line", src: "ipslad foo\n", err: "t.cfg:1:1: ipslad: expected `ipslad route backend kernel|frr`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("t.cfg", []byte(tt.src))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.RouteBackend != tt.want {
				t.Errorf("backend %+v, want %+v", c.RouteBackend, tt.want)
			}
			out := Format(c)
			if tt.format != "" && !strings.Contains(out, tt.format+"\n") {
				t.Errorf("Format:\n%s\nwant the line %q", out, tt.format)
			}
			back, err := Parse("back.cfg", []byte(out))
			if err != nil {
				t.Fatalf("Format output does not parse: %v\n%s", err, out)
			}
			if !back.Equal(c) {
				t.Errorf("round trip changed the model:\n%s", out)
			}
		})
	}
}

func TestRouteBackendYAML(t *testing.T) {
	tests := []struct {
		name, src string
		want      RouteBackend
		err       string
	}{
		{name: "none", src: "routes: []\n"},
		{name: "kernel", src: "route-backend: {type: kernel}\n"},
		{name: "frr", src: "route-backend: {type: frr, tags: 5-9, pathspace: r1}\nroutes:\n  - {prefix: 192.0.2.53/32, next-hop: 10.0.0.10, tag: 5}\n",
			want: RouteBackend{FRR: true, TagLow: 5, TagHigh: 9, Pathspace: "r1"}},
		{name: "frr defaults", src: "route-backend: {type: frr}\n", want: RouteBackend{FRR: true, TagLow: 64000, TagHigh: 64999}},
		{name: "bad type", src: "route-backend: {type: bird}\n", err: "t.yaml:1:23: route-backend type: expected kernel or frr, got \"bird\""},
		{name: "tags with kernel", src: "route-backend: {type: kernel, tags: 1-2}\n", err: "t.yaml:1:37: route-backend: tags is for type frr"},
		{name: "bad tags", src: "route-backend: {type: frr, tags: x}\n", err: "t.yaml:1:34: route-backend tags: expected LOW-HIGH"},
		{name: "unknown key", src: "route-backend: {type: frr, vrf: x}\n", err: "unknown key \"vrf\""},
		{name: "route outside the range", src: "route-backend: {type: frr}\nroutes:\n  - {prefix: 192.0.2.53/32, next-hop: 10.0.0.10}\n",
			err: "t.yaml:3:5: ip route: with `ipslad route backend frr` every route needs a tag in 64000-64999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseYAML("t.yaml", []byte(tt.src))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.RouteBackend != tt.want {
				t.Errorf("backend %+v, want %+v", c.RouteBackend, tt.want)
			}
		})
	}
}
