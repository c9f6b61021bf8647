package config

import "strings"

// What ipslad knows of the rest of IOS: enough to skip it. A pasted
// `show running-config` holds many other features; their lines are skipped,
// and a block's sub-commands with them.

// globalCommands are first words of other IOS global configuration
// commands; true marks those that open a block of sub-commands.
var globalCommands = map[string]bool{
	// one-line commands
	"hostname": false, "version": false, "service": false, "access-list": false, "ntp": false,
	"logging": false, "snmp-server": false, "snmp": false, "username": false, "enable": false,
	"boot": false, "boot-start-marker": false, "boot-end-marker": false, "clock": false,
	"building": false, "current": false, "cdp": false, "lldp": false, "errdisable": false,
	"vtp": false, "dot1x": false, "login": false, "security": false, "multilink": false,
	"memory": false, "mpls": false, "license": false, "alias": false, "privilege": false,
	"scheduler": false, "system": false, "platform": false, "diagnostic": false,
	"hw-module": false, "transceiver": false, "mac": false, "port-channel": false, "udld": false,
	"power": false, "file": false, "tftp-server": false, "netconf-yang": false, "restconf": false,
	"process": false, "cts": false, "lacp": false, "vpdn": false, "username-secret": false,
	"do": false, "wsma": false, "resource": false, "archive-config": false, "stackwise-virtual": false,
	// block commands
	"interface": true, "router": true, "route-map": true, "line": true, "vrf": true,
	"control-plane": true, "class-map": true, "policy-map": true, "crypto": true, "key": true,
	"vlan": true, "redundancy": true, "archive": true, "call-home": true, "event": true,
	"object-group": true, "parameter-map": true, "dial-peer": true, "voice": true,
	"telephony-service": true, "flow": true, "sampler": true, "template": true,
	"controller": true, "l2vpn": true, "bridge-domain": true, "aaa": true, "radius": true,
	"tacacs": true, "spanning-tree": true, "device-tracking": true, "virtual-service": true,
	"table-map": true, "macro": true, "monitor": true, "ethernet": true, "segment-routing": true,
	"bfd-template": true, "zone": true, "zone-pair": true, "application": true, "pseudowire-class": true,
}

// ipGlobalCommands are second words of `ip ...` and `ipv6 ...` global
// commands that no interface or other block has, so that an unindented one
// surely ends the block before it; true marks blocks.
var ipGlobalCommands = map[string]bool{
	"access-list": true, "vrf": true, "explicit-path": true,
	"prefix-list": false, "domain": false, "domain-name": false, "domain-lookup": false,
	"name-server": false, "host": false, "http": false, "ssh": false, "scp": false,
	"forward-protocol": false, "routing": false, "multicast-routing": false,
	"community-list": false, "as-path": false, "extcommunity-list": false, "classless": false,
	"subnet-zero": false, "source-route": false, "cef": false, "bgp-community": false,
	"tftp": false, "ftp": false, "finger": false, "default-gateway": false,
	"unicast-routing": false, "general-prefix": false,
}

// globalCommand reports whether args is a known global command of another
// IOS feature, and whether it opens a block.
func globalCommand(args []word) (known, block bool) {
	kw := strings.ToLower(args[0].text)
	if kw == "ip" || kw == "ipv6" {
		if len(args) < 2 {
			return false, false
		}
		block, known = ipGlobalCommands[strings.ToLower(args[1].text)]
		return known, block
	}
	block, known = globalCommands[kw]
	return known, block
}

// notLookalikes are real IOS words one typo away from ipslad's keywords.
var notLookalikes = map[string]bool{"router": true, "slb": true}

// lookalike returns the ipslad command that a line seems to misspell
// ("track", "ip route", "ip sla", "ipv6 route"), or "".
func lookalike(args []word) string {
	kw := strings.ToLower(args[0].text)
	if kw != "track" && near(kw, "track") {
		return "track"
	}
	if (kw == "ip" || kw == "ipv6") && len(args) > 1 {
		sub := strings.ToLower(args[1].text)
		if _, real := ipGlobalCommands[sub]; real || notLookalikes[sub] {
			return ""
		}
		for _, want := range []string{"route", "sla"} {
			if sub != want && near(sub, want) && (kw == "ip" || want == "route") {
				return kw + " " + want
			}
		}
	}
	return ""
}

// near reports whether a is one edit (insertion, deletion, substitution or
// swap of neighbours) away from b.
func near(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a)-len(b) > 1 || a == b {
		return false
	}
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	if len(a) > len(b) {
		return a[i+1:] == b[i:]
	}
	return a[i+1:] == b[i+1:] ||
		i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
}
