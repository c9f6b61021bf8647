package track

import (
	"bytes"
	"testing"
)

func TestShowSummaryGolden(t *testing.T) {
	objs := []Status{{Object: Object{ID: 1, SLA: 1}}, {Object: Object{ID: 2, SLA: 2}}, {Object: Object{ID: 3, SLA: 2}}}
	var b bytes.Buffer
	WriteSummary(&b, objs, Clients{1: 1, 3: 2})
	golden(t, "summary.golden", b.Bytes())
}
