package sla

import "time"

// ReturnCode is the outcome of one run, named as IOS prints it
// (MIB RttResponseSense; cisco-semantics §3.1).
type ReturnCode int

const (
	CodeUnknown            ReturnCode = iota // never run, or the entry is gone
	CodeOK                                   // valid completion within threshold
	CodeOverThreshold                        // valid completion, RTT > threshold
	CodeTimeout                              // no valid reply within timeout
	CodeBusy                                 // previous run still outstanding; this start skipped
	CodeDNSQueryError                        // the server answered, but not with a usable answer
	CodeError                                // local socket error not due to the target
	CodeNoConnection                         // the target refused (ICMP port unreachable)
	CodeVerifyError                          // the reply's data is not what was expected (expect-answer, verify-data)
	CodeSocketConnectError                   // tcp-connect, http: the connection was refused
	CodeHTTPError                            // http: a status other than 200, 301 or 302
)

var codeNames = [...]string{
	CodeUnknown:            "Unknown",
	CodeOK:                 "OK",
	CodeOverThreshold:      "Over threshold",
	CodeTimeout:            "Timeout",
	CodeBusy:               "Busy",
	CodeDNSQueryError:      "DNS query error",
	CodeError:              "Error",
	CodeNoConnection:       "No connection",
	CodeVerifyError:        "Verify error",
	CodeSocketConnectError: "Socket connect error",
	CodeHTTPError:          "HTTP error",
}

// String is the IOS display form ("OK", "Timeout", "DNS query error", ...).
func (c ReturnCode) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "Unknown"
}

// Completed reports whether the run got a valid reply (OK or over threshold);
// IOS records an RTT only then, and counts both as successes.
func (c ReturnCode) Completed() bool { return c == CodeOK || c == CodeOverThreshold }

// Result is the outcome of one run of operation ID.
type Result struct {
	ID     int
	Code   ReturnCode
	RTT    time.Duration // meaningful when Code.Completed()
	Start  time.Time
	Late   time.Duration // Start minus the scheduled start: the engine's lateness
	Detail string        // why it failed, for logs (e.g. "rcode NXDOMAIN")

	// The entry and generation that produced the result, so that a result
	// still queued when its operation was changed, removed or restarted
	// can be recognised as stale (Scheduler.Current).
	entry *entry
	gen   int
}

// RTTMillis is the RTT in whole milliseconds as IOS shows it, rounded up
// so that a sub-millisecond reply on a LAN reads 1, not 0.
func (r Result) RTTMillis() int64 {
	ms := int64(r.RTT / time.Millisecond) // rounded up, without overflow
	if r.RTT%time.Millisecond > 0 {
		ms++
	}
	return ms
}
