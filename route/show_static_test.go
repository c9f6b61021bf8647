package route

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestShowStaticRouteGolden(t *testing.T) {
	statics := []Static{
		{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.1.10"), Distance: 5, Track: 102},
		{Prefix: pfx("192.0.2.53/32"), NextHop: addr("10.0.0.10"), Track: 101},
		{Prefix: pfx("10.1.1.0/24"), NextHop: addr("10.16.0.2"), Interface: "eth2"},
		{Prefix: pfx("198.51.100.0/24"), NextHop: addr("10.0.0.1"), Track: 7},
		{Prefix: pfx("2001:db8:53::/64"), NextHop: addr("fe80::1"), Interface: "eth1", Track: 101},
	}
	// Track 101 is up and its routes are in the kernel; 102 is up but its
	// floating route is not installed (101's is better); 7 is down.
	installed := Desired(statics, upSet(101, 102))
	var b bytes.Buffer
	WriteStaticRoutes(&b, statics, upSet(101, 102), installed)
	path := filepath.Join("testdata", "show-ip-static-route.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("differs:\n--- got\n%s\n--- want\n%s", b.Bytes(), want)
	}
}
