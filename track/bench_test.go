package track

import (
	"testing"
	"time"

	"github.com/ipslad/ipslad/sla"
)

// BenchmarkObserveWithLists measures one SLA result through a full table:
// 900 ip sla objects and 100 boolean-or lists of 9 members each, every
// result flipping its object (and so re-evaluating its list).
func BenchmarkObserveWithLists(b *testing.B) {
	var objs []Object
	for i := 1; i <= 900; i++ {
		objs = append(objs, Object{ID: i, SLA: i})
	}
	for l := range 100 {
		o := Object{ID: 901 + l, Type: TypeList, List: ListOr}
		for m := range 9 {
			o.Members = append(o.Members, Member{ID: l*9 + m + 1})
		}
		objs = append(objs, o)
	}
	tb := NewTable()
	tb.Set(objs, t0, nil)
	codes := []sla.ReturnCode{sla.CodeOK, sla.CodeTimeout}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := i%900 + 1
		tb.Observe(sla.Result{ID: id, Code: codes[(i/900)%2]}, t0.Add(time.Duration(i)*time.Millisecond))
	}
}
