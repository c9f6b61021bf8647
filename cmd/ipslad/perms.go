package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// unsafePaths names the paths whose permissions let users other than the
// daemon's change what it does: a world-writable configuration file, or a
// world-writable directory holding it or the control socket (where anyone
// could replace the file, or put their own socket in the daemon's place).
// ipslad warns about them at start; it runs as it is told. A directory
// with the sticky bit (such as /tmp) still counts: anyone may create the
// path before ipslad does.
func unsafePaths(file, socket string) []string {
	var out []string
	check := func(what, p string) {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o002 == 0 {
			return
		}
		mode := fi.Mode().Perm()
		if fi.Mode()&os.ModeSticky != 0 {
			mode |= 0o1000
		}
		out = append(out, fmt.Sprintf("%s %s is world-writable (mode %04o)", what, p, mode))
	}
	if file != "" {
		check("configuration file", file)
		check("configuration directory", filepath.Dir(file))
	}
	if socket != "" {
		check("control socket directory", filepath.Dir(socket))
	}
	return out
}

// capNetAdmin is CAP_NET_ADMIN's bit in /proc/PID/status CapEff.
const capNetAdmin = 12

// lacksNetAdmin reports whether the process runs without CAP_NET_ADMIN in
// its effective set, read from status (the text of /proc/self/status):
// then the kernel refuses every route ipslad installs. It reports false
// when status has no CapEff line.
func lacksNetAdmin(status string) bool {
	for l := range strings.Lines(status) {
		if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<capNetAdmin) == 0
		}
	}
	return false
}
