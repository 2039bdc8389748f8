// Package dist holds files installed beside the rambox binary; its tests
// check them.
package dist

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const unit = "rambox-serve.service"

// TestServeUnitVerifies: systemd-analyze accepts the unit with no
// complaint (unknown keys are only warned about, so any output fails).
// The unit's ExecStart names the installed binary; the copy checked names
// this test's own binary, which exists.
func TestServeUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	b, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(t.TempDir(), unit)
	if err := os.WriteFile(copied, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/rambox ", self+" ")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", copied).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unit, err, out)
	}
}

// TestServeUnitLeastPrivilege: not root, and the capabilities it may ever
// hold are exactly the ones it is given.
func TestServeUnitLeastPrivilege(t *testing.T) {
	b, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			keys[k] = v
		}
	}
	if u := keys["User"]; u == "" || u == "root" {
		t.Errorf("%s: User=%q, want a user of its own", unit, u)
	}
	want := "CAP_NET_BIND_SERVICE CAP_NET_RAW"
	for _, k := range []string{"AmbientCapabilities", "CapabilityBoundingSet"} {
		if keys[k] != want {
			t.Errorf("%s: %s=%q, want %q", unit, k, keys[k], want)
		}
	}
	for k, want := range map[string]string{"NoNewPrivileges": "yes", "ProtectSystem": "strict", "StateDirectory": "rambox"} {
		if keys[k] != want {
			t.Errorf("%s: %s=%q, want %q", unit, k, keys[k], want)
		}
	}
}
