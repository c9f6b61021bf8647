#!/usr/bin/env bash
# lab.sh - an anycast DNS lab for ipslad on one Linux machine.
#
#   sudo examples/lab/lab.sh [--igp bgp|ospf|eigrp]           interactive: live status, keys
#   sudo examples/lab/lab.sh [--igp bgp|ospf|eigrp] --demo    scripted failover + recovery, exit 0 = pass
#   sudo examples/lab/lab.sh --cleanup                        remove what a SIGKILLed run left
#
# Topology (every box is a network namespace named ipslab-<name>):
#
#   client --- core --- edge1 --- dns1     dns1, dns2: 192.0.2.53/32 and 2001:db8:53::53/128 on lo
#                  \                       edge1, edge2: ipslad probes its DNS server and installs
#                   --- edge2 --- dns2     both anycast routes (proto 200) while it answers; FRR
#                                          redistributes them to core (eBGP, OSPF or EIGRP).
#
# --igp eigrp: FRR's eigrpd (8.4 in Debian 12; still so in 10.3) forms adjacencies but never
# redistributes, so the lab detects that the route does not reach core and exits 3.
# See examples/lab/README.md. Needs root, iproute2, frr, nsd, dnsutils (installed with apt-get
# when missing) and Go to build ipslad/ipslactl (or IPSLAD=/path IPSLACTL=/path prebuilt).
set -euo pipefail

P=ipslab-                             # namespace and FRR pathspace prefix
WORK=${IPSLAB_DIR:-/tmp/ipslab}       # everything the lab writes lives here
STEP_TIMEOUT=60                       # seconds, per --demo step
ANYCAST=192.0.2.53
ANYCAST6=2001:db8:53::53
PROTO=200                             # kernel route protocol ipslad marks its routes with
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
FRRBIN=/usr/lib/frr

MODE=interactive
IGP=bgp
while (($#)); do
	case $1 in
	--demo) MODE=demo ;;
	--cleanup) MODE=cleanup ;;
	--igp)
		[[ $# -ge 2 ]] || {
			echo "--igp needs bgp, ospf or eigrp" >&2
			exit 2
		}
		IGP=$2
		shift
		;;
	--igp=*) IGP=${1#--igp=} ;;
	-h | --help)
		sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "usage: $0 [--igp bgp|ospf|eigrp] [--demo] | --cleanup | --help" >&2
		exit 2
		;;
	esac
	shift
done
case $IGP in
bgp | ospf | eigrp) ;;
*)
	echo "lab.sh: --igp $IGP: expected bgp, ospf or eigrp" >&2
	exit 2
	;;
esac

say() { printf '%s  %s\n' "$(date +%T)" "$*"; }
die() {
	printf 'lab.sh: %s\n' "$*" >&2
	exit 1
}
now_ms() { date +%s%3N; }
nsx() { # nsx NODE CMD...: run CMD inside the node's namespace
	local n=$1
	shift
	ip netns exec "$P$n" "$@"
}

if [[ $EUID -ne 0 ]]; then
	die "needs root (it creates network namespaces and runs FRR and nsd): sudo $0 $*"
fi

# ---------------------------------------------------------------- cleanup
# Everything created is recorded here and removed by cleanup, which runs on
# every exit (normal end, error, Ctrl-C, SIGTERM).
CREATED_NS=()
CREATED_DIRS=()
IPSLAD_PIDS=()
CREATED_WORK=0
FRR_STATE_FILES=(/var/run/frr/ospfd-gr.json /var/run/frr/ospf6d-gr.json /var/run/frr/ospf6d-at-seq-no.dat)
declare -A FRR_STATE_BEFORE=()
for f in "${FRR_STATE_FILES[@]}"; do [[ -e $f ]] && FRR_STATE_BEFORE[$f]=1; done
CREATED_RUNFRR=0
STTY_SAVED=""

alive() { # alive PID: running and not a zombie
	local s
	s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ -n $s && $s != Z* ]]
}

stop_pid() { # stop_pid PID: SIGTERM, wait up to 5 s, then SIGKILL
	local pid=$1 i
	[[ $pid =~ ^[0-9]+$ ]] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
	wait "$pid" 2>/dev/null || true # reap it if it is our child
}

stop_pidfile() { # stop_pidfile FILE
	[[ -s $1 ]] || return 0
	stop_pid "$(head -n1 "$1")"
}

