package bundle

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDescribeAndWrite(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{Kernel: "kernel bytes", Initramfs: "initrd", KernelConfig: "CONFIG_NET=y\n", BusyboxConfig: "CONFIG_STATIC=y\n"} {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	info := &Info{SchemaVersion: 1, Profile: "p", SourceDateEpoch: 7}
	if err := info.Describe(dir, Outputs); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range info.Files {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "busybox.config bzImage initramfs.cpio.gz kernel.config" {
		t.Errorf("files in order %q", got)
	}
	if info.Files[1].Size != int64(len("kernel bytes")) {
		t.Errorf("bzImage size %d", info.Files[1].Size)
	}

	var a, b bytes.Buffer
	info.WriteJSON(&a)
	info.WriteJSON(&b)
	if !bytes.Equal(a.Bytes(), b.Bytes()) || !bytes.HasSuffix(a.Bytes(), []byte("}\n")) {
		t.Errorf("bundle.json not stable:\n%s", a.String())
	}

	var sums bytes.Buffer
	info.WriteSums(&sums)
	os.WriteFile(filepath.Join(dir, SumsFile), sums.Bytes(), 0o644)
	cmd := exec.Command("sha256sum", "--check", "--strict", SumsFile)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("sha256sum --check: %v\n%s", err, out)
	}
	if err := info.Describe(dir, []string{"missing"}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Describe(missing) = %v, want an error naming it", err)
	}
}

func TestKernelFile(t *testing.T) {
	for _, tt := range []struct{ arch, want string }{
		{"", "bzImage"}, {"x86_64", "bzImage"}, {"arm64", "Image"}, {"riscv", ""},
	} {
		if got := KernelFile(tt.arch); got != tt.want {
			t.Errorf("KernelFile(%q) = %q, want %q", tt.arch, got, tt.want)
		}
		if got := (&Info{Arch: tt.arch}).KernelFile(); got != tt.want {
			t.Errorf("Info{Arch: %q}.KernelFile() = %q, want %q", tt.arch, got, tt.want)
		}
	}
	if got, want := OutputsOf(""), Outputs; !slices.Equal(got, want) {
		t.Errorf("OutputsOf(\"\") = %v, want Outputs %v", got, want)
	}
	if got := OutputsOf("arm64"); got[0] != KernelArm64 || !slices.Equal(got[1:], Outputs[1:]) {
		t.Errorf("OutputsOf(arm64) = %v", got)
	}
}
