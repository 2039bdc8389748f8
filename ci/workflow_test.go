// Package ci holds the scripts CI runs and the GitHub workflow users copy;
// this test lints that workflow with actionlint (pinned in go.mod as a
// tool) and shellcheck, and proves the lint catches real mistakes.
package ci

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const workflow = "github/release.yml"

// actionlint runs the pinned actionlint on a workflow file and returns its
// findings (empty when clean).
func actionlint(t *testing.T, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "actionlint", "-no-color", "-oneline", abs)
	cmd.Dir = ".." // the module root, where go.mod pins the tool
	// Findings are actionlint's stdout. The go command's own chatter (on an
	// empty module cache, "go: downloading ..." for the tool's modules)
	// goes to stderr and is not a finding.
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running actionlint: %v\n%s", err, stderr.String())
	}
	if (err == nil) != (len(strings.TrimSpace(string(out))) == 0) {
		t.Fatalf("actionlint exit %v with output:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func TestWorkflowLintsClean(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Log("shellcheck is not installed (ci/deps.sh installs it): run: scripts are not checked")
	}
	if out := actionlint(t, workflow); out != "" {
		t.Errorf("actionlint %s:\n%s", workflow, out)
	}
}

// Each mutation is a mistake a user editing the workflow could make; the
// lint must report it, or the clean result above would prove nothing.
func TestWorkflowLintCatchesMistakes(t *testing.T) {
	orig, err := os.ReadFile(workflow)
	if err != nil {
		t.Fatal(err)
	}
	mutations := []struct{ name, old, new, want string }{
		{"unknown step id", "steps.release.outputs.ref }}\n    steps", "steps.relase.outputs.ref }}\n    steps", "relase"},
		{"unknown input", "inputs.keyless && '1'", "inputs.keyles && '1'", "keyles"},
		{"bad permission", "id-token: write", "id-token: writ", "writ"},
		{"unknown runner key", "timeout-minutes: 120", "timeout-minute: 120", "timeout-minute"},
	}
	if _, err := exec.LookPath("shellcheck"); err == nil {
		mutations = append(mutations, struct{ name, old, new, want string }{
			"unquoted variable in run:", `--profile "$PROFILE"`, `--profile $PROFILE`, "SC2086"})
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			if !strings.Contains(string(orig), m.old) {
				t.Fatalf("%s no longer contains %q; update the mutation", workflow, m.old)
			}
			p := filepath.Join(t.TempDir(), "release.yml")
			if err := os.WriteFile(p, []byte(strings.Replace(string(orig), m.old, m.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			out := actionlint(t, p)
			if !strings.Contains(out, m.want) {
				t.Errorf("actionlint did not report %q:\n%s", m.want, out)
			}
		})
	}
}

// The workflow's run: step calls ci/release.sh, which must exist, pass
// shellcheck and bash -n, and refuse to run without a signing key.
func TestReleaseScript(t *testing.T) {
	wf, _ := os.ReadFile(workflow)
	if !strings.Contains(string(wf), "bash ci/release.sh") {
		t.Fatalf("%s does not run ci/release.sh", workflow)
	}
	for _, script := range []string{"release.sh", "repro.sh"} {
		if out, err := exec.Command("bash", "-n", script).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", script, err, out)
		}
		if _, err := exec.LookPath("shellcheck"); err == nil {
			if out, err := exec.Command("shellcheck", script).CombinedOutput(); err != nil {
				t.Errorf("shellcheck %s:\n%s", script, out)
			}
		}
	}
	cmd := exec.Command("bash", "release.sh", "--profile", "linux-6.1", "--to", "127.0.0.1:1/x:y")
	cmd.Env = append(os.Environ(), "COSIGN_PRIVATE_KEY=", "COSIGN_KEY_FILE=", "RAMBOX_KEYLESS=", "RAMBOX_RELEASE_OUT="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no signing key: set COSIGN_PRIVATE_KEY") {
		t.Errorf("release.sh without a key: %v\n%s", err, out)
	}
	cmd = exec.Command("bash", "release.sh", "--profile", "linux-6.1")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "--to REGISTRY/REPO[:TAG] is required") {
		t.Errorf("release.sh without --to: %v\n%s", err, out)
	}
}
