package main

import (
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ipslad/ipslad/route"
	"github.com/ipslad/ipslad/sla"
)

func TestMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newFakeKernel()
		probes := &switchable{code: map[string]sla.ReturnCode{"10.0.0.10": sla.CodeOK, "10.0.1.10": sla.CodeTimeout}}
		// 102 always times out: its timeout reaction occurs once, a trap;
		// its rtt reaction never (no completed run), and its connectionLoss
		// reaction does not trap (no series).
		d, cancel, done := startDaemon(t, twoSites+"ip sla reaction-configuration 102 react timeout threshold-type immediate action-type trapOnly\n"+
			"ip sla reaction-configuration 102 react rtt threshold-type immediate action-type trapAndTrigger\n"+
			"ip sla reaction-configuration 102 react connectionLoss threshold-type immediate action-type triggerOnly\n", k, probes)
		defer func() { cancel(); <-done }()
		d.metrics.kernel = k
		time.Sleep(2500 * time.Millisecond)
		synctest.Wait()
		// Someone else's hand put a route of our protocol in: installed, not desired.
		k.Replace(route.Route{Prefix: mustPrefix("198.51.100.1/32"), Metric: 1, NextHops: []route.NextHop{{Gateway: mustAddr("10.0.0.10")}}})

		// A refused reload is counted and flagged.
		os.WriteFile(d.opt.file, []byte(twoSites+"ip sla 103\n dns x name-server 10.0.0.300\n"), 0o644)
		if out := d.execute("reload"); !strings.HasPrefix(out, "% Reload refused") {
			t.Fatalf("broken reload: %q", out)
		}

		reg := prometheus.NewPedanticRegistry()
		if err := reg.Register(d.metrics); err != nil {
			t.Fatal(err)
		}
		want := `
# HELP ipslad_config_last_reload_successful 1 when the last reload was applied, 0 when it was refused.
# TYPE ipslad_config_last_reload_successful gauge
ipslad_config_last_reload_successful 0
# HELP ipslad_config_reloads_total Reload attempts by result.
# TYPE ipslad_config_reloads_total counter
ipslad_config_reloads_total{result="error"} 1
ipslad_config_reloads_total{result="ok"} 0
# HELP ipslad_route_desired 1 when the tracked statics call for this kernel route (prefix, metric).
# TYPE ipslad_route_desired gauge
ipslad_route_desired{metric="1",prefix="192.0.2.53/32"} 1
ipslad_route_desired{metric="1",prefix="198.51.100.1/32"} 0
# HELP ipslad_route_installed 1 when the kernel holds this route of ipslad's protocol, read back from the kernel.
# TYPE ipslad_route_installed gauge
ipslad_route_installed{metric="1",prefix="192.0.2.53/32"} 1
ipslad_route_installed{metric="1",prefix="198.51.100.1/32"} 1
# HELP ipslad_sla_latest_return_code 1 for the return code of the operation's latest run.
# TYPE ipslad_sla_latest_return_code gauge
ipslad_sla_latest_return_code{code="OK",sla="101"} 1
ipslad_sla_latest_return_code{code="Timeout",sla="102"} 1
# HELP ipslad_sla_reaction_element_traps_total Reaction events (occurred and cleared) of one reaction element (react) with a trap action.
# TYPE ipslad_sla_reaction_element_traps_total counter
ipslad_sla_reaction_element_traps_total{react="rtt",sla="102"} 0
ipslad_sla_reaction_element_traps_total{react="timeout",sla="102"} 1
# HELP ipslad_sla_reaction_traps_total Reaction events (occurred and cleared) of the operation's reactions with a trap action.
# TYPE ipslad_sla_reaction_traps_total counter
ipslad_sla_reaction_traps_total{sla="101"} 0
ipslad_sla_reaction_traps_total{sla="102"} 1
# HELP ipslad_sla_results_total IP SLA runs by return code.
# TYPE ipslad_sla_results_total counter
ipslad_sla_results_total{code="OK",sla="101"} 3
ipslad_sla_results_total{code="Timeout",sla="102"} 3
# HELP ipslad_sla_rtt_seconds RTT of completed IP SLA runs (OK or over threshold).
# TYPE ipslad_sla_rtt_seconds histogram
ipslad_sla_rtt_seconds_bucket{sla="101",le="0.001"} 0
ipslad_sla_rtt_seconds_bucket{sla="101",le="0.002"} 3
ipslad_sla_rtt_seconds_bucket{sla="101",le="0.005"} 3
ipslad_sla_rtt_seconds_bucket{sla="101",le="0.01"} 3
ipslad_sla_rtt_seconds_bucket{sla="101",le="0.02"} 3
ipslad_sla_rtt_seconds_bucket{sla="101",le="0.05"} 3
ipslad_sla_rtt_seconds_bucket{sla="101",le="0.1"} 3
ipslad_sla_rtt_seconds_bucket{sla="101",le="0.2"} 3
ipslad_sla_rtt_seconds_bucket{sla="101",le="0.5"} 3
ipslad_sla_rtt_seconds_bucket{sla="101",le="1"} 3
ipslad_sla_rtt_seconds_bucket{sla="101",le="2"} 3
ipslad_sla_rtt_seconds_bucket{sla="101",le="5"} 3
ipslad_sla_rtt_seconds_bucket{sla="101",le="+Inf"} 3
ipslad_sla_rtt_seconds_sum{sla="101"} 0.006
ipslad_sla_rtt_seconds_count{sla="101"} 3
# HELP ipslad_track_changes_total State changes of the track object.
# TYPE ipslad_track_changes_total counter
ipslad_track_changes_total{track="101"} 2
ipslad_track_changes_total{track="102"} 1
# HELP ipslad_track_up 1 when the track object is Up.
# TYPE ipslad_track_up gauge
ipslad_track_up{track="101"} 1
ipslad_track_up{track="102"} 0
`
		if err := testutil.CollectAndCompare(d.metrics, strings.NewReader(want),
			"ipslad_config_last_reload_successful", "ipslad_config_reloads_total",
			"ipslad_route_desired", "ipslad_route_installed", "ipslad_sla_latest_return_code",
			"ipslad_sla_reaction_element_traps_total", "ipslad_sla_reaction_traps_total", "ipslad_sla_results_total", "ipslad_sla_rtt_seconds", "ipslad_track_changes_total", "ipslad_track_up"); err != nil {
			t.Error(err)
		}
		if n, err := testutil.GatherAndCount(reg, "ipslad_build_info", "ipslad_sla_start_lateness_seconds"); err != nil || n != 3 {
			t.Errorf("build info and lateness: %d series, %v", n, err)
		}

		// A good reload drops the series of a removed operation.
		os.WriteFile(d.opt.file, []byte(strings.Split(twoSites, "ip sla 102")[0]+"track 101 ip sla 101\n"), 0o644)
		if out := d.execute("reload"); out != "Configuration reloaded.\n" {
			t.Fatalf("reload: %q", out)
		}
		if n := testutil.CollectAndCount(d.metrics, "ipslad_sla_results_total"); n != 1 {
			t.Errorf("after removing ip sla 102: %d results series, want 1", n)
		}
		if err := testutil.CollectAndCompare(d.metrics, strings.NewReader(`
# HELP ipslad_config_last_reload_successful 1 when the last reload was applied, 0 when it was refused.
# TYPE ipslad_config_last_reload_successful gauge
ipslad_config_last_reload_successful 1
`), "ipslad_config_last_reload_successful"); err != nil {
			t.Error(err)
		}
	})
}
