package selftest

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(Clean(b))
}

func TestParseRealLog(t *testing.T) {
	r, err := Parse([]byte(fixture(t, "cloud-kernel-direct.log")))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for k, want := range map[string]string{
		"hostname": "rambox", "root_fstype": "rootfs", "ping": "skipped",
		"cmdline": "console=ttyS0 rambox.selftest",
	} {
		if got := r.Fields[k]; got != want {
			t.Errorf("Fields[%q] = %q, want %q", k, got, want)
		}
	}
	if len(r.Mounts) != 5 || r.Mounts[4] != (Mount{"proc", "/proc", "proc"}) {
		t.Errorf("Mounts = %v, want 5 ending in proc", r.Mounts)
	}
	if err := r.CheckRAMRoot("rambox"); err != nil {
		t.Errorf("CheckRAMRoot: %v", err)
	}
	if err := r.CheckRAMRoot("other"); err == nil {
		t.Error("CheckRAMRoot(other) = nil, want a hostname mismatch")
	}
}

func TestParseRejects(t *testing.T) {
	good := fixture(t, "cloud-kernel-direct.log")
	tests := []struct {
		name    string
		log     string
		wantErr error  // checked with errors.Is when set
		wantMsg string // else a substring of the error
	}{
		{"no block", strings.Split(good, BeginMarker)[0], ErrNoBlock, ""},
		{"cut before end", strings.Split(good, EndMarker)[0], ErrIncomplete, ""},
		{"missing key", strings.Replace(good, "hostname=rambox\n", "", 1), nil, "lacks hostname"},
		{"garbage line", strings.Replace(good, "version=1\n", "version=1\nKernel panic\n", 1), nil, `"Kernel panic" is not key=value`},
		{"bad mount", strings.Replace(good, "mount.5=proc /proc proc", "mount.5=proc", 1), nil, "not 'device dir type'"},
		{"future version", strings.Replace(good, "version=1\n", "version=2\n", 1), nil, `version "2"`},
		{"bad secure_boot", strings.Replace(good, "version=1\n", "version=1\nsecure_boot=yes\n", 1), nil, `secure_boot="yes", want on, off or unknown`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.log))
			switch {
			case err == nil:
				t.Fatal("Parse succeeded, want an error")
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("Parse error = %v, want %v", err, tc.wantErr)
			case tc.wantMsg != "" && !strings.Contains(err.Error(), tc.wantMsg):
				t.Errorf("Parse error = %v, want it to mention %q", err, tc.wantMsg)
			}
		})
	}
}

func TestParseToleratesNoise(t *testing.T) {
	good := fixture(t, "cloud-kernel-direct.log")
	noisy := strings.ReplaceAll(good, "\n", "\r\n")
	noisy = strings.Replace(noisy, "hostname=rambox", "\x1b[0mhostname=\x1b[1;32mrambox\x1b[0m", 1)
	noisy = strings.Replace(noisy, "version=1\r\n", "version=1\r\n[    2.000001] random: crng init done\r\n", 1)
	r, err := Parse([]byte(noisy))
	if err != nil {
		t.Fatalf("Parse(noisy) = %v", err)
	}
	if r.Fields["hostname"] != "rambox" {
		t.Errorf("hostname = %q, want rambox", r.Fields["hostname"])
	}
}

// secure_boot is optional (blocks from older /inits lack it) and one of
// on, off, unknown.
func TestSecureBoot(t *testing.T) {
	good := fixture(t, "cloud-kernel-direct.log")
	for _, tc := range []struct{ line, want string }{
		{"", ""},
		{"secure_boot=on\n", SecureBootOn},
		{"secure_boot=off\n", SecureBootOff},
		{"secure_boot=unknown\n", SecureBootUnknown},
	} {
		r, err := Parse([]byte(strings.Replace(good, "version=1\n", "version=1\n"+tc.line, 1)))
		if err != nil {
			t.Errorf("Parse with %q: %v", tc.line, err)
			continue
		}
		if got := r.SecureBoot(); got != tc.want {
			t.Errorf("SecureBoot() with %q = %q, want %q", tc.line, got, tc.want)
		}
	}
}