cleanup() {
	local rc=$? ns pid f
	trap '' INT TERM
	trap - EXIT
	set +e
	[[ -n $STTY_SAVED ]] && stty "$STTY_SAVED" 2>/dev/null
	if ((${#CREATED_NS[@]})); then say "tearing the lab down"; fi
	# ipslad first: on SIGTERM it withdraws its routes.
	for pid in "${IPSLAD_PIDS[@]}"; do stop_pid "$pid"; done
	if [[ $CREATED_WORK == 1 ]]; then
		for f in "$WORK"/dns*/nsd.pid "$WORK"/*/frr/{bgpd,ospfd,ospf6d,eigrpd}.pid "$WORK"/*/frr/zebra.pid; do
			[[ -e $f ]] && stop_pidfile "$f"
		done
	fi
	# Anything still running in a namespace we created was started by us.
	for ns in "${CREATED_NS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
	done
	sleep 0.2
	for ns in "${CREATED_NS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	for f in "${CREATED_DIRS[@]}"; do rm -rf -- "$f"; done
	# ospfd and ospf6d write their graceful-restart state to /var/run/frr itself,
	# whatever the pathspace: remove the files that were not there before.
	for f in "${FRR_STATE_FILES[@]}"; do
		[[ -e $f && ${FRR_STATE_BEFORE[$f]:-0} == 0 ]] && rm -f -- "$f"
	done
	[[ $CREATED_RUNFRR == 1 ]] && rmdir /var/run/frr 2>/dev/null
	[[ $CREATED_WORK == 1 ]] && rm -rf -- "$WORK"
	exit "$rc"
}

# --cleanup: remove the leftovers of a run that could not clean up (SIGKILL, power loss).
if [[ $MODE == cleanup ]]; then
	for ns in $(ip netns list | awk '{print $1}' | grep "^$P" || true); do
		echo "removing namespace $ns"
		for pid in $(ip netns pids "$ns"); do kill -TERM "$pid" 2>/dev/null || true; done
		sleep 0.5
		for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null || true; done
		ip netns del "$ns"
	done
	for f in /var/run/frr/"$P"* /etc/frr/"$P"* "$WORK"; do
		if [[ -e $f ]]; then
			echo "removing $f"
			rm -rf -- "$f"
		fi
	done
	exit 0
fi

# ---------------------------------------------------------------- prerequisites
ensure_packages() {
	local missing=()
	[[ -x $FRRBIN/zebra && -x $FRRBIN/bgpd ]] && command -v vtysh >/dev/null || missing+=(frr)
	command -v nsd >/dev/null || missing+=(nsd)
	command -v dig >/dev/null || missing+=(dnsutils)
	command -v ip >/dev/null || missing+=(iproute2)
	((${#missing[@]})) || return 0
	command -v apt-get >/dev/null || die "missing packages: ${missing[*]} (no apt-get here: install them by hand)"
	say "installing ${missing[*]} with apt-get"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
	id frr >/dev/null 2>&1 || die "user frr missing after installing frr"
}

build() {
	mkdir -p "$WORK/bin"
	if [[ -n ${IPSLAD:-} || -n ${IPSLACTL:-} ]]; then
		[[ -x ${IPSLAD:-} && -x ${IPSLACTL:-} ]] || die "set both IPSLAD and IPSLACTL to executables"
		cp "$IPSLAD" "$WORK/bin/ipslad"
		cp "$IPSLACTL" "$WORK/bin/ipslactl"
		return
	fi
	local go=${GO:-}
	[[ -n $go ]] || go=$(command -v go || true)
	[[ -n $go || ! -x /usr/local/go/bin/go ]] || go=/usr/local/go/bin/go
	[[ -n $go ]] || die "go not found (sudo resets PATH): run  sudo env PATH=\"\$PATH\" $0  or set GO=/path/to/go"
	say "building ipslad and ipslactl from $REPO"
	if [[ -n ${SUDO_USER:-} && $SUDO_USER != root ]]; then
		# Build as the invoking user, with their module and build caches.
		chown "$SUDO_USER" "$WORK/bin"
		(cd "$REPO" && sudo -u "$SUDO_USER" -H "$go" build -o "$WORK/bin/" ./cmd/ipslad ./cmd/ipslactl) ||
			die "go build failed"
	else
		(cd "$REPO" && "$go" build -o "$WORK/bin/" ./cmd/ipslad ./cmd/ipslactl) || die "go build failed"
	fi
}

# ---------------------------------------------------------------- topology
add_ns() {
	ip netns add "$P$1"
	CREATED_NS+=("$P$1")
	ip -n "$P$1" link set lo up
}

# link A B: a veth pair; the end in A is named B and the end in B is named A.
link() {
	ip link add "$2" netns "$P$1" type veth peer name "$1" netns "$P$2"
	ip -n "$P$1" link set "$2" up
	ip -n "$P$2" link set "$1" up
}

addr() { ip -n "$P$1" addr add "$3" dev "$2"; }        # addr NODE IF CIDR
addr6() { ip -n "$P$1" addr add "$3" dev "$2" nodad; } # addr6 NODE IF CIDR6

topology() {
	say "creating namespaces ${P}{client,core,edge1,edge2,dns1,dns2}"
	local n
	for n in client core edge1 edge2 dns1 dns2; do
		add_ns "$n"
		# Keep IPv6 addresses when a link goes down (key l/L), as IPv4 does.
		nsx "$n" sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.default.keep_addr_on_down=1
	done
	link client core
	link core edge1
	link core edge2
	link edge1 dns1
	link edge2 dns2

	addr client core 10.9.0.2/24
	addr core client 10.9.0.1/24
	addr core edge1 10.99.1.1/30
	addr edge1 core 10.99.1.2/30
	addr core edge2 10.99.2.1/30
	addr edge2 core 10.99.2.2/30
	addr edge1 dns1 10.0.1.1/24
	addr dns1 edge1 10.0.1.10/24
	addr edge2 dns2 10.0.2.1/24
	addr dns2 edge2 10.0.2.10/24
	addr dns1 lo $ANYCAST/32
	addr dns2 lo $ANYCAST/32

	# IPv6: the same plan under 2001:db8::/32 (nodad: usable at once).
	addr6 client core 2001:db8:9::2/64
	addr6 core client 2001:db8:9::1/64
	addr6 core edge1 2001:db8:99:1::1/64
	addr6 edge1 core 2001:db8:99:1::2/64
	addr6 core edge2 2001:db8:99:2::1/64
	addr6 edge2 core 2001:db8:99:2::2/64
	addr6 edge1 dns1 2001:db8:1::1/64
	addr6 dns1 edge1 2001:db8:1::10/64
	addr6 edge2 dns2 2001:db8:2::1/64
	addr6 dns2 edge2 2001:db8:2::10/64
	addr6 dns1 lo $ANYCAST6/128
	addr6 dns2 lo $ANYCAST6/128

	ip -n "${P}client" route add default via 10.9.0.1
	ip -n "${P}dns1" route add default via 10.0.1.1
	ip -n "${P}dns2" route add default via 10.0.2.1
	ip -n "${P}client" -6 route add default via 2001:db8:9::1
	ip -n "${P}dns1" -6 route add default via 2001:db8:1::1
	ip -n "${P}dns2" -6 route add default via 2001:db8:2::1
	for n in core edge1 edge2; do
		nsx "$n" sysctl -qw net.ipv4.ip_forward=1
		nsx "$n" sysctl -qw net.ipv6.conf.all.forwarding=1
	done
}

# ---------------------------------------------------------------- FRR
# The prefix lists and route maps come before the router blocks: bgpd resolves
# a route map named by "redistribute ... route-map" at once only when it exists
# while the config is read (otherwise it waits for its 5 s route-map timer).
frr_policy() { # frr_policy METRIC: prefix lists and route maps of an edge
	cat <<EOF
ip prefix-list ANYCAST seq 5 permit 192.0.2.0/24 ge 32
ipv6 prefix-list ANYCAST6 seq 5 permit 2001:db8:53::/48 ge 128
route-map ANYCAST permit 10
 match ip address prefix-list ANYCAST
 set metric $1
route-map ANYCAST6 permit 10
 match ipv6 address prefix-list ANYCAST6
 set metric $1
!
EOF
}

frr_conf_bgp() { # frr_conf_bgp NODE
	case $1 in
	core)
		cat <<EOF
router bgp 65000
 bgp router-id 10.99.0.1
 no bgp ebgp-requires-policy
 timers bgp 1 3
 neighbor 10.99.1.2 remote-as 65001
 neighbor 10.99.1.2 timers connect 1
 neighbor 10.99.1.2 advertisement-interval 0
 neighbor 10.99.2.2 remote-as 65002
 neighbor 10.99.2.2 timers connect 1
 neighbor 10.99.2.2 advertisement-interval 0
 address-family ipv4 unicast
  network 10.9.0.0/24
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:9::/64
  neighbor 10.99.1.2 activate
  neighbor 10.99.2.2 activate
 exit-address-family
!
EOF
		;;
	edge1 | edge2)
		local i=${1#edge} prepend=""
		if [[ $i == 2 ]]; then
			# The path via edge2 is longer, so core prefers edge1 while both advertise.
			prepend="  neighbor 10.99.2.1 route-map BACKUP out"
		fi
		cat <<EOF
route-map BACKUP permit 10
 set as-path prepend 6500$i 6500$i
!
router bgp 6500$i
 bgp router-id 10.99.$i.2
 no bgp ebgp-requires-policy
 timers bgp 1 3
 neighbor 10.99.$i.1 remote-as 65000
 neighbor 10.99.$i.1 timers connect 1
 neighbor 10.99.$i.1 advertisement-interval 0
 address-family ipv4 unicast
  redistribute kernel route-map ANYCAST
$prepend
 exit-address-family
 address-family ipv6 unicast
  neighbor 10.99.$i.1 activate
  redistribute kernel route-map ANYCAST6
$prepend
 exit-address-family
!
EOF
		;;
	esac
}

# OSPF: ospfd (IPv4) and ospf6d (IPv6), point-to-point links with hello 1
# dead 3, SPF throttle 0/50/500 ms. The edges redistribute ipslad's kernel
# routes as external type-1 routes, edge1 with metric 10 and edge2 with 100,
# so core prefers dns1 while edge1 advertises it.
frr_conf_ospf() { # frr_conf_ospf NODE
	local ifs rid nets
	case $1 in
	core)
		ifs="edge1 edge2"
		rid=10.99.0.1
		nets=" network 10.99.1.0/30 area 0
 network 10.99.2.0/30 area 0
 network 10.9.0.0/24 area 0
 passive-interface client"
		;;
	edge1 | edge2)
		ifs=core
		rid=10.99.${1#edge}.2
		nets=" network 10.99.${1#edge}.0/30 area 0
 redistribute kernel route-map ANYCAST"
		;;
	esac
	local i
	for i in $ifs; do
		cat <<EOF
interface $i
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 3
 ipv6 ospf6 area 0
 ipv6 ospf6 network point-to-point
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 3
!
EOF
	done
	[[ $1 == core ]] && printf 'interface client\n ipv6 ospf6 area 0\n ipv6 ospf6 passive\n!\n'
	cat <<EOF
router ospf
 ospf router-id $rid
 timers throttle spf 0 50 500
 timers lsa min-arrival 0
$nets
!
router ospf6
 ospf6 router-id $rid
 timers throttle spf 0 50 500
 timers lsa min-arrival 0
EOF
	[[ $1 != core ]] && echo " redistribute kernel route-map ANYCAST6"
	echo "!"
}

# EIGRP as in the seed: FRR's eigrpd. FRR 8.4's eigrpd accepts
# "redistribute kernel" but never redistributes (its handler is empty), so
# the lab detects that the route does not reach core.
frr_conf_eigrp() { # frr_conf_eigrp NODE
	case $1 in
	core)
		cat <<EOF
router eigrp 100
 eigrp router-id 10.99.0.1
 network 10.99.1.0/30
 network 10.99.2.0/30
 network 10.9.0.0/24
!
EOF
		;;
	edge1 | edge2)
		local i=${1#edge} delay=10
		[[ $i == 2 ]] && delay=1000
		cat <<EOF
router eigrp 100
 eigrp router-id 10.99.$i.2
 network 10.99.$i.0/30
 redistribute kernel metric 1000000 $delay 255 1 1500
!
EOF
		;;
	esac
}

frr_conf() { # frr_conf NODE: print the node's frr.conf for $IGP
	local metric=10
	[[ $1 == edge2 ]] && metric=100
	printf 'frr defaults traditional\nhostname %s\nlog file %s\n!\n' "$1" "$WORK/$1/frr/frr.log"
	[[ $1 != core ]] && frr_policy "$metric"
	"frr_conf_$IGP" "$1"
}

frr_daemons() { # the protocol daemons of $IGP
	case $IGP in
	bgp) echo bgpd ;;
	ospf) echo ospfd ospf6d ;;
	eigrp) echo eigrpd ;;
	esac
}

