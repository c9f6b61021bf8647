package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFRRConfigCommand(t *testing.T) {
	tests := []struct {
		name, cfg string
		args      []string
		code      int
		want      []string // lines expected in stdout (or stderr when code != 0)
	}{
		{
			name: "kernel backend",
			cfg: "track 1 ip sla 1\nip route 192.0.2.53 255.255.255.255 10.0.0.10 track 1\n" +
				"ipv6 route 2001:db8::53/128 fd00::10 track 1\nip route 0.0.0.0 0.0.0.0 10.0.0.1\n",
			args: []string{"-asn", "65001"},
			want: []string{"ip prefix-list IPSLAD-V4 seq 5 permit 192.0.2.53/32", "ipv6 prefix-list IPSLAD-V6 seq 5 permit 2001:db8::53/128",
				"router bgp 65001", "  redistribute kernel route-map IPSLAD-V4", "  redistribute kernel route-map IPSLAD-V6"},
		},
		{
			name: "frr backend matches the tag",
			cfg:  "ipslad route backend frr\ntrack 1 ip sla 1\nip route 192.0.2.53 255.255.255.255 10.0.0.10 tag 64001 track 1\n",
			args: []string{"-name", "DNS"},
			want: []string{"route-map DNS-V4 permit 10", " match tag 64001", "! router bgp ASN", "!   redistribute static route-map DNS-V4"},
		},
		{
			name: "no tracked route",
			cfg:  "ip route 0.0.0.0 0.0.0.0 10.0.0.1\n",
			code: 1,
			want: []string{"has no tracked route"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "t.cfg")
			if err := os.WriteFile(file, []byte(tt.cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"frr-config", "-f", file}, tt.args...), &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			out := stdout.String()
			if code != 0 {
				out = stderr.String()
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w+"\n") && !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if code == 0 && strings.Contains(out, "0.0.0.0/0") {
				t.Errorf("untracked route exported:\n%s", out)
			}
		})
	}
}
