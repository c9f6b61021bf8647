package integration

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipslad/ipslad/frr"
)

// frrBackendRouter is r's FRR config for the FRR route backend: statics
// with tag 64001 inside 192.0.2.0/24 are exported to p, matched by tag as
// on IOS (`redistribute static route-map` + `match tag`).
const frrBackendRouter = `frr defaults traditional
hostname r
route-map TAGGED permit 10
 match tag 64001
!
router bgp 65001
 bgp router-id 10.99.0.1
 no bgp ebgp-requires-policy
 timers bgp 1 3
 coalesce-time 0
 neighbor 10.99.0.2 remote-as 65002
 neighbor 10.99.0.2 timers connect 1
 neighbor 10.99.0.2 advertisement-interval 0
 address-family ipv4 unicast
  redistribute static route-map TAGGED
 exit-address-family
!
ip route 198.51.100.0/24 10.0.0.10 tag 7
`

// TestFRRBackend programs real FRR (zebra, staticd, bgpd) through vtysh
// with -N: ipslad's statics appear in zebra as static routes with their
// tag, are exported to the BGP peer through `match tag`, an ECMP next hop
// is removed without touching the other, and Flush removes ipslad's
// statics (tag in its range) but not the administrator's (tag 7).
func TestFRRBackend(t *testing.T) {
	requireBinaries(t, "/usr/bin/vtysh", "/usr/lib/frr/staticd")
	skipUnlessRoot(t)
	l := newLab(t)
	r, d, p := l.netns("r", true), l.netns("d", false), l.netns("p", true)
	l.link(r, routerToDNS+"/24", d, dnsUnicast+"/24")
	l.link(r, routerToPeer+"/30", p, peerAddr+"/30")
	startFRR(t, r, frrBackendRouter, "staticd", "bgpd")
	startFRR(t, p, seedFRRPeer, "bgpd")
	if _, ok := waitFor(t, 30*time.Second, 100*time.Millisecond, func() bool {
		return bgpEstablished(r, peerAddr)
	}); !ok {
		t.Fatal("BGP session r<->p not established")
	}

	cli, err := frr.Vtysh("/usr/bin/vtysh", r, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b, err := frr.NewBackend(cli, frr.DefaultTags)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := netip.MustParseAddr
	anycast := netip.MustParsePrefix(anycastPrefix)
	ecmp := []frr.Static{
		{Prefix: anycast, NextHop: a(dnsUnicast), Tag: 64001},
		{Prefix: anycast, NextHop: a("10.0.0.11"), Tag: 64001},
	}
	if _, err := b.Set(ctx, ecmp); err != nil {
		t.Fatal(err)
	}
	hops := func() []string {
		var out []string
		for _, e := range ribRoutes(r, anycastPrefix) {
			if e.Protocol == "static" && e.Selected {
				for _, h := range e.Nexthops {
					out = append(out, h.IP)
				}
			}
		}
		return out
	}
	if _, ok := waitFor(t, 10*time.Second, 20*time.Millisecond, func() bool { return len(hops()) == 2 }); !ok {
		t.Fatalf("zebra has no ECMP static for %s: %v\n%s", anycastPrefix, hops(), vtysh(t, r, "show ip route"))
	}
	rib, err := frr.ParseRIB([]byte(vtysh(t, r, "show ip route "+anycastPrefix+" json")))
	if err != nil {
		t.Fatal(err)
	}
	if es := rib[anycast]; len(es) == 0 || es[0].Protocol != "static" || es[0].Tag != 64001 {
		t.Errorf("zebra's route: %+v, want a static with tag 64001", es)
	}
	if _, ok := waitFor(t, 15*time.Second, 50*time.Millisecond, func() bool { return bgpRoute(p, anycastPrefix) }); !ok {
		t.Fatalf("peer did not learn %s:\n%s", anycastPrefix, vtysh(t, r, "show bgp ipv4 unicast"))
	}
	if bgpRoute(p, "198.51.100.0/24") {
		t.Error("the administrator's static (tag 7) was exported: match tag did not filter")
	}
	st, err := b.State(ctx, []netip.Prefix{anycast})
	if err != nil {
		t.Fatal(err)
	}
	if s := st[0]; !s.InRIB || !s.Selected || !s.Installed || s.Protocol != "static" || !s.Advertised {
		t.Errorf("State = %+v, want in RIB, selected, installed, static, advertised", s)
	}

	// Retag (staticd has one tag per prefix and distance): both next hops
	// stay, with the new tag.
	retag := []frr.Static{ecmp[0], ecmp[1]}
	retag[0].Tag, retag[1].Tag = 64002, 64002
	if cmds, err := b.Set(ctx, retag); err != nil || len(cmds) != 1 {
		t.Fatalf("retag: %q, %v", cmds, err)
	}
	if owned, err := b.List(ctx); err != nil || len(owned) != 2 || owned[0].Tag != 64002 || owned[1].Tag != 64002 {
		t.Fatalf("after retag: %+v, %v", owned, err)
	}
	if len(hops()) != 2 {
		t.Fatalf("retag lost a next hop: %v", hops())
	}
	// A next hop on the administrator's path is refused, and it is intact.
	if _, err := b.Set(ctx, append(slices.Clone(retag), frr.Static{Prefix: netip.MustParsePrefix("198.51.100.0/24"), NextHop: a("10.0.0.11"), Tag: 64002})); err == nil {
		t.Error("Set on the administrator's path: no error")
	}
	if !strings.Contains(vtysh(t, r, "show running-config"), "ip route 198.51.100.0/24 10.0.0.10 tag 7\n") {
		t.Error("the administrator's static changed")
	}
	if _, err := b.Set(ctx, ecmp); err != nil {
		t.Fatal(err)
	}

	// One next hop goes: only a "no ip route" for it.
	cmds, err := b.Set(ctx, ecmp[:1])
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 1 || cmds[0] != "no ip route 192.0.2.53/32 10.0.0.11 tag 64001" {
		t.Errorf("commands %q", cmds)
	}
	if _, ok := waitFor(t, 10*time.Second, 20*time.Millisecond, func() bool {
		h := hops()
		return len(h) == 1 && h[0] == dnsUnicast
	}); !ok {
		t.Fatalf("zebra's next hops %v, want only %s", hops(), dnsUnicast)
	}

	// Flush: ours go (and the peer withdraws), the administrator's stays.
	if _, err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := waitFor(t, 15*time.Second, 50*time.Millisecond, func() bool { return !bgpRoute(p, anycastPrefix) }); !ok {
		t.Fatal("peer kept the route after Flush")
	}
	run := vtysh(t, r, "show running-config")
	if strings.Contains(run, "ip route "+anycastPrefix) || !strings.Contains(run, "ip route 198.51.100.0/24 10.0.0.10 tag 7") {
		t.Errorf("after Flush:\n%s", run)
	}
}

// TestFRRBackendDaemon runs the real ipslad with `ipslad route backend frr`
// against real nsd and real FRR: the tracked route is programmed into
// staticd (zebra shows it as a static with its tag, the kernel gets it from
// zebra, bgpd exports it through `match tag`), withdrawn when nsd stops,
// back when it returns, and withdrawn from FRR on SIGTERM. ipslad
// frr-config prints the export snippet, and --flush -f removes ipslad's
// statics from FRR and nothing else.
func TestFRRBackendDaemon(t *testing.T) {
	requireLab(t)
	requireBinaries(t, "/usr/lib/frr/staticd")
	bin := buildIpslad(t)
	l := newLab(t)
	r, d, p := l.netns("r", true), l.netns("d", false), l.netns("p", true)
	l.link(r, routerToDNS+"/24", d, dnsUnicast+"/24")
	l.link(r, routerToPeer+"/30", p, peerAddr+"/30")
	ip(t, d, "addr", "add", anycastPrefix, "dev", "lo")
	nsd := startNSD(t, d, "", []string{dnsUnicast}, seedZone(d))
	startFRR(t, r, frrBackendRouter, "staticd", "bgpd")
	startFRR(t, p, seedFRRPeer, "bgpd")

	cfgText := "ipslad route backend frr pathspace " + r + "\n" +
		strings.Replace(seedIpsladConfig, "10.0.0.10 track 101", "10.0.0.10 tag 64001 track 101", 1)
	dir := t.TempDir()
	cfg := dir + "/ipslad.cfg"
	if err := os.WriteFile(cfg, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(10*time.Second, bin, "frr-config", "-f", cfg, "-asn", "65001")
	if err != nil || !strings.Contains(out, "ip prefix-list IPSLAD-V4 seq 5 permit 192.0.2.53/32") ||
		!strings.Contains(out, " match tag 64001") || !strings.Contains(out, "  redistribute static route-map IPSLAD-V4") {
		t.Errorf("ipslad frr-config: %v\n%s", err, out)
	}

	ctl := buildIpslactl(t)
	sock := dir + "/ipslad.sock"
	proc := startIpslad(t, r, cfg, "--socket", sock)
	readBack := func() string {
		out, err := exec.Command(ctl, "-s", sock, "show", "ip", "route", "track-table", "frr").CombinedOutput()
		if err != nil {
			t.Errorf("ipslactl show ip route track-table frr: %v\n%s", err, out)
		}
		return string(out)
	}
	static := func() bool {
		for _, e := range ribRoutes(r, anycastPrefix) {
			if e.Protocol == "static" && e.Selected && e.Installed {
				return true
			}
		}
		return false
	}
	if _, ok := waitFor(t, 30*time.Second, 20*time.Millisecond, static); !ok {
		t.Fatalf("no static route in zebra:\n%s\n%s", proc.Output(), vtysh(t, r, "show running-config"))
	}
	if !strings.Contains(vtysh(t, r, "show running-config"), "ip route 192.0.2.53/32 10.0.0.10 tag 64001") {
		t.Error("staticd has not the tagged route")
	}
	if _, ok := kernelRoute(r, anycastPrefix); !ok {
		t.Error("zebra did not install the static into the kernel")
	}
	if _, ok := waitFor(t, 30*time.Second, 50*time.Millisecond, func() bool { return bgpRoute(p, anycastPrefix) }); !ok {
		t.Fatal("peer did not learn the route")
	}
	want := " ip route 192.0.2.53 255.255.255.255 10.0.0.10 tag 64001 track 101 state is [up]\n" +
		"   zebra: static, selected, installed; bgp: advertised\n"
	if got := readBack(); got != want {
		t.Errorf("show ip route track-table frr:\n%s\nwant\n%s", got, want)
	}

	nsd.Stop()
	if _, ok := waitFor(t, 30*time.Second, 20*time.Millisecond, func() bool { return !static() }); !ok {
		t.Fatalf("static kept with nsd down:\n%s", proc.Output())
	}
	if _, ok := waitFor(t, 30*time.Second, 50*time.Millisecond, func() bool { return !bgpRoute(p, anycastPrefix) }); !ok {
		t.Fatal("peer kept the route with nsd down")
	}
	// bgpd may take a moment to drop its own originated path.
	want = " ip route 192.0.2.53 255.255.255.255 10.0.0.10 tag 64001 track 101 state is [down]\n" +
		"   zebra: not in the RIB; bgp: not advertised\n"
	if _, ok := waitFor(t, 10*time.Second, 50*time.Millisecond, func() bool { return readBack() == want }); !ok {
		t.Errorf("show ip route track-table frr:\n%s\nwant\n%s", readBack(), want)
	}
	nsd.Start()
	if _, ok := waitFor(t, 30*time.Second, 20*time.Millisecond, static); !ok {
		t.Fatalf("static not back with nsd up:\n%s", proc.Output())
	}

	proc.Signal(syscall.SIGTERM)
	if code := proc.Wait(20 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM:\n%s", code, proc.Output())
	}
	if static() {
		t.Error("static left in FRR after SIGTERM")
	}

	// --flush -f: put one back by hand (as a crashed ipslad would leave it).
	vtysh(t, r, "configure terminal", "ip route 192.0.2.53/32 10.0.0.10 tag 64001")
	if out, err := run(20*time.Second, "ip", "netns", "exec", r, bin, "--flush", "-f", cfg); err != nil {
		t.Fatalf("ipslad --flush -f: %v\n%s", err, out)
	}
	rc := vtysh(t, r, "show running-config")
	if strings.Contains(rc, "ip route 192.0.2.53/32") || !strings.Contains(rc, "ip route 198.51.100.0/24 10.0.0.10 tag 7") {
		t.Errorf("after --flush -f:\n%s", rc)
	}

	// Planned restart: --keep-routes leaves the static in FRR, the next
	// start adopts it and sends FRR nothing.
	first := startIpslad(t, r, cfg, "--socket", "", "--keep-routes")
	if _, ok := waitFor(t, 30*time.Second, 20*time.Millisecond, static); !ok {
		t.Fatalf("no static route in zebra:\n%s", first.Output())
	}
	first.Signal(syscall.SIGTERM)
	if code := first.Wait(20 * time.Second); code != 0 || !static() {
		t.Fatalf("exit %d after SIGTERM with --keep-routes; static kept: %v\n%s", code, static(), first.Output())
	}
	second := startIpslad(t, r, cfg, "--socket", "")
	if !second.WaitOutput("adopted routes", 10*time.Second) {
		t.Fatalf("second start did not adopt:\n%s", second.Output())
	}
	time.Sleep(2500 * time.Millisecond) // two or three probe runs
	if out := second.Output(); strings.Contains(out, "route installed") || strings.Contains(out, "route changed") ||
		strings.Contains(out, "route removed") || !static() {
		t.Errorf("restart touched the adopted static:\n%s", out)
	}
}