start_frr() { # start_frr NODE: zebra + the IGP's daemons with pathspace ipslab-NODE
	local n=$1 d=$WORK/$1/frr run=/var/run/frr/$P$1 i dm
	mkdir -p "$d"
	frr_conf "$n" >"$d/frr.conf"
	chown -R frr:frr "$d"
	if [[ ! -d /var/run/frr ]]; then
		install -d -o frr -g frr -m 0755 /var/run/frr
		CREATED_RUNFRR=1
	fi
	[[ ! -e $run && ! -e /etc/frr/$P$n ]] || die "$run or /etc/frr/$P$n exists: leftovers? run $0 --cleanup"
	CREATED_DIRS+=("$run" "/etc/frr/$P$n")
	install -d -o frr -g frr -m 0755 "$run"
	mkdir -p "/etc/frr/$P$n"
	touch "/etc/frr/$P$n/vtysh.conf" # silences vtysh -N's warning
	nsx "$n" "$FRRBIN/zebra" -d -N "$P$n" -f "$d/frr.conf" -i "$d/zebra.pid" </dev/null 2>>"$d/stderr.log"
	for ((i = 0; i < 100; i++)); do
		[[ -S $run/zserv.api ]] && break
		sleep 0.1
	done
	[[ -S $run/zserv.api ]] || die "zebra in $P$n did not start (see $d/frr.log)"
	for dm in $(frr_daemons); do
		[[ -x $FRRBIN/$dm ]] || die "$FRRBIN/$dm missing (package frr)"
		nsx "$n" "$FRRBIN/$dm" -d -N "$P$n" -f "$d/frr.conf" -i "$d/$dm.pid" </dev/null 2>>"$d/stderr.log"
	done
}

