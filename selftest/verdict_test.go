package selftest

import (
	"strings"
	"testing"
)

func TestVerdict(t *testing.T) {
	base := map[string]string{"root_fstype": "rootfs", "eth0_ip": "10.0.2.15", "ping": "ok", "ping_target": "10.0.2.2"}
	for _, tc := range []struct {
		name        string
		field, to   string
		want, whyIs string
	}{
		{"good", "", "", Pass, ""},
		{"tmpfs root", "root_fstype", "tmpfs", Pass, ""},
		{"ping skipped", "ping", "skipped", Pass, ""},
		{"disk root", "root_fstype", "ext4", Fail, `root filesystem is "ext4"`},
		{"no address", "eth0_ip", "", Fail, "eth0 has no address"},
		{"ping failed", "ping", "fail", Fail, `ping of "10.0.2.2" failed`},
	} {
		f := map[string]string{}
		for k, v := range base {
			f[k] = v
		}
		if tc.field != "" {
			f[tc.field] = tc.to
		}
		got, why := (&Report{Fields: f}).Verdict()
		if got != tc.want || (tc.whyIs == "") != (why == nil) || (why != nil && !strings.Contains(why.Error(), tc.whyIs)) {
			t.Errorf("%s: Verdict(%s=%q) = %q, %v; want %q, %q", tc.name, tc.field, tc.to, got, why, tc.want, tc.whyIs)
		}
	}
}

// TestParseHoldsResultToVerdict: the box's result line must agree with
// the rule applied to its own fields.
func TestParseHoldsResultToVerdict(t *testing.T) {
	log := fixture(t, "no-nic-driver.log") // no eth0 address: FAIL
	withResult := func(v string) []byte {
		return []byte(strings.Replace(log, "applet_install_ms=", "result="+v+"\napplet_install_ms=", 1))
	}
	r, err := Parse(withResult(Fail))
	if err != nil {
		t.Fatalf("Parse(result=FAIL) = %v", err)
	}
	if r.Result() != Fail {
		t.Errorf("Result() = %q, want %q", r.Result(), Fail)
	}
	if _, err := Parse(withResult(Pass)); err == nil || !strings.Contains(err.Error(), `result="PASS" but its fields say FAIL`) {
		t.Errorf("Parse(result=PASS, no address) = %v, want a disagreement", err)
	}
	if r, err := Parse([]byte(log)); err != nil || r.Result() != "" {
		t.Errorf("Parse(no result line) = %v, %v; want an older block accepted with Result() \"\"", r, err)
	}
}
