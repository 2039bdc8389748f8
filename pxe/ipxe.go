package pxe

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// ErrCmdlineExpansion is returned for a kernel command line holding "${":
// iPXE expands settings such as ${net0/mac} in every script line, so the
// kernel would get another command line than the one verified.
var ErrCmdlineExpansion = errors.New(`holds "${", which iPXE would expand`)

// IPXEScript is the iPXE script that boots cmdline with the kernel and
// initramfs at the URLs in p. The kernel's initrd= names the initramfs
// image as iPXE does (its URL's last element), which the EFI stub needs to
// find it.
func IPXEScript(p Paths, cmdline string) (string, error) {
	if err := checkIPXECmdline(cmdline); err != nil {
		return "", err
	}
	return "#!ipxe\n" + kernelLines(p, cmdline), nil
}

// IPXEUKIScript is the iPXE script of a node that boots the unified
// kernel image at uki: on EFI iPXE chains to it with cmdline, which
// systemd-stub runs instead of the UKI's own only when Secure Boot is off
// (under Secure Boot iPXE itself must be signed, and the stub keeps the
// signed .cmdline); BIOS iPXE cannot start an EFI program and boots the
// kernel and initramfs at p as IPXEScript does.
func IPXEUKIScript(p Paths, uki, cmdline string) (string, error) {
	if err := checkIPXECmdline(cmdline); err != nil {
		return "", err
	}
	return fmt.Sprintf("#!ipxe\niseq ${platform} efi && goto uki ||\n%s:uki\nchain %s %s\n", kernelLines(p, cmdline), uki, cmdline), nil
}

// kernelLines load and boot the kernel and initramfs at p.
func kernelLines(p Paths, cmdline string) string {
	return fmt.Sprintf("kernel %s initrd=%s %s\ninitrd %s\nboot\n", p.Kernel, path.Base(p.Initramfs), cmdline, p.Initramfs)
}

// checkIPXECmdline refuses a command line a script cannot carry.
func checkIPXECmdline(cmdline string) error {
	if err := checkCmdline(cmdline); err != nil {
		return err
	}
	if strings.Contains(cmdline, "${") {
		return fmt.Errorf("kernel command line %q %w", cmdline, ErrCmdlineExpansion)
	}
	return nil
}