vty() { # vty NODE COMMAND
	vtysh -N "$P$1" -c "$2"
}

# ---------------------------------------------------------------- nsd
nsd_setup() { # nsd_setup N: config and zone for dnsN
	local i=$1 d=$WORK/dns$1
	mkdir -p "$d"
	cat >"$d/nsd.conf" <<EOF
server:
  ip-address: $ANYCAST
  ip-address: 10.0.$i.10
  ip-address: $ANYCAST6
  ip-address: 2001:db8:$i::10
  port: 53
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$d"
  database: ""
  zonelistfile: "$d/zone.list"
  xfrdfile: "$d/xfrd.state"
  xfrdir: "$d"
  pidfile: "$d/nsd.pid"
  logfile: "$d/nsd.log"
  hide-version: yes
  reuseport: no
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "example.com"
  zonefile: "example.com.zone"
EOF
	cat >"$d/example.com.zone" <<EOF
\$ORIGIN example.com.
\$TTL 1
@        IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 1
@        IN NS  ns.example.com.
ns       IN A   $ANYCAST
anycast  IN A   $ANYCAST
anycast  IN AAAA $ANYCAST6
anycast  IN TXT "dns$i"
whoami   IN TXT "dns$i 10.0.$i.10 behind edge$i"
EOF
	nsd-checkconf "$d/nsd.conf" || die "nsd-checkconf $d/nsd.conf failed"
}

