package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"rambox/selftest"
)

// TestInitramfsBootsToSelftest builds the initramfs with the real static
// busybox and the pinned busybox source's udhcpc script, boots it with a
// distribution kernel until the pipeline makes its own, and checks the
// selftest block /init prints.
func TestInitramfsBootsToSelftest(t *testing.T) {
	requireE2E(t)
	kernel := need(t, "RAMBOX_TEST_KERNEL")
	busybox := need(t, "RAMBOX_TEST_BUSYBOX")
	bin := buildCLI(t)
	initrd := filepath.Join(t.TempDir(), "initramfs.cpio.gz")
	cmd := exec.Command(bin, "initramfs", "--rootfs", "rootfs", "--busybox", busybox, "-o", initrd)
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rambox initramfs: %v\n%s", err, out)
	}

	log := qemuDirect(t, kernel, initrd, "console=ttyS0 rambox.selftest", 3*time.Minute)
	report, err := selftest.Parse(log)
	if err != nil {
		keepLog(t, log)
		t.Fatalf("selftest block: %v", err)
	}
	if err := report.CheckRAMRoot("rambox"); err != nil {
		keepLog(t, log)
		t.Errorf("selftest: %v", err)
	}
	fi, _ := os.Stat(busybox)
	if kb, _ := report.Int("rootfs_kb"); kb < fi.Size()/1024 {
		t.Errorf("rootfs_kb = %d, smaller than busybox alone (%d KiB)", kb, fi.Size()/1024)
	}
	for _, m := range []string{"/proc", "/sys", "/dev/pts", "/dev/shm"} {
		if !mounted(report, m) {
			t.Errorf("%s is not mounted; mounts: %v", m, report.Mounts)
		}
	}
	t.Logf("kernel %s: mem used %s KiB, rootfs %s KiB, applets installed in %s ms, selftest at %s ms",
		report.Fields["kernel"], report.Fields["mem_used_kb"], report.Fields["rootfs_kb"],
		report.Fields["applet_install_ms"], report.Fields["uptime_ms"])
}

func mounted(r *selftest.Report, dir string) bool {
	for _, m := range r.Mounts {
		if m.Dir == dir {
			return true
		}
	}
	return false
}
