package frr_test

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ipslad/ipslad/config"
	"github.com/ipslad/ipslad/frr"
)

// fakeVtyshEnv makes the test binary a fake vtysh: it writes its
// arguments, as JSON, to the file the variable names, and exits.
const fakeVtyshEnv = "IPSLAD_FAKE_VTYSH_ARGV"

func TestMain(m *testing.M) {
	if out := os.Getenv(fakeVtyshEnv); out != "" {
		b, _ := json.Marshal(os.Args[1:])
		if err := os.WriteFile(out, b, 0o600); err != nil {
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// hostileNames are names an attacker or a typo could put where FRR takes a
// word: each must be refused before anything runs, or reach vtysh as one
// argv element, never through a shell.
var hostileNames = []struct{ name, s string }{
	{"space", "eth0 tag 1"},
	{"newline", "eth0\nno ip route 0.0.0.0/0 10.0.0.1"},
	{"carriage return", "eth0\rx"},
	{"double quote", `eth0"`},
	{"single quote", "eth0'"},
	{"semicolon", "eth0;reboot"},
	{"pipe", "eth0|id"},
	{"ampersand", "eth0&"},
	{"redirect", "eth0>x"},
	{"command substitution", "$(reboot)"},
	{"backquote", "`id`"},
	{"comment", "eth0#x"},
	{"option", "-c"},
	{"NUL", "eth0\x00"},
	{"path", "../x"},
	{"dot dot", ".."},
	{"too long", strings.Repeat("a", 65)},
}

// TestHostileNamesRefused feeds each hostile name through every way a name
// reaches vtysh: the configuration (Cisco style and YAML, as pathspace and
// as a route's interface with the FRR backend), the pathspace of Vtysh, and
// a static route's interface through Backend.Set. Each is refused with an
// error; no vtysh command carries it.
func TestHostileNamesRefused(t *testing.T) {
	for _, tc := range hostileNames {
		t.Run(tc.name, func(t *testing.T) {
			// The configuration: refused at load, with a position.
			yamlName, _ := json.Marshal(tc.s) // JSON strings are YAML
			for _, src := range []struct{ file, text string }{
				{"t.yaml", "route-backend: {type: frr, pathspace: " + string(yamlName) + "}\n"},
				{"t.yaml", "route-backend: {type: frr}\nroutes:\n  - {prefix: 192.0.2.0/24, interface: " + string(yamlName) + ", tag: 64001}\n"},
			} {
				if _, err := config.ParseYAML(src.file, []byte(src.text)); err == nil {
					t.Errorf("%s accepted:\n%s", src.file, src.text)
				} else if !strings.HasPrefix(err.Error(), src.file+":") {
					t.Errorf("%s: error without a position: %v", src.file, err)
				}
			}
			if !strings.ContainsAny(tc.s, " \t\r\n\x00") { // one word for the Cisco-style lexer
				for _, text := range []string{
					"ipslad route backend frr pathspace " + tc.s + "\n",
					"ipslad route backend frr\nip route 192.0.2.0 255.255.255.0 " + tc.s + " tag 64001\n",
				} {
					if _, err := config.Parse("t.cfg", []byte(text)); err == nil {
						t.Errorf("t.cfg accepted:\n%s", text)
					} else if !strings.HasPrefix(err.Error(), "t.cfg:") {
						t.Errorf("t.cfg: error without a position: %v", err)
					}
				}
			}

			// The frr package on its own, for callers other than the configuration.
			if _, err := frr.Vtysh("/bin/false", tc.s, 0); err == nil {
				t.Error("Vtysh accepted the pathspace")
			}
			var calls [][]string
			cli := func(_ context.Context, args ...string) (string, error) {
				calls = append(calls, args)
				return "", nil
			}
			b, err := frr.NewBackend(cli, frr.DefaultTags)
			if err != nil {
				t.Fatal(err)
			}
			st := frr.Static{Prefix: netip.MustParsePrefix("192.0.2.0/24"), Interface: tc.s, Tag: 64001}
			if _, err := b.Set(context.Background(), []frr.Static{st}); err == nil {
				t.Error("Backend.Set accepted the interface")
			}
			// Only reads ran: the hostile static was the only one desired.
			for _, args := range calls {
				if slices.Contains(args, "configure terminal") {
					t.Errorf("vtysh was run with %q", args)
				}
			}
		})
	}
}

// TestVtyshArgv runs a fake vtysh (this test binary) through Vtysh: each
// argument arrives as exactly one argv element, unchanged, and nothing in
// it is interpreted by a shell.
func TestVtyshArgv(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "argv.json")
	canary := filepath.Join(dir, "canary")
	t.Setenv(fakeVtyshEnv, out)
	cli, err := frr.Vtysh(self, "r1", 0)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-c", "show ip route; touch " + canary, "-c", "x$(touch " + canary + ")`touch " + canary + "`",
		"-c", "a\nb", "-c", `"quoted" 'single'`, "-c", "| touch " + canary, "-c", ""}
	if _, err := cli(context.Background(), args...); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if want := append([]string{"-N", "r1"}, args...); !slices.Equal(got, want) {
		t.Errorf("vtysh argv = %q, want %q", got, want)
	}
	if _, err := os.Stat(canary); err == nil {
		t.Error("a shell ran: the canary file exists")
	}
}
