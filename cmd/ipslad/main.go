// Command ipslad runs IOS-style IP SLA operations, evaluates track objects
// and installs the tracked static routes into the Linux kernel.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/ipslad/ipslad/config"
	"github.com/ipslad/ipslad/route"
	"github.com/ipslad/ipslad/sla"
)

const usage = `usage: ipslad -f FILE [flags]
       ipslad --flush [-f FILE]
       ipslad frr-config -f FILE [-asn N] [-name PREFIX]

ipslad reads a Cisco IOS style configuration (ip sla, track, ip route ...
track) or its YAML twin, runs the scheduled probes, evaluates the track
objects and installs the tracked static routes in the kernel, marked with
its own route protocol number. FRR can redistribute them as kernel routes.

flags:
`

type options struct {
	file       string
	check      bool
	flush      bool
	socket     string
	protocol   int
	keepRoutes bool
	vtysh      string // FRR backend: vtysh binary
	logFormat  string
	logLevel   string

	socketGroup   string         // group allowed to run show commands
	metricsListen string         // address of /metrics; "" = off
	level         *slog.LevelVar // the logger's level; `debug all` changes it
	baseLevel     slog.Level     // -log-level, restored by `undebug all`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "frr-config" {
		return frrConfig(args[1:], stdout, stderr)
	}
	var o options
	fs := flag.NewFlagSet("ipslad", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	fs.StringVar(&o.file, "f", "", "configuration `file` (.cfg: IOS style; .yaml/.yml: YAML)")
	fs.BoolVar(&o.check, "check", false, "validate the configuration, print every error as FILE:LINE:COL, exit 0 or 1")
	fs.BoolVar(&o.flush, "flush", false, "remove every kernel route of ipslad's route protocol and exit (dead-man's switch); with -f FILE of the FRR backend also ipslad's FRR statics")
	fs.StringVar(&o.socket, "socket", "/run/ipslad/ipslad.sock", "control socket `path` for ipslactl (empty: none)")
	fs.IntVar(&o.protocol, "route-protocol", route.DefaultProtocol, "kernel route protocol `number` that marks ipslad's routes")
	fs.StringVar(&o.vtysh, "vtysh", "/usr/bin/vtysh", "vtysh `path`, for `ipslad route backend frr` in the configuration")
	fs.BoolVar(&o.keepRoutes, "keep-routes", false, "on SIGTERM/SIGINT leave the routes in place (planned restart)")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&o.socketGroup, "socket-group", "", "`group` (name or number) that may run ipslactl show commands; reload, clear and debug stay root only")
	fs.StringVar(&o.metricsListen, "metrics-listen", "", "serve Prometheus metrics on `addr`ess (e.g. 127.0.0.1:9119) at /metrics; off when empty")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ipslad: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	o.level = new(slog.LevelVar)
	log, err := newLogger(stderr, o.logFormat, o.logLevel, o.level)
	if err != nil {
		fmt.Fprintf(stderr, "ipslad: %v\n", err)
		return 2
	}
	o.baseLevel = o.level.Level()
	if err := route.CheckProtocol(o.protocol); err != nil {
		fmt.Fprintf(stderr, "ipslad: -route-protocol: %v\n", err)
		return 2
	}

	if o.flush {
		k, err := route.OpenNetlink(o.protocol)
		if err != nil {
			fmt.Fprintf(stderr, "ipslad: %v\n", err)
			return 1
		}
		defer k.Close()
		if err := route.Flush(k); err != nil {
			fmt.Fprintf(stderr, "ipslad: flush: %v\n", err)
			return 1
		}
		if o.file != "" {
			return flushFRR(o, stderr)
		}
		return 0
	}

	if o.file == "" {
		fmt.Fprintln(stderr, "ipslad: -f FILE is required")
		fs.Usage()
		return 2
	}
	cfg, err := config.Load(o.file)
	if o.check {
		return check(o.file, cfg, err, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprintf(stderr, "ipslad: %s has errors; not starting\n", o.file)
		return 1
	}
	for _, w := range cfg.Warnings {
		log.Warn(w.Error())
	}
	for _, w := range unsafePaths(o.file, o.socket) {
		log.Warn(w + ": other users can change what ipslad does")
	}
	if status, err := os.ReadFile("/proc/self/status"); err == nil && lacksNetAdmin(string(status)) {
		log.Error("running without CAP_NET_ADMIN: the kernel will refuse every route (run as root, or grant CAP_NET_ADMIN and CAP_NET_RAW)")
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	k, err := route.OpenNetlink(o.protocol)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	defer k.Close()
	rk, err := routeKernel(o, cfg, k)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	d := newDaemon(o, cfg, log, rk, sla.NewProbe)
	if o.metricsListen != "" && rk == route.Kernel(k) {
		// Scrapes read the kernel over a handle of their own, never the
		// event loop's.
		mk, err := route.OpenNetlink(o.protocol)
		if err != nil {
			log.Error("cannot start", "err", err)
			return 1
		}
		defer mk.Close()
		d.metrics.kernel = mk
	}
	tm, err := route.NewTrackMonitor() // interface and route track objects
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	defer tm.Close()
	d.tracks = tm
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	d.hup = hup
	if err := d.run(ctx); err != nil {
		log.Error("stopped with error", "err", err)
		return 1
	}
	return 0
}

func check(file string, cfg *config.Config, err error, stdout, stderr io.Writer) int {
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "%s (warning)\n", w.Error())
	}
	fmt.Fprintf(stdout, "%s: OK: %d ip sla, %d track, %d ip route\n",
		file, len(cfg.Operations), len(cfg.Tracks), len(cfg.Routes))
	return 0
}

// newLogger returns the daemon's logger; lv gets the level, so that
// `ipslactl debug all` can change it while running.
func newLogger(w io.Writer, format, level string, lv *slog.LevelVar) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level: %v", err)
	}
	lv.Set(l)
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format: want text or json, got %q", format)
}
