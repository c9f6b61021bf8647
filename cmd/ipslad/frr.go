package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"

	"github.com/ipslad/ipslad/config"
	"github.com/ipslad/ipslad/frr"
	"github.com/ipslad/ipslad/route"
)

// staticsAware is a route backend that needs the configured statics (the
// FRR backend, for their tags).
type staticsAware interface {
	SetStatics([]route.Static)
}

// frrBackend returns the FRR backend the configuration asks for.
func frrBackend(o options, be config.RouteBackend) (*frr.Backend, error) {
	cli, err := frr.Vtysh(o.vtysh, be.Pathspace, frr.DefaultTimeout)
	if err != nil {
		return nil, err
	}
	return frr.NewBackend(cli, frr.Tags{Low: be.TagLow, High: be.TagHigh})
}

// routeKernel returns where the daemon puts its routes: k (the Linux
// kernel), or FRR's staticd with `ipslad route backend frr`.
func routeKernel(o options, cfg *config.Config, k route.Kernel) (route.Kernel, error) {
	if !cfg.RouteBackend.FRR {
		return k, nil
	}
	b, err := frrBackend(o, cfg.RouteBackend)
	if err != nil {
		return nil, err
	}
	fk := frr.NewKernel(b)
	fk.SetStatics(cfg.Routes)
	return fk, nil
}

// flushFRR removes ipslad's statics from FRR when the configuration file
// (ipslad --flush -f FILE) uses the FRR backend.
func flushFRR(o options, stderr io.Writer) int {
	cfg, err := config.Load(o.file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if !cfg.RouteBackend.FRR {
		return 0
	}
	b, err := frrBackend(o, cfg.RouteBackend)
	if err != nil {
		fmt.Fprintf(stderr, "ipslad: flush: %v\n", err)
		return 1
	}
	if _, err := b.Flush(context.Background()); err != nil {
		fmt.Fprintf(stderr, "ipslad: flush: %v\n", err)
		return 1
	}
	return 0
}

// frrConfig is `ipslad frr-config -f FILE [-asn N]`: it prints the FRR
// configuration that exports exactly the configuration's tracked prefixes.
func frrConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ipslad frr-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "configuration `file`")
	asn := fs.Uint("asn", 0, "BGP `AS` number of the router bgp block (0: print the redistribute lines as comments)")
	name := fs.String("name", "IPSLAD", "`prefix` of the prefix-list and route-map names")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *file == "" || fs.NArg() > 0 || *asn > 4294967295 {
		fmt.Fprintln(stderr, "usage: ipslad frr-config -f FILE [-asn N] [-name PREFIX]")
		return 2
	}
	cfg, err := config.Load(*file)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var prefixes []netip.Prefix
	tags := map[uint32]bool{}
	for _, s := range cfg.Routes {
		if s.Track != 0 {
			prefixes = append(prefixes, s.Prefix)
			tags[s.Tag] = true
		}
	}
	if len(prefixes) == 0 {
		fmt.Fprintf(stderr, "ipslad frr-config: %s has no tracked route\n", *file)
		return 1
	}
	source, tag := "kernel", uint32(0)
	if cfg.RouteBackend.FRR {
		source = "static"
		if len(tags) == 1 {
			for t := range tags {
				tag = t
			}
		}
	}
	out, err := frr.Snippet(prefixes, source, tag, uint32(*asn), *name)
	if err != nil {
		fmt.Fprintf(stderr, "ipslad frr-config: %v\n", err)
		return 1
	}
	io.WriteString(stdout, out)
	return 0
}

// showFRR is `show ip route track-table frr` (ipslad extension): for each
// tracked static, its track state and what FRR made of its prefix: in
// zebra's RIB, selected, installed in the kernel, and advertised by bgpd.
func showFRR(d *daemon, _ []int) (reply, error) {
	fk, ok := d.kernel.(*frr.Kernel)
	if !ok {
		return reply{}, fmt.Errorf("%% FRR read-back needs `ipslad route backend frr`")
	}
	type row struct {
		Route      string `json:"route"`
		Track      int    `json:"track"`
		State      string `json:"state"`
		InRIB      bool   `json:"in_rib"`
		Selected   bool   `json:"selected"`
		Installed  bool   `json:"installed"`
		Protocol   string `json:"protocol,omitempty"`
		Advertised bool   `json:"advertised"`
	}
	var tracked []route.Static
	var prefixes []netip.Prefix
	for _, s := range d.config().Routes {
		if s.Track != 0 {
			tracked = append(tracked, s)
			prefixes = append(prefixes, s.Prefix)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*frr.DefaultTimeout)
	defer cancel()
	st, err := fk.Backend().State(ctx, prefixes)
	if err != nil {
		return reply{}, fmt.Errorf("%% reading FRR: %v", err)
	}
	rows := make([]row, len(tracked))
	for i, s := range tracked {
		state := "down"
		if d.table.Up(s.Track) {
			state = "up"
		}
		p := st[i]
		rows[i] = row{s.String(), s.Track, state, p.InRIB, p.Selected, p.Installed, p.Protocol, p.Advertised}
	}
	return reply{func(w io.Writer) {
		yes := func(b bool, word string) string {
			if b {
				return word
			}
			return "not " + word
		}
		for _, r := range rows {
			fmt.Fprintf(w, " %s state is [%s]\n", r.Route, r.State)
			if !r.InRIB {
				fmt.Fprintf(w, "   zebra: not in the RIB; bgp: %s\n", yes(r.Advertised, "advertised"))
				continue
			}
			fmt.Fprintf(w, "   zebra: %s, %s, %s; bgp: %s\n", r.Protocol, yes(r.Selected, "selected"),
				yes(r.Installed, "installed"), yes(r.Advertised, "advertised"))
		}
	}, rows}, nil
}
