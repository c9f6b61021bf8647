// Package nsdconf writes the nsd.conf of the real authoritative servers the
// bench commands run (integration/nsd_test.go keeps its own, test-only
// copy): port 53 on the given addresses, one server process, every state
// file in one directory, no chroot or user change, and response rate
// limiting off so that a benchmark's query rate is never throttled.
package nsdconf

import (
	"fmt"
	"strings"
)

// Config returns nsd.conf for a server listening on addrs, with its files
// in dir and one zone, origin, read from dir/zonefile.
func Config(dir string, addrs []string, origin, zonefile string) string {
	var b strings.Builder
	b.WriteString("server:\n")
	for _, a := range addrs {
		fmt.Fprintf(&b, "  ip-address: %s\n", a)
	}
	fmt.Fprintf(&b, `  port: 53
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: %[1]q
  database: ""
  zonelistfile: "%[1]s/zone.list"
  xfrdfile: "%[1]s/xfrd.state"
  xfrdir: %[1]q
  pidfile: "%[1]s/nsd.pid"
  logfile: "%[1]s/nsd.log"
  hide-version: yes
  reuseport: no
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: %[2]q
  zonefile: %[3]q
`, dir, origin, zonefile)
	return b.String()
}
