package profile

import (
	"fmt"
	"slices"
	"strings"

	"rambox/bundle"
)

// EnvArch is the profile.env variable naming the kernel architecture a
// profile builds for (the kernel's ARCH=); without it, ArchX86_64.
const EnvArch = "ARCH"

// Arch is what a build for one CPU architecture needs to know. The build
// toolchain runs on x86-64; other architectures are cross-compiled.
type Arch struct {
	Name string // the kernel's ARCH= and profile.env's ARCH
	// CrossCompile is the tool prefix (CROSS_COMPILE=) of the toolchain's
	// cross compiler for Name, "" for the toolchain's own gcc.
	CrossCompile string
	// KernelPath is where kbuild writes the kernel image (Kernel) in
	// the object tree.
	KernelPath string
	// Console is the serial console's device name on the QEMU machine
	// the bundle is tested on (console=).
	Console string
	// UKIStub says the toolchain has a systemd-stub for this
	// architecture, so a kernel with the EFI stub can be made into a UKI.
	UKIStub bool
}

// Kernel is the kernel image's make target, which is also its file name
// in the bundle (bundle.KernelFile).
func (a Arch) Kernel() string { return bundle.KernelFile(a.Name) }

// DefaultCmdline is the kernel command line a bundle for a carries unless
// told otherwise: the kernel configures eth0 by DHCP (a second DHCP round
// after PXE's, as the seed does), consoles on screen and serial port, and
// the RAM root is kept.
func (a Arch) DefaultCmdline() string {
	return "rw ip=dhcp console=tty0 console=" + a.Console + " rambox"
}

// Cross reports whether a is cross-compiled.
func (a Arch) Cross() bool { return a.CrossCompile != "" }

// The architectures a profile can build for.
var (
	ArchX86_64 = Arch{Name: bundle.ArchX86_64, KernelPath: "arch/x86/boot/bzImage",
		Console: "ttyS0", UKIStub: true}
	// ArchArm64 is cross-built with Debian's gcc-aarch64-linux-gnu. The
	// kernel is the uncompressed Image, which is also an EFI application
	// when CONFIG_EFI_STUB is set (arm64 has no bzImage).
	ArchArm64 = Arch{Name: "arm64", CrossCompile: "aarch64-linux-gnu-",
		KernelPath: "arch/arm64/boot/Image", Console: "ttyAMA0"}
)

// Arches lists the architectures LookupArch knows, in order.
var Arches = []Arch{ArchX86_64, ArchArm64}

// LookupArch returns the architecture profile.env's ARCH names; "" is
// ArchX86_64, the profiles' default.
func LookupArch(name string) (Arch, error) {
	if name == "" {
		return ArchX86_64, nil
	}
	i := slices.IndexFunc(Arches, func(a Arch) bool { return a.Name == name })
	if i < 0 {
		var known []string
		for _, a := range Arches {
			known = append(known, a.Name)
		}
		return Arch{}, fmt.Errorf("unknown architecture %q (known: %s)", name, strings.Join(known, ", "))
	}
	return Arches[i], nil
}
