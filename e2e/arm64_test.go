package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"rambox/bundle"
	"rambox/kconfig"
	"rambox/profile"
	"rambox/selftest"
)

// AAVMF, Debian's qemu-efi-aarch64: UEFI firmware for QEMU's arm64 virt
// machine, as flash images (code read-only, variables per run).
const (
	aavmfCode = "/usr/share/AAVMF/AAVMF_CODE.fd"
	aavmfVars = "/usr/share/AAVMF/AAVMF_VARS.fd"
)

// TestPipelineArm64 builds the linux-6.1-arm64 profile through the real
// pipeline (cross-compiled kernel and busybox in the toolchain container),
// clean: every step re-run through fresh cache keys, under another host
// and user name, as the repro gate's second build. Every output must be
// byte-identical to just test's own build of the profile
// (RAMBOX_TEST_ARM64_BUNDLE_DIR, built with the same epoch), which is
// the first clean build on a fresh machine. It then boots what it built on QEMU's arm64 virt machine,
// under TCG: the kernel directly, then through AAVMF's UEFI, which starts
// the kernel's EFI stub. Both must end in a passing selftest.
func TestPipelineArm64(t *testing.T) {
	requireE2E(t)
	requireEngine(t)
	for _, f := range []string{debianKernelSource, aavmfCode, aavmfVars} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s: %v (just deps installs linux-source-6.1 and qemu-efi-aarch64)", f, err)
		}
	}
	if _, err := exec.LookPath("qemu-system-aarch64"); err != nil {
		t.Fatalf("qemu-system-aarch64: %v (just deps installs qemu-system-arm)", err)
	}
	const name = "linux-6.1-arm64"
	prof, err := profile.Load(filepath.Join(repoRoot(t), "kernel-configs"), name)
	if err != nil {
		t.Fatal(err)
	}
	if prof.Arch.Name != profile.ArchArm64.Name || prof.UKI {
		t.Fatalf("profile %s: arch %q, UKI %v; want arm64 without a UKI", name, prof.Arch.Name, prof.UKI)
	}
	first := need(t, "RAMBOX_TEST_ARM64_BUNDLE_DIR")
	firstInfo, _, err := bundle.ReadInfo(first)
	if err != nil {
		t.Fatal(err)
	}
	bin := buildCLI(t)
	out := t.TempDir()
	log, err := rambox(t, bin, "build", "--profile", name,
		"--source", "linux="+debianKernelSource+"@sha256:"+sha256File(t, debianKernelSource),
		// The first build's epoch (just test's: the HEAD commit's time),
		// so that only the build itself may differ.
		"--epoch", fmt.Sprint(firstInfo.SourceDateEpoch),
		"--cache-bust", fmt.Sprintf("e2e-arm64-%d", time.Now().UnixNano()),
		"--container-host", "build-e2e", "--container-user", "builder-e2e",
		"--out", out)
	if err != nil {
		keepLog(t, []byte(log))
		t.Fatalf("rambox build --profile %s: %v\n%s", name, err, tail(log, 60))
	}
	if diff := differingFiles(t, first, out); len(diff) > 0 {
		t.Errorf("two clean builds of %s differ in %v (%s and %s; ci/repro.sh --profile %s reports with diffoscope)", name, diff, first, out, name)
	}

	var info bundle.Info
	b, _ := os.ReadFile(filepath.Join(out, bundle.InfoFile))
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("bundle.json: %v", err)
	}
	if info.Arch != "arm64" || info.Profile != name || info.KernelCmdline != profile.ArchArm64.DefaultCmdline() {
		t.Errorf("bundle.json: arch %q, profile %q, cmdline %q; want arm64, %s, %q",
			info.Arch, info.Profile, info.KernelCmdline, name, profile.ArchArm64.DefaultCmdline())
	}
	var names []string
	for _, f := range info.Files {
		names = append(names, f.Name)
		if got := sha256File(t, filepath.Join(out, f.Name)); got != f.SHA256 {
			t.Errorf("bundle.json says %s has sha256 %s, the file has %s", f.Name, f.SHA256, got)
		}
	}
	for _, want := range bundle.OutputsOf("arm64") {
		if !slices.Contains(names, want) {
			t.Errorf("bundle.json files %v lack %s", names, want)
		}
	}
	if info.Has(bundle.Kernel) || info.Has(bundle.UKI) {
		t.Errorf("bundle.json files %v: an arm64 bundle has no %s or %s", names, bundle.Kernel, bundle.UKI)
	}

	// The exported config holds every fragment line (the pipeline checked
	// the same before compiling) and is an arm64 one.
	f, _ := os.Open(filepath.Join(out, bundle.KernelConfig))
	cfg, err := kconfig.ParseConfig(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range kconfig.Check(prof.Fragment, cfg) {
		t.Errorf("exported kernel.config: %v", d)
	}
	if cfg["ARM64"] != "y" {
		t.Errorf("kernel.config: CONFIG_ARM64=%q, want y", cfg["ARM64"])
	}

	// arm64's boot protocol header: "ARM\x64" at 0x38, and with the EFI
	// stub a PE image ("MZ" at 0, the PE header's offset at 0x3c).
	kernel := filepath.Join(out, bundle.KernelArm64)
	img, err := os.ReadFile(kernel)
	if err != nil {
		t.Fatal(err)
	}
	if len(img) < 0x40 || string(img[0x38:0x3c]) != "ARM\x64" || string(img[:2]) != "MZ" {
		t.Fatalf("%s is not an arm64 EFI-stub Image (header % x)", kernel, img[:min(len(img), 0x40)])
	}

	initrd := filepath.Join(out, bundle.Initramfs)
	const cmdline = "console=ttyAMA0 ip=dhcp rambox.selftest"
	for _, boot := range []struct {
		name     string
		firmware bool
	}{{"direct", false}, {"AAVMF", true}} {
		serial := qemuArm64(t, kernel, initrd, cmdline, boot.firmware, 6*time.Minute)
		report, err := selftest.Parse(serial)
		if err != nil {
			keepLog(t, serial)
			t.Fatalf("%s boot of the arm64 bundle: %v", boot.name, err)
		}
		if err := report.CheckRAMRoot("rambox"); err != nil {
			t.Errorf("%s boot: %v", boot.name, err)
		}
		for k, want := range map[string]string{"eth0_ip": "10.0.2.15", "ipconfig_proto": "DHCP", "ping": "ok", "modules": "none"} {
			if got := report.Fields[k]; got != want {
				keepLog(t, serial)
				t.Errorf("%s boot: %s = %q, want %q", boot.name, k, got, want)
			}
		}
		if boot.firmware && !bytes.Contains(serial, []byte("EFI stub: Using DTB from configuration table")) {
			keepLog(t, serial)
			t.Errorf("AAVMF boot: the serial log does not show the EFI stub starting the kernel with the firmware's device tree")
		}
		t.Logf("%s boot: selftest passed, uptime_ms=%s", boot.name, report.Fields["uptime_ms"])
	}
}

