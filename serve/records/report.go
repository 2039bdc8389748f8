package records

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Report is what a box's /init posts once its selftest is done
// (rootfs/tree/init: the report= lines).
type Report struct {
	MAC    string // lower case, colon separated
	IP     string // the box's own eth0 address
	Digest string // sha256:<64 hex>, from rambox.bundle= on its command line
	Result string // PASS or FAIL, as selftest.Verdict decides it

	UptimeInitMS int64 // kernel uptime when /init started
	UptimeDoneMS int64 // kernel uptime when the selftest ended
	MemUsedKB    int64
	Ping         string // ok, fail or skipped

	Remote   string // the peer address the post came from (NAT may differ from IP)
	Received time.Time
}

// Report form fields, as rootfs/tree/init posts them.
const (
	FieldMAC          = "mac"
	FieldIP           = "ip"
	FieldDigest       = "digest"
	FieldResult       = "result"
	FieldUptimeInitMS = "uptime_init_ms"
	FieldUptimeDoneMS = "uptime_done_ms"
	FieldMemUsedKB    = "mem_used_kb"
	FieldPing         = "ping"
)

// Results a box may report.
const (
	ResultPass = "PASS"
	ResultFail = "FAIL"
)

// ErrBadReport is wrapped by every ParseReport error; the message names
// the field at fault.
var ErrBadReport = errors.New("bad boot report")

// ParseReport validates a posted report. Every field is required once;
// fields it does not know are ignored, so a newer /init can add some.
// remote is the peer address; now is when the post arrived.
func ParseReport(form url.Values, remote netip.Addr, now time.Time) (Report, error) {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: field %s: %s", ErrBadReport, field, fmt.Sprintf(format, a...)))
	}
	get := func(field string) (string, bool) {
		v := form[field]
		switch {
		case len(v) == 0 || v[0] == "":
			bad(field, "missing")
			return "", false
		case len(v) > 1:
			bad(field, "given %d times", len(v))
			return "", false
		}
		return v[0], true
	}
	num := func(field string) int64 {
		s, ok := get(field)
		if !ok {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			bad(field, "%q is not a non-negative integer", s)
		}
		return n
	}

	r := Report{Received: now}
	if remote.IsValid() {
		r.Remote = remote.Unmap().String()
	}
	if s, ok := get(FieldMAC); ok {
		if hw, err := net.ParseMAC(s); err != nil || len(hw) != 6 {
			bad(FieldMAC, "%q is not an Ethernet MAC address", s)
		} else {
			r.MAC = hw.String()
		}
	}
	if s, ok := get(FieldIP); ok {
		if a, err := netip.ParseAddr(s); err != nil {
			bad(FieldIP, "%q is not an IP address", s)
		} else {
			r.IP = a.Unmap().String()
		}
	}
	if s, ok := get(FieldDigest); ok {
		if !ValidDigest(s) {
			bad(FieldDigest, "%q is not sha256:<64 lower-case hex digits>", s)
		} else {
			r.Digest = s
		}
	}
	if s, ok := get(FieldResult); ok {
		if s != ResultPass && s != ResultFail {
			bad(FieldResult, "%q is neither %s nor %s", s, ResultPass, ResultFail)
		} else {
			r.Result = s
		}
	}
	r.UptimeInitMS = num(FieldUptimeInitMS)
	r.UptimeDoneMS = num(FieldUptimeDoneMS)
	r.MemUsedKB = num(FieldMemUsedKB)
	if s, ok := get(FieldPing); ok {
		switch s {
		case "ok", "fail", "skipped":
			r.Ping = s
		default:
			bad(FieldPing, "%q is not ok, fail or skipped", s)
		}
	}
	if len(errs) == 0 && r.UptimeDoneMS < r.UptimeInitMS {
		bad(FieldUptimeDoneMS, "%d is before %s %d", r.UptimeDoneMS, FieldUptimeInitMS, r.UptimeInitMS)
	}
	if len(errs) > 0 {
		return Report{}, errors.Join(errs...)
	}
	return r, nil
}

// ValidDigest reports whether s is sha256: and 64 lower-case hex digits,
// the only form serve hands out on a command line.
func ValidDigest(s string) bool {
	hex, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for _, c := range hex {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