nsd_pid() { # nsd_pid N: print the pid of dnsN's nsd if it runs
	local f=$WORK/dns$1/nsd.pid pid
	[[ -s $f ]] || return 1
	pid=$(head -n1 "$f")
	alive "$pid" || return 1
	echo "$pid"
}

nsd_start() {
	local i
	nsx "dns$1" nsd -c "$WORK/dns$1/nsd.conf" </dev/null || die "nsd in dns$1 did not start"
	for ((i = 0; i < 50; i++)); do
		nsd_pid "$1" >/dev/null && return 0
		sleep 0.1
	done
	die "nsd in dns$1 wrote no pid file (see $WORK/dns$1/nsd.log)"
}

nsd_stop() {
	local pid
	pid=$(nsd_pid "$1") || return 0
	stop_pid "$pid"
}

# blackhole N on|off: dnsN still receives queries and probes but its answers are
# dropped (toward its edge's address and toward everything behind it), so the
# probes time out instead of being refused.
link_down() { [[ $(ip -n "${P}core" -o link show "edge$1" 2>/dev/null) != *"state UP"* ]]; }
blackholed() { [[ -n $(ip -n "${P}dns$1" route show type blackhole 2>/dev/null) ]]; }
blackhole() {
	local ns=${P}dns$1 edge=10.0.$1.1
	if [[ $2 == on ]]; then
		ip -n "$ns" route add blackhole "$edge/32"
		ip -n "$ns" route replace blackhole default
		ip -n "$ns" -6 route add blackhole "2001:db8:$1::1/128"
		ip -n "$ns" -6 route replace blackhole default
	else
		ip -n "$ns" route del blackhole "$edge/32" 2>/dev/null || true
		ip -n "$ns" route replace default via "$edge"
		ip -n "$ns" -6 route del blackhole "2001:db8:$1::1/128" 2>/dev/null || true
		ip -n "$ns" -6 route replace default via "2001:db8:$1::1"
	fi
}

# ---------------------------------------------------------------- ipslad
ipslad_start() { # ipslad_start N: ipslad in edgeN probing dnsN
	local i=$1 d=$WORK/edge$1
	mkdir -p "$d"
	cat >"$d/ipslad.cfg" <<EOF
ip sla 101
 dns anycast.example.com name-server 10.0.$i.10
 frequency 1
 timeout 500
 threshold 500
ip sla schedule 101 life forever start-time now
track 101 ip sla 101
ip route $ANYCAST 255.255.255.255 10.0.$i.10 track 101
ipv6 route $ANYCAST6/128 2001:db8:$i::10 track 101
EOF
	nsx "edge$i" "$WORK/bin/ipslad" -f "$d/ipslad.cfg" --socket "$d/ipslad.sock" \
		--route-protocol "$PROTO" </dev/null 2>"$d/ipslad.log" &
	IPSLAD_PIDS+=("$!")
}

ctl() { # ctl N COMMAND...: ipslactl against edgeN's ipslad
	local i=$1
	shift
	"$WORK/bin/ipslactl" -s "$WORK/edge$i/ipslad.sock" "$@"
}

