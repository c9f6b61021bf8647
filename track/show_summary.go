package track

import (
	"fmt"
	"io"
)

// WriteSummary prints `show track summary`.
func WriteSummary(w io.Writer, all []Status, routes Clients) {
	types := []string{"interface", "ip route", "ip sla", "ipv6 route", "list", "stub-object"}
	objs, clients := map[string]int{}, map[string]int{}
	for _, st := range all {
		t := st.TypeWords()
		objs[t]++
		clients[t] += clientCount(st.ID, all, routes)
		objs[""]++
		clients[""] += clientCount(st.ID, all, routes)
	}
	const row = "%-19s%6d%13d\n"
	fmt.Fprintln(w, "Track Summary")
	fmt.Fprintln(w, "Object Type        Num Objects   Num Clients")
	fmt.Fprintf(w, row, "All object types", objs[""], clients[""])
	for _, t := range types {
		fmt.Fprintf(w, row, t, objs[t], clients[t])
	}
}
