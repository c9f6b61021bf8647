// Package config reads ipslad's configuration, written Cisco IOS style or
// in YAML, into sla, track and route values, and writes it back as IOS
// running-config text.
//
// # Cisco IOS style
//
// Parse reads the subset of IOS that ipslad emulates (docs/cisco-semantics.md):
//
//	ip sla N
//	 dns TARGET name-server ADDR [source-ip A] [source-port P]   (TARGET: host name, or IPv4/IPv6 address: PTR)
//	 frequency S | timeout MS | threshold MS | owner TEXT | tag TEXT
//	ip sla schedule N [life {forever|S}] [start-time {now|pending|after hh:mm:ss|random MS|hh:mm[:ss] [month day]}]
//	                  [ageout S] [recurring]
//	track N ip sla M [state|reachability]
//	track N interface IF {line-protocol | ip routing}
//	track N ip route {A.B.C.D M.M.M.M | A.B.C.D/LEN} {reachability | metric threshold}
//	 ip vrf NAME
//	 threshold metric {up U [down D] | down D [up U]}      (up 0-254, down 1-255; 254/255)
//	track N ipv6 route X:X::X/LEN {reachability | metric threshold}
//	track N list boolean {and | or}
//	 object M [not]
//	track N list threshold {weight | percentage}
//	 object M [weight W]                                    (weight 1-255, default 10)
//	 threshold {weight|percentage} {up U [down D] | down D [up U]}  (default up 1 down 0)
//	track N stub-object
//	 default-state {up | down}                              (default down)
//	 delay {up S [down S] | down S [up S]}                  (every type)
//	 hysteresis {up N [down M] | down M [up N]}             (extension; ip sla only)
//	 dampening [HALF-LIFE [REUSE SUPPRESS [MAX-SUPPRESS]]]  (extension; every type)
//	ip route PREFIX MASK {NH | IF [NH]} [DISTANCE] [tag T] [name N] [permanent | track K]
//	ipv6 route PREFIX/LEN {NH | IF [NH]} [DISTANCE] [tag T] [name N] [permanent | track K]
//	ipslad route backend {kernel | frr [tags LOW-HIGH] [pathspace NAME]}   (extension)
//
// Beyond IOS, a dns operation takes these sub-commands (ipslad extensions;
// each no form restores IOS's behaviour, and IOS configurations parse
// unchanged):
//
//	query-type TYPE                   ! A, AAAA, SOA, TXT, NS, MX, PTR, ... (default: PTR for an address target, else A)
//	accept-rcode RCODE [RCODE...]     ! RCODEs that count as an answer (default NOERROR only);
//	                                  ! an accepted RCODE other than NOERROR is OK whatever the answer
//	expect-answer {ADDR | regexp RE}  ! a record of the asked type must hold ADDR, or its data
//	                                  ! match RE (unanchored; TXT strings joined without quotes),
//	                                  ! else the return code is "Verify error"
//	[no] recursion-desired            ! the RD bit (default on, as IOS)
//	transport {udp | tcp}             ! default udp, as IOS
//	tcp-fallback                      ! repeat a truncated UDP reply's query over TCP
//	edns buffer-size BYTES            ! 512-65535: add an EDNS OPT record (default none)
//	frequency msec MS                 ! sub-second frequency, 100-604800000 ms
//
// Besides dns, the IOS types icmp-echo, tcp-connect, udp-echo and http
// are read with their common sub-commands (vrf, tos, request-data-size,
// verify-data, data-pattern), and so are the schedule options start-time hh:mm[:ss]
// [month day] and random MS, ageout and recurring, `ip sla group
// schedule` (with `frequency range A-B`), `history
// lives-kept|buckets-kept|filter`, the distribution statistics `history
// hours-of-statistics-kept N` (0-25, default 2; 0: off), `history
// distributions-of-statistics-kept N` (1-20, default 1) and `history
// statistics-distribution-interval MS` (1-100, default 20), and the reaction lines
// `ip sla reaction-configuration`, `ip sla reaction-trigger` and `ip sla
// logging traps` (README, "Configuration").
//
// The http type line is IOS's, options in any order:
//
//	http {get | raw} URL [name-server ADDR] [version {1.0 | 1.1}] [source-ip ADDR]
//	     [source-port P] [cache {enable | disable}] [proxy URL]
//	http-raw-request                  ! http raw: the request, sent verbatim
//	 GET /health HTTP/1.0\r\n          ! lines are joined as they are, escapes
//	 \r\n                              ! \r \n \t \\ resolved; nothing is added
//	 exit
//	data-pattern HEX                  ! icmp-echo, udp-echo: 1-8 hex digits, default ABCDABCD
//
// version defaults to 1.0 (IOS's default) and goes on the request line;
// name-server resolves the URL's host through that DNS server (UDP port
// 53) instead of the system resolver; proxy sends the absolute-URI request
// to the proxy (CONNECT for an https URL) and the target name is not looked
// up locally. cache follows IOS's MIB (rttMonEchoAdminCache): enable, the
// default, lets caches on the way answer; disable adds "Cache-Control:
// no-cache" and "Pragma: no-cache" so they fetch from the origin (ipslad
// itself never caches; a raw request is sent as written). Inside
// http-raw-request every line is request text up to a line "exit"; a
// line at or left of the http-raw-request line that is one of ipslad's
// global commands also ends it. Beyond IOS, \xHH writes any byte (Format
// uses it for blanks at either end of a line, a leading "!", a line "exit"
// and control bytes, so that the request reads back unchanged). The data pattern's bytes fill the payload
// repeated (an odd number of digits gets a leading 0); the first 8 bytes
// of a udp-echo payload are a per-run token that tells a late echo from
// the current one.
//
// Parse also reads the no forms `no ip sla N`, `no ip sla schedule N`, `no track N`,
// `no ip route ...`, `no delay` (or `default delay`), `no object M`,
// `no threshold ...`, `no hysteresis`, `no dampening`, `no frequency` and
// the like. Keywords are not case sensitive. A line is a list of words; "!"
// starts a comment and a double-quoted string is one word.
//
// Lines run through a stack of configuration modes as on IOS, not by
// indentation: `ip sla N` enters ip-sla mode, its type line ip-sla-dns mode,
// `track N ...` track mode; `exit` leaves a mode and `end` returns to global
// configuration. A line that a mode does not know is retried in the
// enclosing modes, so files need no indentation. Indentation is only a
// hint: an indented line that its ipslad mode does not know is taken as a
// mistyped sub-command (an error) rather than the next global command.
//
// Commands IOS has but ipslad does not implement yet, inside its own
// families (operation types such as udp-jitter, `history enhanced`,
// `track N application`,
// `interface IF ipv6 routing`, `carrier-delay`, `ip route vrf`, ...), are errors saying "not supported yet": ignoring
// them would run something other than what the file says.
//
// # Other IOS features
//
// So that a pasted `show running-config` loads, lines of other IOS features
// are skipped without error, each with the block of sub-commands it opens:
// interfaces, routing protocols (with address-family blocks), route-maps,
// access lists, lines, banners (to their closing delimiter, however many
// lines later), hostname, logging, ntp, snmp-server, aaa and the like.
// Inside such a block, indented lines are the block's, and so are
// unindented ones unless they are global commands (`ip address` after
// `interface eth0` is the interface's). ipslad's own commands always leave
// the block, except an indented `track` line, which is the block's (VRRP's
// `track 1 decrement 10`). An interface name on a route line is a word
// that starts with a letter and is neither an address nor a keyword.
//
// An unknown top-level command is a judgement call. When it looks like a
// misspelt ipslad command (one typo away from `track`, `ip sla`, `ip route`
// or `ipv6 route`) it is an error, because silently dropping a route or a
// track is the worst outcome. Any other unknown command is skipped with
// its indented lines and reported in Config.Warnings, so that a newer IOS
// feature does not stop the daemon but `ipslad -check` still shows it.
//
// # YAML
//
// ParseYAML reads the same model from YAML (see its doc for the schema),
// with the same defaults, ranges, messages and validation. The IOS global
// ip sla lines have these YAML forms:
//
//	ip sla schedule N life L start-time T ageout A recurring
//	    ip-sla entry:  schedule: {life: L, start-time: T, ageout: A, recurring: true}
//	                   (T as in IOS: now, pending, after hh:mm:ss, random MS,
//	                   "hh:mm[:ss] [month day]")
//	ip sla group schedule G 1-3,5 schedule-period P frequency F life L start-time T ageout A
//	    top level:     ip-sla-group-schedule: [{group: G, operations: 1-3,5,
//	                   schedule-period: P, frequency: F, life: L, start-time: T, ageout: A}]
//	ip sla group schedule G 1-3,5 schedule-period P frequency range A-B ...
//	    top level:     ip-sla-group-schedule: [{..., frequency-range: A-B}]
//	                   (IOS's random scheduler: starts spread at random over P,
//	                   each next frequency drawn within A-B after every run;
//	                   the timeout must not exceed A; A below P is a warning)
//	ip sla reaction-configuration N react E threshold-type T threshold-value U L action-type A
//	    ip-sla entry N: reaction-configuration: [{react: E, threshold-type: T,
//	                   threshold-value: {upper: U, lower: L}, action-type: A}]
//	ip sla reaction-trigger N M
//	    ip-sla entry N: reaction-trigger: [M]
//	ip sla logging traps
//	    top level:     ip-sla-logging-traps: true
//
// One YAML difference: a react element given twice in one entry's
// reaction-configuration is an error, where a second IOS line replaces the
// first.
//
// # Errors and validation
//
// Both front ends keep going after an error and return every problem at
// once as an ErrorList, each "file:line:col: what: expected X, got Y".
// After reading, both run the same checks: IOS's schedule-time rule
// threshold ≤ timeout ≤ frequency for scheduled operations (an error on the
// schedule line, in IOS's words), a scheduled entry being redefined (IOS:
// "Entry already running and cannot be modified"), and references: a list
// member that is not defined and a cycle of lists holding each other are
// errors, at the `object` word, since they could never evaluate. What IOS
// accepts but is likely a mistake — a track of an undefined operation (the
// track stays Down), a route tracking an undefined track (treated as Down),
// an unscheduled operation, a duplicate route (IOS keeps one) — goes to
// Config.Warnings.
//
// The two track extensions beyond IOS: `hysteresis up N down M` needs N
// (M) consecutive Up (Down) results before an ip sla object changes, like
// keepalived's rise/fall; `dampening` uses IOS interface dampening's syntax
// and defaults (half-life 5 s, reuse 1000, suppress 2000, max-suppress
// 4 × half-life, 1000 per Up->Down flap) to hold a flapping object Down.
//
// Format writes a Config as canonical IOS text, such that Parse(Format(c))
// gives c's model back.
package config
