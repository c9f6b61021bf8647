package sla

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// ip6ArpaZone answers only the PTR of 2001:db8::53 under ip6.arpa (and
// NXDOMAIN for any other question), so a probe that asked anything else
// fails with DNS query error.
func ip6ArpaZone(w dns.ResponseWriter, r *dns.Msg) {
	const name = "3.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
	q := r.Question[0]
	if q.Name != name || q.Qtype != dns.TypePTR {
		rcode(dns.RcodeNameError)(w, r)
		return
	}
	answer(name+" 60 IN PTR dns1.example.com.")(w, r)
}

// TestDNSProbeIPv6TargetPTR: an operation whose target is an IPv6 address
// (`dns 2001:db8::53 name-server 127.0.0.1`) asks for the PTR of its
// ip6.arpa name, as IOS does for an address target, and is OK on the
// answer; an address the server has no PTR for is DNS query error.
func TestDNSProbeIPv6TargetPTR(t *testing.T) {
	server := startDNS(t, ip6ArpaZone)
	for _, tc := range []struct {
		target string
		want   ReturnCode
	}{
		{"2001:db8::53", CodeOK},
		{"2001:db8::54", CodeDNSQueryError},
		{"192.0.2.53", CodeDNSQueryError}, // in-addr.arpa: not in this zone
	} {
		t.Run(tc.target, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if out := probeAt(t, tc.target, server)(ctx); out.Code != tc.want {
				t.Errorf("code = %v (%s), want %v", out.Code, out.Detail, tc.want)
			}
		})
	}
	name, qtype, err := Query("2001:db8::53")
	if err != nil || qtype != dns.TypePTR || name != "3.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa." {
		t.Errorf("Query(2001:db8::53) = %q %d %v", name, qtype, err)
	}
}
