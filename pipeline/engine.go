package pipeline

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"rambox/sources"
)

// Where `just engine` (ci/engine.sh) puts a local engine and its CLI:
// the socket in its state directory, $RAMBOX_ENGINE_STATE or this default.
const (
	defaultEngineState = "/var/lib/rambox-dagger"
	daggerVersion      = "v0.19.7"
)

// localEngineSock is the socket ci/engine.sh's engine listens on.
func localEngineSock() string {
	state := os.Getenv("RAMBOX_ENGINE_STATE")
	if state == "" {
		state = defaultEngineState
	}
	return filepath.Join(state, "engine.sock")
}

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
			if err := dialEngine(sock); err != nil {
				return fmt.Errorf("%w (_EXPERIMENTAL_DAGGER_RUNNER_HOST=%s: %v)", ErrNoEngine, host, err)
			}
		}
		return nil
	}
	if sock := localEngineSock(); fileExists(sock) {
		if err := dialEngine(sock); err != nil {
			return fmt.Errorf("%w (engine socket %s: %v)", ErrNoEngine, sock, err)
		}
		cli := filepath.Join(sources.DefaultCache().Dir, "dagger", daggerVersion, "dagger")
		if _, err := os.Stat(cli); err != nil {
			return fmt.Errorf("%w (engine socket %s exists but its CLI %s does not)", ErrNoEngine, sock, cli)
		}
		os.Setenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST", "unix://"+sock)
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

// engineDialTimeout bounds the check that an engine listens.
const engineDialTimeout = 2 * time.Second

// dialEngine checks that something accepts connections on the engine's
// unix socket: the socket file of an engine that was killed stays behind,
// and the SDK would retry connecting to it for minutes.
func dialEngine(sock string) error {
	c, err := net.DialTimeout("unix", sock, engineDialTimeout)
	if err != nil {
		return err
	}
	return c.Close()
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
