package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"rambox/bundle"
	"rambox/kconfig"
	"rambox/profile"
	"rambox/selftest"
	"rambox/sources"
)

// debianKernelSource is Debian's linux-source-6.1 tarball: CI builds the
// linux-6.1 profile from it through an explicit --source override.
const debianKernelSource = "/usr/src/linux-source-6.1.tar.xz"

func sha256File(t *testing.T, p string) string {
	t.Helper()
	s, err := sources.FileSHA256(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rambox runs the CLI from the repository root and returns its combined
// output.
func rambox(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot(t)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if testing.Verbose() {
		cmd.Stdout = io.MultiWriter(&out, os.Stderr)
		cmd.Stderr = cmd.Stdout
	}
	err := cmd.Run()
	// Dagger colours its progress; matching is on the plain text.
	return string(selftest.Clean(out.Bytes())), err
}

// TestPipelineLinux61 is the spine end to end: the real pipeline on the
// real engine builds the linux-6.1 profile from Debian's source and the
// busybox.net-pinned busybox, every fragment option holds, the outputs are
// described truthfully, and a second run is served from the cache.
func TestPipelineLinux61(t *testing.T) {
	requireE2E(t)
	requireEngine(t)
	if _, err := os.Stat(debianKernelSource); err != nil {
		t.Fatalf("%s: %v (just deps installs linux-source-6.1)", debianKernelSource, err)
	}
	bin := buildCLI(t)
	override := "linux=" + debianKernelSource + "@sha256:" + sha256File(t, debianKernelSource)
	out := t.TempDir()
	// A fresh cache-bust value makes the first run build everything even on
	// an engine that built this before; the second run, same value, must not.
	bust := fmt.Sprint(time.Now().UnixNano())
	// --verbose: the checks below read the engine's log as well as the stage lines.
	args := []string{"build", "--verbose", "--profile", "linux-6.1", "--source", override, "--out", out, "--epoch", "1700000000", "--cache-bust", bust}

	log1, err := rambox(t, bin, args...)
	if err != nil {
		keepLog(t, []byte(log1))
		t.Fatalf("rambox build: %v\n%s", err, tail(log1, 60))
	}
	for _, f := range append(bundle.Outputs, bundle.InfoFile, bundle.SumsFile) {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("output %s missing or empty (%v)", f, err)
		}
	}

	var info bundle.Info
	b, _ := os.ReadFile(filepath.Join(out, bundle.InfoFile))
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("bundle.json: %v", err)
	}
	bbPin, _ := sources.LoadPin(filepath.Join(repoRoot(t), "rootfs/busybox/sources.json"))
	if len(info.Sources) != 2 || info.Sources[1].SHA256 != bbPin.SHA256 || info.Sources[0].SHA256 != sha256File(t, debianKernelSource) {
		t.Errorf("bundle.json sources = %+v, want the Debian kernel source and the busybox.net pin", info.Sources)
	}
	if info.Toolchain.Digest == "" || info.SourceDateEpoch != 1700000000 || info.Profile != "linux-6.1" {
		t.Errorf("bundle.json = %+v", info)
	}
	for _, f := range info.Files {
		if got := sha256File(t, filepath.Join(out, f.Name)); got != f.SHA256 {
			t.Errorf("bundle.json says %s has sha256 %s, the file has %s", f.Name, f.SHA256, got)
		}
	}
	sums := exec.Command("sha256sum", "--check", "--strict", bundle.SumsFile)
	sums.Dir = out
	if o, err := sums.CombinedOutput(); err != nil {
		t.Errorf("sha256sum --check: %v\n%s", err, o)
	}

	prof, err := profile.Load(filepath.Join(repoRoot(t), "kernel-configs"), "linux-6.1")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(filepath.Join(out, bundle.KernelConfig))
	cfg, err := kconfig.ParseConfig(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range kconfig.Check(prof.Fragment, cfg) {
		t.Errorf("exported kernel.config: %v", d)
	}

	// What the pipeline built boots: kernel DHCP on virtio-net, the RAM
	// root, the rootfs's hostname, a ping to the DHCP server.
	serial := qemuDirect(t, filepath.Join(out, bundle.Kernel), filepath.Join(out, bundle.Initramfs),
		"console=ttyS0 ip=dhcp rambox.selftest", 3*time.Minute)
	report, err := selftest.Parse(serial)
	if err != nil {
		keepLog(t, serial)
		t.Fatalf("booting the built bundle: %v", err)
	}
	if err := report.CheckRAMRoot("rambox"); err != nil {
		t.Errorf("booted bundle: %v", err)
	}
	for k, want := range map[string]string{"eth0_ip": "10.0.2.15", "ipconfig_proto": "DHCP", "ping": "ok", "modules": "none"} {
		if got := report.Fields[k]; got != want {
			keepLog(t, serial)
			t.Errorf("booted bundle: %s = %q, want %q", k, got, want)
		}
	}

	// Dagger prints a step's output as "<id> : [time] | <line>"; the
	// scripts themselves also appear in the log (as file contents), so only
	// the "| " form shows a step that ran.
	if !strings.Contains(log1, "| rambox-stage: kernel build") {
		t.Errorf("first run's log does not show the kernel build running; the cache-hit check below would prove nothing")
	}
	if !stageLine(log1, "kernel build", "built") {
		t.Errorf("first run does not report the kernel build as built:\n%s", tail(log1, 40))
	}
	first := map[string]string{}
	for _, f := range info.Files {
		first[f.Name] = f.SHA256
	}
	log2, err := rambox(t, bin, args...)
	if err != nil {
		t.Fatalf("second rambox build: %v\n%s", err, tail(log2, 40))
	}
	if strings.Contains(log2, "| rambox-stage: kernel") || strings.Contains(log2, "| rambox-stage: busybox") {
		t.Errorf("second run re-ran a build step; want every step served from the cache:\n%s", tail(log2, 40))
	}
	for _, stage := range []string{"kernel unpack", "kernel configure", "kernel build", "busybox", "initramfs"} {
		if !stageLine(log2, stage, "cached") {
			t.Errorf("second run does not report %s as cached:\n%s", stage, tail(log2, 40))
		}
	}
	for name, sum := range first {
		if got := sha256File(t, filepath.Join(out, name)); got != sum {
			t.Errorf("second run changed %s: %s -> %s", name, sum, got)
		}
	}
}

// TestPipelineRejectsDroppedOption gives the pipeline a profile whose
// fragment asks for an option with its dependency off: the build must fail
// before compiling, naming the option and the dependency.
func TestPipelineRejectsDroppedOption(t *testing.T) {
	requireE2E(t)
	requireEngine(t)
	bin := buildCLI(t)
	profiles := t.TempDir()
	src := filepath.Join(repoRoot(t), "kernel-configs", "linux-6.1")
	if o, err := exec.Command("cp", "-r", src, filepath.Join(profiles, "broken")).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, o)
	}
	frag := filepath.Join(profiles, "broken", "fragment.config")
	b, _ := os.ReadFile(frag)
	b = bytes.ReplaceAll(b, []byte("CONFIG_IP_PNP=y\n"), []byte("# CONFIG_IP_PNP is not set\n"))
	if !bytes.Contains(b, []byte("CONFIG_IP_PNP_DHCP=y")) {
		t.Fatal("the linux-6.1 fragment no longer asks for CONFIG_IP_PNP_DHCP; pick another dependent option")
	}
	os.WriteFile(frag, b, 0o644)
	out := t.TempDir()
	log, err := rambox(t, bin, "build", "--verbose", "--profiles", profiles, "--profile", "broken", "--out", out, "--epoch", "1",
		"--source", "linux="+debianKernelSource+"@sha256:"+sha256File(t, debianKernelSource))
	if err == nil {
		t.Fatalf("build with a dropped option succeeded:\n%s", tail(log, 30))
	}
	if !stageLine(log, "kernel configure", "failed") {
		t.Errorf("output does not report the kernel configure stage as failed:\n%s", tail(log, 30))
	}
	for _, w := range []string{"CONFIG_IP_PNP_DHCP=y", "unmet dependency: CONFIG_IP_PNP is off", "fragment.config", "the engine's whole log: " + out + ".engine.log"} {
		if !strings.Contains(log, w) {
			t.Errorf("error output lacks %q:\n%s", w, tail(log, 30))
		}
	}
	if strings.Contains(log, "| rambox-stage: kernel build") {
		t.Error("the kernel compiled although its config was wrong")
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("failed build left %v in the output directory", ents)
	}
}

// stageLine says whether a build's output has the line that reports stage
// finished with status, as `rambox build` prints it when stderr is not a
// terminal: "rambox build: kernel build   212.4 s  (built)".
func stageLine(log, stage, status string) bool {
	return regexp.MustCompile(`(?m)^rambox build: ` + regexp.QuoteMeta(stage) + ` +\d+\.\d s  \(` + status + `\)$`).MatchString(log)
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