# ---------------------------------------------------------------- observations
answer() { # answer [ADDR]: who answers the client's query for anycast.example.com TXT
	local out
	out=$(nsx client dig "@${1:-$ANYCAST}" anycast.example.com TXT +short +time=1 +tries=1 </dev/null 2>/dev/null || true)
	out=$(grep -v '^;' <<<"$out" | head -n1 | tr -d '"' || true)
	echo "${out:-no answer}"
}
answer_is() { [[ $(answer) == "$1" ]]; }
answer6_is() { [[ $(answer "$ANYCAST6") == "$1" ]]; }

edge_route() { # edge_route N: is ipslad's route installed in edgeN?
	[[ -n $(ip -n "${P}edge$1" route show "$ANYCAST/32" proto $PROTO 2>/dev/null) ]]
}
core_via() { # core_via [-6]: which edge core forwards the anycast address to
	local r
	if [[ ${1:-} == -6 ]]; then
		r=$(ip -n "${P}core" -6 route show "$ANYCAST6/128" 2>/dev/null || true)
	else
		r=$(ip -n "${P}core" route show "$ANYCAST/32" 2>/dev/null || true)
	fi
	[[ $r =~ dev\ ([a-z0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo none
}
core_via_is() { [[ $(core_via) == "$1" ]]; }
core6_via_is() { [[ $(core_via -6) == "$1" ]]; }
igp_show() { # the IGP's view of the anycast prefix on core
	case $IGP in
	bgp) echo "show ip bgp $ANYCAST/32" ;;
	ospf) echo "show ip ospf database external $ANYCAST" ;;
	eigrp) echo "show ip eigrp topology" ;;
	esac
}
core_has_both() { # core's IGP holds the anycast prefix from both edges
	local t
	t=$(vty core "$(igp_show)" 2>/dev/null || true)
	case $IGP in
	ospf) [[ $t == *"Advertising Router: 10.99.1.2"* && $t == *"Advertising Router: 10.99.2.2"* ]] ;;
	*) [[ $t == *10.99.1.2* && $t == *10.99.2.2* && $t == *$ANYCAST* ]] ;;
	esac
}
track_state() { # track_state N: state of track 101 in edgeN's ipslad
	local s
	s=$(ctl "$1" show track brief 2>/dev/null | awk '$1 == "101" {print $6}' || true)
	echo "${s:-?}"
}

declare -A LOG_SEEN=([1]=0 [2]=0)
new_track_lines() { # print ipslad log lines that appeared since the last call
	local i f n
	for i in 1 2; do
		f=$WORK/edge$i/ipslad.log
		[[ -f $f ]] || continue
		n=$(wc -l <"$f")
		if ((n > LOG_SEEN[$i])); then
			# slog text lines: keep the time of day and the message
			sed -n "$((LOG_SEEN[$i] + 1)),${n}p" "$f" | grep -E '%TRACK|%IPSLA|level=(WARN|ERROR)' |
				sed -E -e 's/^time=[^ ]*T([0-9:]+(\.[0-9]{3})?)[^ ]* level=INFO msg="(([^"\\]|\\.)*)".*/\1 \3/' \
					-e 's/^time=[^ ]*T([0-9:]+(\.[0-9]{3})?)[^ ]* level=([^ ]+) msg="(([^"\\]|\\.)*)"/\1 \3 \4/' \
					-e "s/^/          edge$i ipslad: /" || true
			LOG_SEEN[$i]=$n
		fi
	done
}

# wait_for DESCRIPTION CMD...: poll CMD until it succeeds, at most STEP_TIMEOUT s.
wait_for() {
	local what=$1 deadline
	shift
	deadline=$(($(now_ms) + STEP_TIMEOUT * 1000))
	until "$@"; do
		(($(now_ms) < deadline)) || die "timed out after ${STEP_TIMEOUT}s waiting for: $what"
		sleep 0.05
	done
}

