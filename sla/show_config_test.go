package sla

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

func TestShowConfigurationGolden(t *testing.T) {
	op1 := NewOperation(1)
	op1.DNS = &DNS{Target: "anycast.example.com", NameServer: netip.MustParseAddr("10.0.0.10")}
	op1.Frequency, op1.Timeout, op1.Threshold = 10*time.Second, 2*time.Second, time.Second
	op1.Schedule = Schedule{Scheduled: true, Forever: true, Start: StartNow}
	op1.Owner, op1.Tag = "noc", "anycast A"
	op4 := NewOperation(4)
	op4.DNS = &DNS{Target: "192.0.2.1", NameServer: netip.MustParseAddr("2001:db8::53")}
	op5 := NewOperation(5)
	op5.ICMPEcho = &ICMPEcho{Target: netip.MustParseAddr("100.64.0.1"), SourceIP: netip.MustParseAddr("10.0.12.1")}
	op6 := NewOperation(6)
	op6.UDPEcho = &UDPEcho{Target: netip.MustParseAddr("192.0.2.3"), Port: 7, SourcePort: 5000}
	op6.DataSize, op6.DataPattern, op6.VerifyData, op6.TOS, op6.VRF = 64, "0F0F", true, 0xb8, "MGMT"
	op7 := NewOperation(7)
	op7.TCPConnect = &TCPConnect{Target: netip.MustParseAddr("2001:db8::2"), Port: 443}
	op7.Timeout = DefaultTCPConnectTimeout
	op8 := NewOperation(8)
	op8.HTTP = &HTTP{URL: "http://www.example.com/health", NameServer: netip.MustParseAddr("192.0.2.53"),
		SourceIP: netip.MustParseAddr("192.0.2.254"), NoCache: true, Proxy: "http://192.0.2.8:3128"}
	op8.Timeout = DefaultHTTPTimeout
	op9 := NewOperation(9)
	op9.HTTP = &HTTP{URL: "http://192.0.2.4", Raw: true, RawRequest: "GET / HTTP/1.0\r\n\r\n", Version: "1.1"}
	op9.Timeout = DefaultHTTPTimeout
	var b bytes.Buffer
	WriteConfiguration(&b, []Operation{op1, op4, op5, op6, op7, op8, op9}, showStats())
	golden(t, "configuration.golden", b.Bytes())

	b.Reset()
	WriteApplication(&b, showStats(), showNow)
	golden(t, "application.golden", b.Bytes())
}
