package profile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const budgets = `{"bzImage": 3000000, "initramfs.cpio.gz": 700000, "busybox": 1400000}`

const pin = `{"name":"linux","file":"linux.tar","sha256":"` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"}`

func writeProfile(t *testing.T, root, name string, files map[string]string) {
	t.Helper()
	for f, body := range files {
		p := filepath.Join(root, name, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoad(t *testing.T) {
	root := t.TempDir()
	writeProfile(t, root, "good", map[string]string{
		"sources.json":         pin,
		"fragment.config":      "CONFIG_NET=y\n# CONFIG_IPV6 is not set\n",
		"profile.env":          "CONFIG_FINISH=oldnoconfig\nMAKE_VARS=\"ROOT_DEV=FLOPPY\"\n",
		"budgets.json":         budgets,
		"patches/0002-b.patch": "",
		"patches/0001-a.patch": "",
	})
	p, err := Load(root, "good")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Fragment) != 2 || p.Source.Name != "linux" || strings.Join(p.Patches, ",") != "0001-a.patch,0002-b.patch" || p.Budgets["initramfs.cpio.gz"] != 700000 {
		t.Errorf("Load = %+v", p)
	}
}

func TestLoadErrors(t *testing.T) {
	root := t.TempDir()
	writeProfile(t, root, "a", map[string]string{"sources.json": pin, "fragment.config": "CONFIG_NET=y\n", "profile.env": "CONFIG_FINISH=oldnoconfig\n"})
	writeProfile(t, root, "none", map[string]string{"sources.json": pin, "fragment.config": "CONFIG_NET=y\n", "profile.env": "CONFIG_FINISH=none\n", "budgets.json": budgets})
	writeProfile(t, root, "bad", map[string]string{
		"sources.json":    `{"name":"linux","sha256":"nope"}`,
		"fragment.config": "CONFIG_NET=y\nNET=y\n",
		"profile.env":     "CONFIG_FINISH=defconfig\nFOO=1\n",
		"budgets.json":    `{"bzImage": 0, "busybox": 1, "vmlinux": 5}`,
	})
	if _, err := Load(root, "missing"); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "known: a, bad") {
		t.Errorf("Load(missing) = %v, want ErrUnknown listing a, bad", err)
	}
	if _, err := Load(root, "../a"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Load(../a) = %v, want ErrUnknown", err)
	}
	if _, err := Load(root, "none"); err != nil {
		t.Errorf("Load(none) = %v, want CONFIG_FINISH=none accepted", err)
	}
	_, err := Load(root, "bad")
	for _, want := range []string{`sha256 "nope"`, "fragment.config:2", "CONFIG_FINISH=defconfig", "unknown variable FOO",
		"budget for bzImage is 0 B", "no budget for initramfs.cpio.gz", `"vmlinux" is not a budgeted output`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(bad) = %v, want it to mention %q", err, want)
		}
	}
}

// TestRepositoryProfiles loads every profile the repository ships.
func TestRepositoryProfiles(t *testing.T) {
	names, err := Names("../kernel-configs")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"linux-2.6.39", "linux-6.1", "linux-6.1-arm64"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("profiles %v lack %s", names, want)
		}
	}
	for _, n := range names {
		if _, err := Load("../kernel-configs", n); err != nil {
			t.Errorf("Load(%s): %v", n, err)
		}
	}
	for name, want := range map[string]struct {
		arch string
		uki  bool
	}{"linux-2.6.39": {"x86_64", false}, "linux-6.1": {"x86_64", true}, "linux-6.1-arm64": {"arm64", false}} {
		if p, err := Load("../kernel-configs", name); err == nil && (p.Arch.Name != want.arch || p.UKI != want.uki) {
			t.Errorf("Load(%s): arch %q, UKI %v; want %q, %v", name, p.Arch.Name, p.UKI, want.arch, want.uki)
		}
	}
}
