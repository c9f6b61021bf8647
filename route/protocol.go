package route

import "fmt"

// CheckProtocol refuses route protocol numbers that would make ipslad's
// routes invisible to zebra or confused with someone else's: 0-4 (unspec,
// redirect, kernel, boot, static: zebra ignores 1 and 2, and administrators'
// own `ip route add` routes use 3 and 4), 11, 42 and 186-198 (FRR's own,
// swept when zebra restarts), and anything outside 1-255.
func CheckProtocol(p int) error {
	switch {
	case p < 1 || p > 255:
		return fmt.Errorf("route protocol %d out of range 1-255", p)
	case p <= 4, p == 11, p == 42, p >= 186 && p <= 198:
		return fmt.Errorf("route protocol %d is reserved for the kernel, administrators or FRR; pick another (e.g. 200)", p)
	}
	return nil
}
