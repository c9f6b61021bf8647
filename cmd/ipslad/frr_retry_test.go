package main

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ipslad/ipslad/route"
	"github.com/ipslad/ipslad/sla"
)

// garbledFRR is a flakyFRR whose listing, once FRR answers, fails with an
// error that is not FRR being unreachable (output it cannot read).
type garbledFRR struct {
	*flakyFRR
	garbled bool // set before the daemon starts; read-only after
}

func (g *garbledFRR) List() ([]route.Route, error) {
	if err := g.call(); err != nil {
		return nil, err
	}
	if g.garbled {
		return nil, errors.New("reading FRR's configuration: unexpected output")
	}
	return g.fakeKernel.List()
}

// TestRetryBackendOtherError: a retry whose listing fails for a reason
// other than FRR being unreachable ends the outage as a resync would (the
// routes are applied; FRR answers), rather than keeping the backend down
// and the routes unprogrammed for ever.
func TestRetryBackendOtherError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &flakyFRR{fakeKernel: newFakeKernel(), down: true, start: time.Now()}
		k := &garbledFRR{flakyFRR: f, garbled: true}
		probes := &switchable{code: map[string]sla.ReturnCode{"10.0.0.10": sla.CodeOK}}
		d, log, cancel, done := startLogged(t, frrSite, k, probes)
		defer func() { cancel(); <-done }()

		time.Sleep(2 * time.Second) // the outage started at 0 s, retried at 1 s
		synctest.Wait()
		if d.backend.Status().Up {
			t.Fatal("backend up while FRR is down")
		}
		f.setDown(false) // FRR answers; its listing cannot be read
		time.Sleep(10 * time.Second)
		synctest.Wait()
		const installed = "192.0.2.53/32 metric 1 nexthop via 10.0.0.10"
		if got := f.fakeKernel.String(); got != installed {
			t.Errorf("routes %q, want %q (calls %v)", got, installed, f.callTimes())
		}
		if st := d.backend.Status(); !st.Up {
			t.Errorf("backend still reported down: %+v", st)
		}
		if !strings.Contains(log.String(), "unexpected output") {
			t.Errorf("the listing error is not logged:\n%s", log)
		}
	})
}
