package pxe

import (
	"errors"
	"fmt"
	"strings"
)

// ErrCmdlineQuote is returned for a kernel command line that GRUB's config
// cannot carry: each word goes to `linux` single-quoted (so $, ;, {, #
// and double quotes reach the kernel as written), and a single quote
// would end the quoting.
var ErrCmdlineQuote = errors.New("holds a single quote, which a GRUB config cannot quote")

// GrubConfig is a GRUB config that boots at once: `linux` loads the
// kernel at p.Kernel with cmdline, `initrd` the initramfs at p.Initramfs.
// The paths are absolute on the server GRUB came from (its $root). When
// the boot fails (GRUB goes on past a failed command) it says so and
// restarts the client: it never returns to the config that loaded it,
// which would try another client's config next.
func GrubConfig(p Paths, cmdline string) (string, error) {
	if err := checkCmdline(cmdline); err != nil {
		return "", err
	}
	if i := strings.IndexByte(cmdline, '\''); i >= 0 {
		return "", fmt.Errorf("kernel command line %q %w (at byte %d)", cmdline, ErrCmdlineQuote, i)
	}
	var b strings.Builder
	b.WriteString("set timeout=0\nlinux /" + strings.TrimPrefix(p.Kernel, "/"))
	for _, w := range strings.Fields(cmdline) {
		b.WriteString(" '" + w + "'")
	}
	b.WriteString("\ninitrd /" + strings.TrimPrefix(p.Initramfs, "/") + "\nboot\n")
	b.WriteString("echo \"rambox: booting /" + strings.TrimPrefix(p.Kernel, "/") + " failed\"\nsleep 10\nreboot\n")
	return b.String(), nil
}
