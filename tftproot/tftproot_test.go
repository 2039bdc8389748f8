package tftproot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"rambox/bundle"
)

func fetched(kernel string) *bundle.Fetched {
	return &bundle.Fetched{
		Manifest: ocispec.Descriptor{Digest: digest.FromString(kernel)},
		InfoJSON: []byte(`{"profile":"p"}`),
		Files:    map[string][]byte{bundle.Kernel: []byte(kernel), bundle.Initramfs: []byte("initrd"), bundle.KernelConfig: []byte("CONFIG_NET=y\n")},
	}
}

func bootloaders(t testing.TB) string {
	dir := t.TempDir()
	for _, f := range BootloaderFiles {
		os.WriteFile(filepath.Join(dir, f), []byte("loader "+f), 0o644)
	}
	return dir
}

func read(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestInstallSwitchRollback(t *testing.T) {
	root := t.TempDir()
	o := Options{BootloaderDirs: []string{bootloaders(t)}, NodeConfigs: map[string]string{"C0A818CB": "node cfg"}, DefaultConfig: "default cfg"}
	if _, err := Install(root, fetched("kernel A"), o); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"bzImage": "kernel A", "pxelinux.0": "loader pxelinux.0", "ldlinux.c32": "loader ldlinux.c32",
		"pxelinux.cfg/C0A818CB": "node cfg", "pxelinux.cfg/default": "default cfg", "current/bundle.json": `{"profile":"p"}`} {
		if got := read(t, filepath.Join(root, p)); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	if fi, _ := os.Stat(filepath.Join(root, "current")); fi.Mode().Perm() != 0o755 {
		t.Errorf("bundle directory mode %v, want 0755 (tftpd reads it unprivileged)", fi.Mode().Perm())
	}
	if _, err := Install(root, fetched("kernel B"), o); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(root, "bzImage")); got != "kernel B" {
		t.Errorf("after switching, bzImage = %q", got)
	}
	if _, err := Rollback(root); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(root, "bzImage")); got != "kernel A" {
		t.Errorf("after rollback, bzImage = %q", got)
	}
	if _, err := Rollback(root); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(root, "bzImage")); got != "kernel B" {
		t.Errorf("after a second rollback, bzImage = %q, want B again", got)
	}
}

func TestInstallFailureKeepsCurrent(t *testing.T) {
	root := t.TempDir()
	if _, err := Install(root, fetched("kernel A"), Options{BootloaderDirs: []string{bootloaders(t)}}); err != nil {
		t.Fatal(err)
	}
	_, err := Install(root, fetched("kernel B"), Options{BootloaderDirs: []string{t.TempDir()}})
	if err == nil || !strings.Contains(err.Error(), "pxelinux.0 not found") {
		t.Fatalf("Install without bootloaders = %v, want pxelinux.0 not found", err)
	}
	if got := read(t, filepath.Join(root, "bzImage")); got != "kernel A" {
		t.Errorf("bzImage = %q after a failed install, want A", got)
	}
	ents, _ := os.ReadDir(filepath.Join(root, "bundles"))
	if len(ents) != 1 {
		t.Errorf("bundles/ holds %d entries after a failed install, want 1 (no staging left)", len(ents))
	}
}

func TestRollbackWithoutPrevious(t *testing.T) {
	if _, err := Rollback(t.TempDir()); !errors.Is(err, ErrNoPrevious) {
		t.Errorf("Rollback = %v, want ErrNoPrevious", err)
	}
}
