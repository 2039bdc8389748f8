package profile

import (
	"strings"
	"testing"
)

func TestLookupArch(t *testing.T) {
	for _, tt := range []struct {
		name, arch, kernel, cross, cmdline string
		uki                                bool
	}{
		// The x86 default cmdline is the one every bundle had before arm64.
		{"", "x86_64", "bzImage", "", "rw ip=dhcp console=tty0 console=ttyS0 rambox", true},
		{"x86_64", "x86_64", "bzImage", "", "rw ip=dhcp console=tty0 console=ttyS0 rambox", true},
		{"arm64", "arm64", "Image", "aarch64-linux-gnu-", "rw ip=dhcp console=tty0 console=ttyAMA0 rambox", false},
	} {
		a, err := LookupArch(tt.name)
		if err != nil {
			t.Errorf("LookupArch(%q): %v", tt.name, err)
			continue
		}
		if a.Name != tt.arch || a.Kernel() != tt.kernel || a.CrossCompile != tt.cross || a.Cross() != (tt.cross != "") ||
			a.DefaultCmdline() != tt.cmdline || a.UKIStub != tt.uki {
			t.Errorf("LookupArch(%q) = %+v (kernel %q, cmdline %q), want %s %s %q %q uki=%v",
				tt.name, a, a.Kernel(), a.DefaultCmdline(), tt.arch, tt.kernel, tt.cross, tt.cmdline, tt.uki)
		}
		if !strings.HasSuffix(a.KernelPath, "/"+a.Kernel()) {
			t.Errorf("LookupArch(%q): KernelPath %q does not end in its kernel %q", tt.name, a.KernelPath, a.Kernel())
		}
	}
	for _, bad := range []string{"x86", "aarch64", "ARM64", "riscv"} {
		if _, err := LookupArch(bad); err == nil || !strings.Contains(err.Error(), "known: x86_64, arm64") {
			t.Errorf("LookupArch(%q) = %v, want an error listing the known architectures", bad, err)
		}
	}
}

func TestLoadArch(t *testing.T) {
	root := t.TempDir()
	frag := "CONFIG_NET=y\nCONFIG_EFI_STUB=y\n"
	writeProfile(t, root, "arm", map[string]string{
		"sources.json":    pin,
		"fragment.config": frag,
		"profile.env":     "CONFIG_FINISH=olddefconfig\nARCH=arm64\n",
		"budgets.json":    `{"Image": 9000000, "initramfs.cpio.gz": 700000, "busybox": 1400000}`,
	})
	p, err := Load(root, "arm")
	if err != nil {
		t.Fatal(err)
	}
	// arm64 has the EFI stub but no systemd-stub in the toolchain: no UKI.
	if p.Arch.Name != "arm64" || p.UKI || strings.Join(p.Budgeted(), ",") != "Image,initramfs.cpio.gz,busybox" {
		t.Errorf("Load(arm) = arch %q, UKI %v, budgeted %v", p.Arch.Name, p.UKI, p.Budgeted())
	}
	if err := p.CheckSizes(map[string]int64{"Image": 9000001, "initramfs.cpio.gz": 1, "busybox": 1}); err == nil ||
		!strings.Contains(err.Error(), "Image: 9,000,001 B, over its budget") {
		t.Errorf("CheckSizes(Image over) = %v, want Image over its budget", err)
	}

	writeProfile(t, root, "badarch", map[string]string{
		"sources.json":    pin,
		"fragment.config": frag,
		"profile.env":     "CONFIG_FINISH=olddefconfig\nARCH=aarch64\n",
		"budgets.json":    `{"bzImage": 9000000, "initramfs.cpio.gz": 700000, "busybox": 1400000}`,
	})
	if _, err := Load(root, "badarch"); err == nil || !strings.Contains(err.Error(), `profile.env: ARCH: unknown architecture "aarch64"`) {
		t.Errorf("Load(badarch) = %v, want it to name profile.env's ARCH", err)
	}
	// An arm64 profile budgets Image, not bzImage.
	writeProfile(t, root, "armbz", map[string]string{
		"sources.json":    pin,
		"fragment.config": frag,
		"profile.env":     "CONFIG_FINISH=olddefconfig\nARCH=arm64\n",
		"budgets.json":    `{"bzImage": 9000000, "initramfs.cpio.gz": 700000, "busybox": 1400000}`,
	})
	_, err = Load(root, "armbz")
	for _, want := range []string{"no budget for Image", `"bzImage" is not a budgeted output`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(armbz) = %v, want it to mention %q", err, want)
		}
	}
}
