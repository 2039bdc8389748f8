// Package bundletest writes small fake bundles for other packages' tests:
// the outputs of a build with bundle.json and SHA256SUMS, no engine needed.
package bundletest

import (
	"os"
	"path/filepath"
	"testing"

	"rambox/bundle"
)

// Write makes a bundle directory in t.TempDir() whose kernel holds kernel
// and whose bundle.json has the given kernel command line.
func Write(t testing.TB, kernel, cmdline string) string {
	t.Helper()
	dir := t.TempDir()
	for n, b := range map[string]string{bundle.Kernel: kernel, bundle.Initramfs: "initrd", bundle.KernelConfig: "CONFIG_NET=y\n", bundle.BusyboxConfig: "CONFIG_STATIC=y\n"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	info := &bundle.Info{SchemaVersion: 1, Profile: "p", KernelCmdline: cmdline, SourceDateEpoch: 1700000000}
	if err := info.Describe(dir, bundle.Outputs); err != nil {
		t.Fatal(err)
	}
	if err := info.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// WriteArm64 is Write for an arm64 bundle: bundle.json's arch is arm64
// and the kernel is Image.
func WriteArm64(t testing.TB, kernel, cmdline string) string {
	t.Helper()
	dir := Write(t, kernel, cmdline)
	if err := os.Rename(filepath.Join(dir, bundle.Kernel), filepath.Join(dir, bundle.KernelArm64)); err != nil {
		t.Fatal(err)
	}
	info, _, err := bundle.ReadInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	info.Arch = "arm64"
	if err := info.Describe(dir, bundle.OutputsOf(info.Arch)); err != nil {
		t.Fatal(err)
	}
	if err := info.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}
