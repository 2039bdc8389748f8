package stages

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dagger.io/dagger"

	"rambox/sources"
)

// TestContainerIdentity runs a step in the real toolchain container with
// and without a container identity: with one, uname -n, hostname and
// whoami say the given names (what the repro gate varies); without, the
// engine's own. Needs the engine and toolchain `just test` sets up.
func TestContainerIdentity(t *testing.T) {
	if os.Getenv("RAMBOX_E2E") != "1" {
		t.Skip("needs the Dagger engine: set RAMBOX_E2E=1 (just test does)")
	}
	if os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST") == "" {
		t.Fatal("_EXPERIMENTAL_DAGGER_RUNNER_HOST is not set (just test starts an engine and sets it)")
	}
	rootfs := filepath.Join(sources.DefaultCache().Dir, "toolchain", "bookworm")
	if _, err := os.Stat(rootfs); err != nil {
		t.Fatalf("toolchain rootfs: %v (just toolchain makes it)", err)
	}
	ctx := context.Background()
	c, err := dagger.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := ToolchainContainer(c, Toolchain{RootfsDir: rootfs})
	probe := []string{"sh", "-c", "echo $(uname -n) $(hostname) $(whoami) $(id -u)"}
	for _, r := range []struct {
		repro Repro
		want  string
	}{
		{Repro{ContainerHost: "build-x", ContainerUser: "builder-x"}, "build-x build-x builder-x 0"},
		{Repro{}, "dagger dagger root 0"},
	} {
		out, err := r.repro.exec(r.repro.apply(tc), probe).Stdout(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out); got != r.want {
			t.Errorf("%+v: the step saw %q, want %q", r.repro, got, r.want)
		}
	}
}
