// Package e2e holds the tests that need real outside components (QEMU, a
// kernel, later the Dagger engine and a registry). They run when
// RAMBOX_E2E=1, which `just test` sets after installing what they need;
// with it set, a missing component fails the test rather than skipping it.
package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func requireE2E(t *testing.T) {
	t.Helper()
	if os.Getenv("RAMBOX_E2E") != "1" {
		t.Skip("end-to-end test: set RAMBOX_E2E=1 (just test does)")
	}
}

// need returns the value of an environment variable naming an input file,
// failing the test when it is unset or the file is missing.
func need(t *testing.T, env string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		t.Fatalf("%s is not set (just test sets it)", env)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	return p
}

// requireEngine fails the test unless the SDK is pointed at an engine
// (just test starts one and exports its address).
func requireEngine(t *testing.T) {
	t.Helper()
	host := os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST")
	if host == "" {
		t.Fatal("_EXPERIMENTAL_DAGGER_RUNNER_HOST is not set (just test starts an engine and sets it)")
	}
	if sock, ok := strings.CutPrefix(host, "unix://"); ok {
		if _, err := os.Stat(sock); err != nil {
			t.Fatalf("engine socket: %v (is the engine running? just engine)", err)
		}
	}
}

// repoRoot is the checkout this test runs from.
func repoRoot(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// buildCLI compiles cmd/rambox into a temp dir, static as `just build`
// makes it (the initramfs stage runs it inside the toolchain container).
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rambox")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/rambox")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// qemuDirect boots kernel+initrd in QEMU (TCG) with a serial console and
// returns the serial log. -no-reboot turns the guest's `reboot -f` into
// QEMU's exit, which is how /init ends a selftest.
func qemuDirect(t *testing.T, kernel, initrd, cmdline string, timeout time.Duration) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64",
		"-machine", "accel=tcg", "-m", "256", "-nographic", "-no-reboot",
		"-kernel", kernel, "-initrd", initrd, "-append", cmdline,
		"-nic", "user,model=virtio-net-pci")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		keepLog(t, out)
		t.Fatalf("QEMU did not finish within %v", timeout)
	}
	if err != nil {
		keepLog(t, out)
		t.Fatalf("qemu-system-x86_64: %v", err)
	}
	return out
}

// keepLog saves a serial log under $RAMBOX_ARTIFACTS (CI uploads it) or
// the test's temp dir, and says where.
func keepLog(t *testing.T, log []byte) {
	t.Helper()
	dir := os.Getenv("RAMBOX_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	os.MkdirAll(dir, 0o755)
	p := filepath.Join(dir, filepath.Base(t.Name())+".serial.log")
	if err := os.WriteFile(p, log, 0o644); err == nil {
		t.Logf("serial log kept at %s", p)
	}
}