# milestones T0 LABEL CMD [LABEL CMD]...: wait for each CMD in turn (they are
# causally ordered) and print the time since T0 at which it first succeeded.
# Fails after STEP_TIMEOUT s. Sets ELAPSED to the time of the last one.
milestones() {
	local t0=$1 t
	shift
	while (($#)); do
		until eval "$2"; do
			(($(now_ms) - t0 < STEP_TIMEOUT * 1000)) || die "timed out after ${STEP_TIMEOUT}s waiting for: $1"
			sleep 0.01
		done
		t=$(now_ms)
		printf '          +%5d ms  %s\n' $((t - t0)) "$1"
		shift 2
	done
	ELAPSED=$((t - t0))
}

status_line() {
	local a a6 e1 e2 n1 n2 r1 r2
	a=$(answer)
	a6=$(answer "$ANYCAST6")
	e1=$(track_state 1)
	e2=$(track_state 2)
	edge_route 1 && r1=route || r1=-----
	edge_route 2 && r2=route || r2=-----
	nsd_pid 1 >/dev/null && n1=up || n1=STOPPED
	nsd_pid 2 >/dev/null && n2=up || n2=STOPPED
	blackholed 1 && n1+=",BLACKHOLED"
	blackholed 2 && n2+=",BLACKHOLED"
	link_down 1 && n1+=",LINK-DOWN"
	link_down 2 && n2+=",LINK-DOWN"
	printf '%s  answer: %-9s v6: %-9s | edge1 track %-4s %s | edge2 track %-4s %s | core -> %-5s | dns1 %s, dns2 %s\n' \
		"$(date +%T)" "$a" "$a6" "$e1" "$r1" "$e2" "$r2" "$(core_via)" "$n1" "$n2"
}

# ---------------------------------------------------------------- bring-up
bring_up() {
	if [[ $'\n'$(ip netns list) == *$'\n'"$P"* ]]; then
		die "namespaces ${P}* exist: another lab is running, or run $0 --cleanup"
	fi
	[[ ! -e $WORK ]] || die "$WORK exists: another lab is running, or run $0 --cleanup"
	ensure_packages
	install -d -m 0755 "$WORK"
	CREATED_WORK=1
	build
	topology
	say "starting nsd in dns1 and dns2"
	nsd_setup 1
	nsd_setup 2
	nsd_start 1
	nsd_start 2
	say "starting FRR (zebra, $(frr_daemons | tr '\n' ' ' | sed 's/ *$//; s/ /, /g')) in core, edge1, edge2"
	start_frr core
	start_frr edge1
	start_frr edge2
	say "starting ipslad in edge1 and edge2"
	ipslad_start 1
	ipslad_start 2
	sleep 0.3
	local i
	for i in 0 1; do
		alive "${IPSLAD_PIDS[$i]}" || die "ipslad in edge$((i + 1)) exited: $(cat "$WORK/edge$((i + 1))/ipslad.log")"
	done
	[[ $IGP == eigrp ]] && eigrp_check
	say "waiting for ${IGP^^} and the probes (up to ${STEP_TIMEOUT}s)"
	wait_for "client answered by dns1" answer_is dns1
	wait_for "client answered by dns1 over IPv6" answer6_is dns1
	wait_for "core learns the anycast prefix from edge1 and edge2" core_has_both
	say "lab is up: the client gets answers from $(answer) (IPv4) and $(answer "$ANYCAST6") (IPv6)"
	new_track_lines
}

# eigrp_check: FRR's eigrpd up to at least 8.4 (Debian 12) forms adjacencies
# but its redistribution handler is empty, so "redistribute kernel" never
# puts ipslad's route into EIGRP. Detect that instead of assuming a version:
# wait for the adjacencies and ipslad's route on edge1, then give EIGRP a
# few seconds to carry it to core.
eigrp_adjacent() { [[ $(vty core "show ip eigrp neighbors" 2>/dev/null) == *10.99.1.2*10.99.2.2* ]]; }
edge1_rib_kernel() { [[ $(vty edge1 "show ip route $ANYCAST/32" 2>/dev/null) == *'"kernel"'* ]]; }
eigrp_check() {
	local ver
	ver=$("$FRRBIN/zebra" --version 2>/dev/null | awk 'NR == 1 {print $3}')
	say "EIGRP: checking whether this FRR ($ver) redistributes into EIGRP"
	wait_for "EIGRP adjacencies on core" eigrp_adjacent
	wait_for "ipslad's route on edge1" edge_route 1
	wait_for "zebra on edge1 has ipslad's route as a kernel route" edge1_rib_kernel
	local i
	for ((i = 0; i < 50; i++)); do
		[[ $(vty core "show ip eigrp topology" 2>/dev/null) == *$ANYCAST* ]] && return 0
		sleep 0.1
	done
	echo "--- edge1# show ip route $ANYCAST/32"
	vty edge1 "show ip route $ANYCAST/32" || true
	echo "--- core# show ip eigrp topology"
	vty core "show ip eigrp topology" || true
	cat >&2 <<EOF
lab.sh: EIGRP is not usable with this FRR ($ver): the adjacencies are up and ipslad's route
        $ANYCAST/32 is in edge1's kernel and zebra's RIB, but eigrpd does not put it into
        EIGRP: FRR's eigrpd accepts "redistribute kernel" but its redistribution handler
        does nothing (FRRouting/frr issues #12344 and #18596, still open for FRR 10.3).
        ipslad itself is fine: run the same lab with --igp bgp or --igp ospf, or use an
        FRR whose eigrpd redistributes.
EOF
	exit 3
}

# ---------------------------------------------------------------- modes
demo() {
	echo
	echo "--- core# $(igp_show)"
	vty core "$(igp_show)"
	echo "--- core# show ipv6 route $ANYCAST6/128"
	vty core "show ipv6 route $ANYCAST6/128"
	echo "--- edge1\$ ipslactl show track brief"
	ctl 1 show track brief
	echo "--- client\$ dig @$ANYCAST anycast.example.com TXT +short"
	nsx client dig @$ANYCAST anycast.example.com TXT +short +time=1 +tries=1
	echo "--- client\$ dig @$ANYCAST6 anycast.example.com TXT +short"
	nsx client dig @$ANYCAST6 anycast.example.com TXT +short +time=1 +tries=1
	echo

	say "FAILOVER: stopping nsd on dns1"
	local t0
	nsd_stop 1
	t0=$(now_ms)
	milestones "$t0" \
		"edge1: ipslad withdrew $ANYCAST/32" '! edge_route 1' \
		"core: $ANYCAST/32 now via edge2" 'core_via_is edge2' \
		"client: answered by dns2" 'answer_is dns2'
	local failover=$ELAPSED
	milestones "$t0" \
		"core: $ANYCAST6/128 via edge2 (checked after IPv4)" 'core6_via_is edge2' \
		"client: answered by dns2 over IPv6" 'answer6_is dns2'
	new_track_lines
	say "failover: dns2 answers ${failover} ms after nsd on dns1 stopped"
	echo

	say "RECOVERY: starting nsd on dns1 again"
	nsd_start 1
	t0=$(now_ms)
	milestones "$t0" \
		"edge1: ipslad reinstalled $ANYCAST/32" 'edge_route 1' \
		"core: $ANYCAST/32 back via edge1" 'core_via_is edge1' \
		"client: answered by dns1" 'answer_is dns1'
	local recovery=$ELAPSED
	milestones "$t0" \
		"core: $ANYCAST6/128 back via edge1 (checked after IPv4)" 'core6_via_is edge1' \
		"client: answered by dns1 over IPv6" 'answer6_is dns1'
	new_track_lines
	say "recovery: dns1 answers again ${recovery} ms after nsd on dns1 started"
	echo
	echo "--- edge1\$ ipslactl show ip sla statistics"
	ctl 1 show ip sla statistics
	echo
	say "demo passed (${IGP^^}, IPv4 and IPv6): failover ${failover} ms, recovery ${recovery} ms (IPv4 client)"
}

help_keys() {
	cat <<'EOF'
keys: 1/2 stop/start nsd on dns1/dns2   b/B blackhole dns1/dns2 on/off   l/L link core-edge1/2 down/up
      s/S ipslactl show ip sla statistics + show track on edge1/edge2
      r   core's IGP view of 192.0.2.53/32   h this help   q quit
EOF
}

interactive() {
	local key rc lines=0 eof=0 stop=0
	[[ -t 0 ]] && STTY_SAVED=$(stty -g)
	# Only set a flag on Ctrl-C here: exiting from the trap while `read -t` is
	# pending makes bash 5.2 jump back into the finished read when its timer
	# fires, and crash in the middle of the cleanup.
	trap 'stop=130' INT
	trap 'stop=143' TERM
	echo
	help_keys
	while ((!stop)); do
		status_line
		new_track_lines
		((++lines % 20)) || help_keys
		key=""
		if ((eof)); then
			sleep 1
		elif read -r -s -t 1 -n 1 key; then
			:
		else
			rc=$?
			((rc > 128)) || eof=1 # >128: timeout or signal; else end of input
		fi
		((!stop)) || break
		case $key in
		1 | 2)
			if nsd_pid "$key" >/dev/null; then
				say ">>> stopping nsd on dns$key"
				nsd_stop "$key"
			else
				say ">>> starting nsd on dns$key"
				nsd_start "$key"
			fi
			;;
		b | B)
			local n=1
			[[ $key == B ]] && n=2
			if blackholed "$n"; then
				say ">>> dns$n: blackhole off"
				blackhole "$n" off
			else
				say ">>> dns$n: blackhole on (answers are dropped, probes time out)"
				blackhole "$n" on
			fi
			;;
		l | L)
			local n=1
			[[ $key == L ]] && n=2
			if link_down "$n"; then
				say ">>> link core -- edge$n up"
				ip -n "${P}core" link set "edge$n" up
			else
				say ">>> link core -- edge$n down (the IGP drops edge$n's routes)"
				ip -n "${P}core" link set "edge$n" down
			fi
			;;
		s | S)
			local n=1
			[[ $key == S ]] && n=2
			echo "--- edge$n\$ ipslactl show ip sla statistics"
			ctl "$n" show ip sla statistics || true
			echo "--- edge$n\$ ipslactl show track"
			ctl "$n" show track || true
			;;
		r)
			echo "--- core# $(igp_show)"
			vty core "$(igp_show)" || true
			;;
		h | '?') help_keys ;;
		q | Q) return 0 ;;
		esac
	done
	exit "$stop"
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bring_up
case $MODE in
demo) demo ;;
interactive) interactive ;;
esac
