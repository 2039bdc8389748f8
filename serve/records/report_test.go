package records

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

const digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
const digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

func goodForm() url.Values {
	return url.Values{
		"mac": {"52:54:00:12:34:56"}, "ip": {"10.0.2.15"}, "digest": {digestA},
		"result": {"PASS"}, "uptime_init_ms": {"812"}, "uptime_done_ms": {"2950"},
		"mem_used_kb": {"10240"}, "ping": {"ok"},
	}
}

func TestParseReportGood(t *testing.T) {
	now := time.Unix(1700000000, 0)
	f := goodForm()
	f.Set("mac", "52:54:00:12:34:AB") // upper case is normalised
	f.Set("future_field", "ignored")
	r, err := ParseReport(f, netip.MustParseAddr("::ffff:10.0.2.2"), now)
	if err != nil {
		t.Fatal(err)
	}
	want := Report{MAC: "52:54:00:12:34:ab", IP: "10.0.2.15", Digest: digestA, Result: "PASS",
		UptimeInitMS: 812, UptimeDoneMS: 2950, MemUsedKB: 10240, Ping: "ok", Remote: "10.0.2.2", Received: now}
	if r != want {
		t.Errorf("ParseReport = %+v, want %+v", r, want)
	}
}

// TestParseReportBad: each broken field is refused with an error naming it.
func TestParseReportBad(t *testing.T) {
	for _, tc := range []struct {
		field, value string // value "" deletes the field
		want         string // in the error
	}{
		{"mac", "", "field mac: missing"},
		{"mac", "52:54:00:12:34", "field mac"},
		{"mac", "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01", "field mac"}, // InfiniBand, not Ethernet
		{"mac", "zz:54:00:12:34:56", "field mac"},
		{"ip", "", "field ip: missing"},
		{"ip", "10.0.2", "field ip"},
		{"digest", "", "field digest: missing"},
		{"digest", "sha256:abc", "field digest"},
		{"digest", "sha512:" + strings.Repeat("a", 64), "field digest"},
		{"digest", "sha256:" + strings.Repeat("A", 64), "field digest"},
		{"digest", strings.Repeat("a", 64), "field digest"},
		{"result", "", "field result: missing"},
		{"result", "pass", "field result"},
		{"result", "OK", "field result"},
		{"uptime_init_ms", "", "field uptime_init_ms: missing"},
		{"uptime_init_ms", "1.5", "field uptime_init_ms"},
		{"uptime_init_ms", "-3", "field uptime_init_ms"},
		{"uptime_done_ms", "12x", "field uptime_done_ms"},
		{"uptime_done_ms", "100", "field uptime_done_ms: 100 is before uptime_init_ms 812"},
		{"mem_used_kb", "", "field mem_used_kb: missing"},
		{"mem_used_kb", "lots", "field mem_used_kb"},
		{"ping", "", "field ping: missing"},
		{"ping", "maybe", "field ping"},
	} {
		f := goodForm()
		if tc.value == "" {
			f.Del(tc.field)
		} else {
			f.Set(tc.field, tc.value)
		}
		_, err := ParseReport(f, netip.Addr{}, time.Now())
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrBadReport) {
			t.Errorf("ParseReport(%s=%q) = %v, want an ErrBadReport containing %q", tc.field, tc.value, err, tc.want)
		}
	}
}

func TestParseReportTwiceAndAll(t *testing.T) {
	f := goodForm()
	f.Add("digest", digestB)
	if _, err := ParseReport(f, netip.Addr{}, time.Now()); err == nil || !strings.Contains(err.Error(), "field digest: given 2 times") {
		t.Errorf("ParseReport(digest twice) = %v, want field digest: given 2 times", err)
	}
	_, err := ParseReport(url.Values{}, netip.Addr{}, time.Now())
	for _, field := range []string{"mac", "ip", "digest", "result", "uptime_init_ms", "uptime_done_ms", "mem_used_kb", "ping"} {
		if err == nil || !strings.Contains(err.Error(), "field "+field+": missing") {
			t.Errorf("ParseReport(empty) = %v, want it to name missing %s", err, field)
		}
	}
}
