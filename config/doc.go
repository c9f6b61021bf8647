// Package config reads ipslad's configuration, written Cisco IOS style or
// in YAML, into sla, track and route values, and writes it back as IOS
// running-config text.
//
// # Cisco IOS style
//
// Parse reads the subset of IOS that ipslad emulates (docs/cisco-semantics.md):
//
//	ip sla N
//	 dns TARGET name-server ADDR [source-ip A] [source-port P]
//	 frequency S | timeout MS | threshold MS | owner TEXT | tag TEXT
//	ip sla schedule N [life {forever|S}] [start-time {now|pending|after hh:mm:ss}] [ageout 0]
//	track N ip sla M [state|reachability]
//	 delay {up S [down S] | down S [up S]}
//	ip route PREFIX MASK {NH | IF [NH]} [DISTANCE] [tag T] [name N] [permanent | track K]
//	ipv6 route PREFIX/LEN {NH | IF [NH]} [DISTANCE] [tag T] [name N] [permanent | track K]
//
// and the no forms `no ip sla N`, `no ip sla schedule N`, `no track N`,
// `no ip route ...`, `no delay` (or `default delay`) and `no frequency` and
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
// families (other operation types, `vrf`, `history`, absolute or random
// start times, `recurring`, a nonzero `ageout`, other track types,
// `ip route vrf`, ...), are errors saying "not supported yet": ignoring
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
// with the same defaults, ranges, messages and validation.
//
// # Errors and validation
//
// Both front ends keep going after an error and return every problem at
// once as an ErrorList, each "file:line:col: what: expected X, got Y".
// After reading, both run the same checks: IOS's schedule-time rule
// threshold ≤ timeout ≤ frequency for scheduled operations (an error on the
// schedule line, in IOS's words), a scheduled entry being redefined (IOS:
// "Entry already running and cannot be modified"), and references. What IOS
// accepts but is likely a mistake — a track of an undefined operation (the
// track stays Down), a route tracking an undefined track (treated as Down),
// an unscheduled operation, a duplicate route (IOS keeps one) — goes to
// Config.Warnings.
//
// Format writes a Config as canonical IOS text, such that Parse(Format(c))
// gives c's model back.
package config
