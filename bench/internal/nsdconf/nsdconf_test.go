package nsdconf

import (
	"strings"
	"testing"
)

func TestConfig(t *testing.T) {
	c := Config("/tmp/d", []string{"192.0.2.53", "10.0.1.10"}, "example.com", "example.com.zone")
	for _, want := range []string{
		"server:\n  ip-address: 192.0.2.53\n  ip-address: 10.0.1.10\n  port: 53\n",
		`  zonesdir: "/tmp/d"` + "\n", `  pidfile: "/tmp/d/nsd.pid"` + "\n",
		"  rrl-ratelimit: 0\n",
		"zone:\n  name: \"example.com\"\n  zonefile: \"example.com.zone\"\n",
	} {
		if !strings.Contains(c, want) {
			t.Errorf("config lacks %q:\n%s", want, c)
		}
	}
}
