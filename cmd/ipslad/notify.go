package main

import (
	"net"
	"os"
	"strconv"
	"time"
)

// notifier speaks systemd's sd_notify protocol: one datagram of
// "KEY=VALUE" lines to the socket named by $NOTIFY_SOCKET (Type=notify
// services). It is a no-op when the variable is not set.
type notifier struct {
	addr string // "" when not run by systemd
}

func newNotifier() notifier { return notifier{addr: os.Getenv("NOTIFY_SOCKET")} }

// notify sends state, e.g. "READY=1" or "WATCHDOG=1".
func (n notifier) notify(state string) error {
	if n.addr == "" {
		return nil
	}
	addr := n.addr
	if addr[0] == '@' { // abstract namespace
		addr = "\x00" + addr[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// watchdogEvery is how often to send WATCHDOG=1: half of $WATCHDOG_USEC
// (WatchdogSec= in the unit), or 0 when the watchdog is off or meant for
// another process ($WATCHDOG_PID).
func watchdogEvery() time.Duration {
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 2
}

// watchdogTicks returns a channel that ticks at the watchdog interval, nil
// (never ready) when there is no watchdog, and a stop function.
func watchdogTicks() (<-chan time.Time, func()) {
	every := watchdogEvery()
	if every <= 0 {
		return nil, func() {}
	}
	t := time.NewTicker(every)
	return t.C, t.Stop
}
