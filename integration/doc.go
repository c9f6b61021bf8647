// Package integration holds ipslad's end-to-end tests. They run the real
// daemon against real parts — FRR daemons, nsd and kernel routes — inside
// network namespaces that each test creates and always tears down.
//
// The tests need root, iproute2, FRR (/usr/lib/frr/zebra, bgpd, vtysh), nsd
// and dig; a test that finds any of them missing skips and names what is
// missing. .ci/run installs them.
//
// The harness (in the _test.go files of this package):
//
//   - newLab / lab.netns / lab.link: uniquely named namespaces and veth pairs.
//   - startNSD: an authoritative nsd in a namespace, with Stop and Start.
//   - startFRR, vtysh, bgpRoute, ribRoutes: FRR per namespace (-N pathspace).
//   - kernelRoute: a route in a namespace's main table (ip -j route).
//   - buildIpslad, startIpslad: the daemon under test.
//   - waitFor: poll a condition and return the time it took.
//
// anycast_test.go runs the lab of examples/lab (client, core, two edges, two
// DNS servers, IPv4 and IPv6) over BGP, OSPF and, where FRR's eigrpd
// redistributes, EIGRP, through every failure the lab offers.
package integration
