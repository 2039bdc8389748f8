package ci

import (
	"os/exec"
	"strings"
	"testing"
)

// TestGoModTidy keeps go.mod and go.sum as `go mod tidy` would write them:
// a direct dependency marked `// indirect`, a missing or stale go.sum line
// is a finding. The finding is the diff on stdout and the exit status; on
// an empty module cache the go command prints "go: downloading ..." to
// stderr, which is not one.
func TestGoModTidy(t *testing.T) {
	cmd := exec.Command("go", "mod", "tidy", "-diff")
	cmd.Dir = ".." // the module root
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running go mod tidy -diff: %v\n%s", err, stderr.String())
	}
	diff := strings.TrimSpace(string(out))
	switch {
	case err == nil && diff == "":
	case diff != "":
		t.Errorf("go.mod/go.sum are not tidy (run go mod tidy):\n%s", diff)
	default:
		t.Errorf("go mod tidy -diff failed without a diff: %v\n%s", err, stderr.String())
	}
}
