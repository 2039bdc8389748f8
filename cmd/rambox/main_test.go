package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ramboxBin is the CLI built once for the tests that run it as a process.
var ramboxBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rambox-cli-test")
	if err != nil {
		panic(err)
	}
	ramboxBin = filepath.Join(dir, "rambox")
	// Static, as `just build` makes it: the initramfs stage runs this
	// binary inside the toolchain container.
	build := exec.Command("go", "build", "-o", ramboxBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the CLI in dir with extra environment, returning its combined
// output and error.
func run(t *testing.T, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(ramboxBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
