package pipeline

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindEngineSocket: an engine socket named by the environment must
// accept a connection. A missing one, and one a stopped engine left behind
// (the file is there, nothing listens), are ErrNoEngine naming it, at
// once; a listening one is found.
func TestFindEngineSocket(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	live := filepath.Join(dir, "live.sock")
	ll, err := net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	defer ll.Close()

	for _, tc := range []struct {
		sock string
		ok   bool
	}{{filepath.Join(dir, "missing.sock"), false}, {stale, false}, {live, true}} {
		t.Setenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST", "unix://"+tc.sock)
		err := findEngine()
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: findEngine = %v, want the engine found", tc.sock, err)
		case !tc.ok && (!errors.Is(err, ErrNoEngine) || !strings.Contains(err.Error(), tc.sock)):
			t.Errorf("%s: findEngine = %v, want ErrNoEngine naming the socket", tc.sock, err)
		}
	}
}
