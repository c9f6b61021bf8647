package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestNotify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	if err := newNotifier().notify("READY=1"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	ln.SetDeadline(time.Now().Add(5 * time.Second))
	n, err := ln.Read(buf)
	if err != nil || string(buf[:n]) != "READY=1" {
		t.Fatalf("got %q, %v", buf[:n], err)
	}

	t.Setenv("NOTIFY_SOCKET", "")
	if err := newNotifier().notify("READY=1"); err != nil {
		t.Errorf("without NOTIFY_SOCKET: %v", err)
	}
}

func TestWatchdogEvery(t *testing.T) {
	for _, tc := range []struct {
		name, usec, pid string
		want            time.Duration
	}{
		{"off", "", "", 0},
		{"half", "20000000", "", 10 * time.Second},
		{"our pid", "2000000", strconv.Itoa(os.Getpid()), time.Second},
		{"other pid", "2000000", "1", 0},
		{"garbage", "x", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("WATCHDOG_USEC", tc.usec)
			t.Setenv("WATCHDOG_PID", tc.pid)
			if got := watchdogEvery(); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDaemonNotifies runs the daemon under a fake systemd: READY=1 once
// up, WATCHDOG=1 from the event loop at half of WATCHDOG_USEC (none while
// the loop is stuck), STOPPING=1 at the end.
func TestDaemonNotifies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", "100000")
	t.Setenv("WATCHDOG_PID", "")
	d := testDaemon(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	read := func() string {
		buf := make([]byte, 64)
		ln.SetDeadline(time.Now().Add(5 * time.Second))
		n, err := ln.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:n])
	}
	if got := read(); got != "READY=1" {
		t.Errorf("first notification %q, want READY=1", got)
	}
	for range 3 {
		if got := read(); got != "WATCHDOG=1" {
			t.Errorf("notification %q, want WATCHDOG=1", got)
		}
	}
	// A stuck event loop stops feeding the watchdog, so systemd kills it.
	release := make(chan struct{})
	go d.inLoop(func() { <-release })
	time.Sleep(60 * time.Millisecond) // at most one ping already in flight
	ln.SetDeadline(time.Now().Add(400 * time.Millisecond))
	buf := make([]byte, 64)
	pings := 0
	for {
		if _, err := ln.Read(buf); err != nil {
			break
		}
		pings++
	}
	if pings > 1 {
		t.Errorf("%d watchdog pings while the event loop was stuck for 400 ms", pings)
	}
	close(release)
	if got := read(); got != "WATCHDOG=1" {
		t.Errorf("after the loop recovered: %q, want WATCHDOG=1", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for {
		if got := read(); got == "STOPPING=1" {
			break
		} else if got != "WATCHDOG=1" {
			t.Fatalf("notification %q, want STOPPING=1", got)
		}
	}
}
