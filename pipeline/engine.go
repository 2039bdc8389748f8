package pipeline

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"rambox/sources"
)

// Where `just engine` (ci/engine.sh) puts a local engine and its CLI.
const (
	localEngineSock = "/var/lib/rambox-dagger/engine.sock"
	daggerVersion   = "v0.19.7"
)

// ErrNoEngine says no Dagger engine can be reached, and how to get one.
var ErrNoEngine = errors.New("no Dagger engine: run `just engine` (a local engine without Docker), " +
	"or set _EXPERIMENTAL_DAGGER_RUNNER_HOST, or make Docker available so the SDK starts its own")

// findEngine points the SDK at an engine: one named by the environment,
// else the local engine `just engine` runs, else Docker (the SDK
// provisions its own engine there). It changes only the process
// environment, which is how the SDK is configured.
func findEngine() error {
	if host := os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST"); host != "" {
		if sock, ok := strings.CutPrefix(host, "unix://"); ok {
			if _, err := os.Stat(sock); err != nil {
				return fmt.Errorf("%w (_EXPERIMENTAL_DAGGER_RUNNER_HOST=%s: %v)", ErrNoEngine, host, err)
			}
		}
		return nil
	}
	if _, err := os.Stat(localEngineSock); err == nil {
		cli := filepath.Join(sources.DefaultCache().Dir, "dagger", daggerVersion, "dagger")
		if _, err := os.Stat(cli); err != nil {
			return fmt.Errorf("%w (engine socket %s exists but its CLI %s does not)", ErrNoEngine, localEngineSock, cli)
		}
		os.Setenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST", "unix://"+localEngineSock)
		if os.Getenv("_EXPERIMENTAL_DAGGER_CLI_BIN") == "" {
			os.Setenv("_EXPERIMENTAL_DAGGER_CLI_BIN", cli)
		}
		return nil
	}
	if err := exec.Command("docker", "info").Run(); err == nil {
		return nil
	}
	return ErrNoEngine
}
