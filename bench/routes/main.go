// Command routes measures ipslad's route programming against `ip -batch`
// in a network namespace of its own (it needs root and iproute2): the time
// to install and to withdraw N /32 routes through route.Manager (one
// persistent netlink handle) and through `ip -batch` of the same routes,
// in alternating rounds of the same run; and the latency from a track
// decision (route.Evaluate of the statics after a track changes) until
// route.Manager.Set returns, i.e. the kernel has acknowledged the change.
// It prints medians, ranges and the rate ratio. See BENCHMARKS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/ipslad/ipslad/route"
	"github.com/vishvananda/netns"
)

func main() {
	sizes := flag.String("n", "1000,10000", "comma-separated route counts")
	rounds := flag.Int("rounds", 5, "rounds per size (alternating ipslad and ip -batch)")
	flips := flag.Int("flips", 2000, "track decisions for the latency measurement")
	foreign := flag.Int("foreign", 0, "also measure decisions with this many foreign routes (proto bgp) in the table, as with a full BGP feed")
	flag.Parse()
	if err := run(*sizes, *rounds, *flips, *foreign); err != nil {
		fmt.Fprintln(os.Stderr, "bench/routes:", err)
		os.Exit(1)
	}
}

func sh(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

func run(sizes string, rounds, flips, foreign int) error {
	name := fmt.Sprintf("ipslbench-%d", os.Getpid())
	if err := sh("ip", "netns", "add", name); err != nil {
		return err
	}
	defer sh("ip", "netns", "del", name)
	for _, c := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "ve0", "type", "veth", "peer", "name", "vp0"},
		{"link", "set", "ve0", "up"}, {"link", "set", "vp0", "up"},
		{"addr", "add", "10.0.0.1/24", "dev", "ve0"},
	} {
		if err := sh(append([]string{"ip", "-n", name}, c...)...); err != nil {
			return err
		}
	}
	ns, err := netns.GetFromName(name)
	if err != nil {
		return err
	}
	defer ns.Close()
	k, err := route.NewNetlinkAt(ns, route.DefaultProtocol)
	if err != nil {
		return err
	}
	defer k.Close()
	m := route.NewManager(k, nil)
	gw := netip.MustParseAddr("10.0.0.10")
	// As in ipslad: kernel notifications are watched (and drained here),
	// which lets decisions reuse the reading of interfaces and addresses.
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan route.Event, 1024)
	watched := make(chan error, 1)
	go func() { watched <- k.Watch(ctx, events) }()
	go func() {
		for range events {
		}
	}()
	defer func() {
		cancel()
		<-watched
	}()

	fmt.Printf("route programming, %d rounds per size (ns %s)\n", rounds, name)
	for _, f := range strings.Split(sizes, ",") {
		var n int
		if _, err := fmt.Sscan(f, &n); err != nil || n < 1 || n > 65536 {
			return fmt.Errorf("bad size %q", f)
		}
		routes := make([]route.Route, n)
		var add, del strings.Builder
		for i := range routes {
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{100, 64 + byte(i>>16), byte(i >> 8), byte(i)}), 32)
			routes[i] = route.Route{Prefix: p, Metric: 1, NextHops: []route.NextHop{{Gateway: gw}}}
			fmt.Fprintf(&add, "route add %s via %s proto 200 metric 1\n", p, gw)
			fmt.Fprintf(&del, "route del %s proto 200 metric 1\n", p)
		}
		batch := func(script string) (time.Duration, error) {
			cmd := exec.Command("ip", "-n", name, "-batch", "-")
			cmd.Stdin = strings.NewReader(script)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				return 0, fmt.Errorf("ip -batch: %v: %s", err, out)
			}
			return time.Since(start), nil
		}
		var mi, mw, bi, bw []time.Duration
		for range rounds {
			start := time.Now()
			if err := m.Set(routes); err != nil {
				return err
			}
			mi = append(mi, time.Since(start))
			start = time.Now()
			if err := m.Set(nil); err != nil {
				return err
			}
			mw = append(mw, time.Since(start))
			d, err := batch(add.String())
			if err != nil {
				return err
			}
			bi = append(bi, d)
			if d, err = batch(del.String()); err != nil {
				return err
			}
			bw = append(bw, d)
		}
		report := func(what string, ours, base []time.Duration) {
			o, b := median(ours), median(base)
			fmt.Printf("  %6d routes %-8s ipslad median %9v (%v..%v) %7.0f routes/s | ip -batch median %9v (%v..%v) %7.0f routes/s | ratio %.2fx\n",
				n, what, o.Round(time.Microsecond), minOf(ours).Round(time.Microsecond), maxOf(ours).Round(time.Microsecond),
				float64(n)/o.Seconds(), b.Round(time.Microsecond), minOf(base).Round(time.Microsecond), maxOf(base).Round(time.Microsecond),
				float64(n)/b.Seconds(), b.Seconds()/o.Seconds())
		}
		report("install", mi, bi)
		report("withdraw", mw, bw)
	}

	if err := decisions(m, k, gw, flips, "empty table"); err != nil {
		return err
	}
	if foreign > 0 {
		var b strings.Builder
		for i := range foreign {
			fmt.Fprintf(&b, "route add 100.%d.%d.%d/32 via %s proto bgp metric 20\n", 128+(i>>16)&63, (i>>8)&255, i&255, gw)
		}
		cmd := exec.Command("ip", "-n", name, "-batch", "-")
		cmd.Stdin = strings.NewReader(b.String())
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("adding foreign routes: %v: %s", err, out)
		}
		if err := decisions(m, k, gw, flips, fmt.Sprintf("%d foreign routes in the table", foreign)); err != nil {
			return err
		}
	}
	return nil
}

// decisions measures track decision -> kernel: a tracked primary pair
// forming an ECMP route; each flip of a track re-evaluates and sets the
// routes (one next hop removed or added: one in-place replace).
func decisions(m *route.Manager, k *route.Netlink, gw netip.Addr, flips int, what string) error {
	statics := []route.Static{
		{Prefix: netip.MustParsePrefix("192.0.2.53/32"), NextHop: gw, Distance: 1, Track: 1},
		{Prefix: netip.MustParsePrefix("192.0.2.53/32"), NextHop: netip.MustParseAddr("10.0.0.20"), Distance: 1, Track: 2},
	}
	var lat []time.Duration
	for i := range flips {
		down := i%2 == 0
		up := func(t int) bool { return t == 1 || !down }
		start := time.Now()
		desired, _ := route.Evaluate(statics, up, k)
		if err := m.Set(desired); err != nil {
			return err
		}
		lat = append(lat, time.Since(start))
	}
	if err := m.Set(nil); err != nil {
		return err
	}
	slices.Sort(lat)
	fmt.Printf("track decision -> kernel (Evaluate with next-hop resolution + Set, ECMP next hop removed/added), %d decisions, %s:\n", flips, what)
	fmt.Printf("  median %v, p90 %v, p99 %v, min %v, max %v\n",
		median(lat).Round(100*time.Nanosecond), lat[len(lat)*9/10].Round(100*time.Nanosecond),
		lat[len(lat)*99/100].Round(100*time.Nanosecond), lat[0].Round(100*time.Nanosecond), lat[len(lat)-1].Round(100*time.Nanosecond))
	return nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minOf(d []time.Duration) time.Duration { return slices.Min(d) }
func maxOf(d []time.Duration) time.Duration { return slices.Max(d) }
