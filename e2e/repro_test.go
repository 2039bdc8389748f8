package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReproGateCatchesWallClock gives the repro gate a profile that leaks
// the wall clock into the kernel (KBUILD_BUILD_TIMESTAMP from `date` on
// make's command line, via profile.env): the gate must fail and its
// diffoscope report must name bzImage.
func TestReproGateCatchesWallClock(t *testing.T) {
	requireE2E(t)
	requireEngine(t)
	profiles := t.TempDir()
	src := filepath.Join(repoRoot(t), "kernel-configs", "linux-6.1")
	dst := filepath.Join(profiles, "linux-6.1-clock")
	if o, err := exec.Command("cp", "-r", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, o)
	}
	// profile.env is sourced by kernel.sh in the container: $(date) runs at
	// build time, so each build stamps its own time into the kernel.
	env := "CONFIG_FINISH=olddefconfig\nMAKE_VARS=\"KBUILD_BUILD_TIMESTAMP=$(date +%s%N)\"\n"
	if err := os.WriteFile(filepath.Join(dst, "profile.env"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cmd := exec.Command("bash", "ci/repro.sh", "--profiles", profiles, "--profile", "linux-6.1-clock",
		"--source", "linux="+debianKernelSource+"@sha256:"+sha256File(t, debianKernelSource))
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "RAMBOX_REPRO_OUT="+out)
	o, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the repro gate passed a profile that stamps the wall clock:\n%s", o)
	}
	if !strings.Contains(string(o), "FAIL: bzImage differs") {
		t.Errorf("gate output does not name bzImage:\n%s", tail(string(o), 20))
	}
	report, err := os.ReadFile(filepath.Join(out, "diffoscope-bzImage.txt"))
	if err != nil {
		t.Fatalf("no diffoscope report: %v", err)
	}
	if !strings.Contains(string(report), "bzImage") {
		t.Errorf("diffoscope report does not name bzImage:\n%s", tail(string(report), 20))
	}
	for _, same := range []string{"busybox.config", "initramfs.cpio.gz"} {
		if strings.Contains(string(o), "FAIL: "+same) {
			t.Errorf("gate says %s differs; only the kernel should", same)
		}
	}
}
