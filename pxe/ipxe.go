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
	if err := checkCmdline(cmdline); err != nil {
		return "", err
	}
	if strings.Contains(cmdline, "${") {
		return "", fmt.Errorf("kernel command line %q %w", cmdline, ErrCmdlineExpansion)
	}
	return fmt.Sprintf("#!ipxe\nkernel %s initrd=%s %s\ninitrd %s\nboot\n", p.Kernel, path.Base(p.Initramfs), cmdline, p.Initramfs), nil
}