// differingFiles lists the files of directory a or b that are not
// byte-identical in the other (missing counts as differing).
func differingFiles(t *testing.T, a, b string) []string {
	t.Helper()
	names := map[string]bool{}
	for _, dir := range []string{a, b} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			names[e.Name()] = true
		}
	}
	var differ []string
	for _, n := range slices.Sorted(maps.Keys(names)) {
		x, errA := os.ReadFile(filepath.Join(a, n))
		y, errB := os.ReadFile(filepath.Join(b, n))
		if errA != nil || errB != nil || !bytes.Equal(x, y) {
			differ = append(differ, n)
		}
	}
	return differ
}

// qemuArm64 boots kernel+initrd on QEMU's arm64 virt machine (TCG,
// Cortex-A57) with a virtio-net NIC on user networking and returns the
// serial log. With firmware, AAVMF runs first and starts the kernel as an
// EFI application (QEMU hands it kernel, initrd and command line through
// fw_cfg); without, QEMU jumps into the kernel itself.
func qemuArm64(t *testing.T, kernel, initrd, cmdline string, firmware bool, timeout time.Duration) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	machine := "virt"
	if firmware {
		// The profile has no ACPI, so the kernel needs the device tree:
		// AAVMF passes QEMU's on only when the machine has no ACPI tables
		// (otherwise the EFI stub makes an empty one and the boot hangs).
		machine = "virt,acpi=off"
	}
	args := []string{"-M", machine, "-cpu", "cortex-a57", "-m", "256", "-nographic", "-no-reboot",
		"-kernel", kernel, "-initrd", initrd, "-append", cmdline,
		"-nic", "user,model=virtio-net-pci"}
	if firmware {
		// The firmware writes its variables: each run gets a copy.
		vars := filepath.Join(t.TempDir(), "AAVMF_VARS.fd")
		b, err := os.ReadFile(aavmfVars)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(vars, b, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args,
			"-drive", "if=pflash,format=raw,readonly=on,file="+aavmfCode,
			"-drive", "if=pflash,format=raw,file="+vars)
	}
	cmd := exec.CommandContext(ctx, "qemu-system-aarch64", args...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		keepLog(t, out)
		t.Fatalf("qemu-system-aarch64 did not finish within %v", timeout)
	}
	if err != nil {
		keepLog(t, out)
		t.Fatalf("qemu-system-aarch64: %v", err)
	}
	return out
}
