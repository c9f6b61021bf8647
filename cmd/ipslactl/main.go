// Command ipslactl shows ipslad's state the way IOS does
// (`ipslactl show ip sla statistics`, `ipslactl show track brief`).
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	sock := flag.String("s", "/run/ipslad/ipslad.sock", "ipslad control socket `path`")
	flag.Usage = func() {
		fmt.Fprint(os.Stderr, `usage: ipslactl [-s SOCKET] COMMAND...

commands (words may be abbreviated, as on IOS: "sh ip sla sum"):
  show ip sla statistics [N] [details]
  show ip sla summary
  show track [N | brief]
  show ip route track-table
  show running-config
  clear ip sla counters
  reload
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	c, err := net.DialTimeout("unix", *sock, 5*time.Second)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ipslactl: %v (is ipslad running?)\n", err)
		os.Exit(1)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := fmt.Fprintln(c, strings.Join(flag.Args(), " ")); err != nil {
		fmt.Fprintf(os.Stderr, "ipslactl: %v\n", err)
		os.Exit(1)
	}
	out, err := io.ReadAll(c)
	os.Stdout.Write(out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ipslactl: %v\n", err)
		os.Exit(1)
	}
	if strings.HasPrefix(string(out), "%") {
		os.Exit(1)
	}
}
