package pxe

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"rambox/tftproot"
)

// NodeCmdline is the kernel command line for one node: the bundle's, with
// its `ip=` replaced by the seed's static form when the node asks for it
// (no second DHCP round), and the node's extra words appended.
func NodeCmdline(bundleCmdline string, n Node, nw *Network) string {
	words := strings.Fields(bundleCmdline)
	if n.StaticIP {
		host := n.Hostname
		if host == "" {
			host = n.Name
		}
		host, _, _ = strings.Cut(host, ".")
		gw := ""
		if nw.Router.IsValid() {
			gw = nw.Router.String()
		}
		static := fmt.Sprintf("ip=%s:%s:%s:%s:%s:eth0:off", n.IP, nw.Server, gw, nw.Netmask, host)
		kept := words[:0]
		for _, w := range words {
			if !strings.HasPrefix(w, "ip=") {
				kept = append(kept, w)
			}
		}
		words = append(kept, static)
	}
	words = append(words, strings.Fields(n.Cmdline)...)
	return strings.Join(words, " ")
}

// ErrCmdlineControl is returned for a kernel command line holding a
// control character: pxelinux.cfg is line-based, so a newline in APPEND
// would start a line of its own (another LABEL, say).
var ErrCmdlineControl = errors.New("holds a control character")

// Paths name the kernel and initramfs a boot config loads.
type Paths struct{ Kernel, Initramfs string }

// RootPaths are the TFTP root's own names, which its current link
// switches from one bundle to the next.
var RootPaths = Paths{Kernel: tftproot.KernelFile, Initramfs: tftproot.InitramfsFile}

// PxelinuxConfig is the pxelinux.cfg file for one command line, loading
// RootPaths.
func PxelinuxConfig(cmdline string) (string, error) {
	return PxelinuxConfigAt(RootPaths, cmdline)
}

// PxelinuxConfigAt is the pxelinux.cfg file for one command line, loading
// the kernel and initramfs at p.
func PxelinuxConfigAt(p Paths, cmdline string) (string, error) {
	if err := checkCmdline(cmdline); err != nil {
		return "", err
	}
	return fmt.Sprintf("DEFAULT rambox\nLABEL rambox\n  KERNEL %s\n  APPEND initrd=%s %s\n", p.Kernel, p.Initramfs, cmdline), nil
}

// checkCmdline refuses a command line that a line-based config cannot hold.
func checkCmdline(cmdline string) error {
	if i := strings.IndexFunc(cmdline, unicode.IsControl); i >= 0 {
		return fmt.Errorf("kernel command line %q %w (%q at byte %d)", cmdline, ErrCmdlineControl, cmdline[i:i+1], i)
	}
	return nil
}

// NodeConfigs returns pxelinux.cfg/<HEXIP> -> contents for every node,
// loading RootPaths.
func NodeConfigs(bundleCmdline string, inv *Inventory) (map[string]string, error) {
	return NodeConfigsAt(RootPaths, bundleCmdline, inv)
}

// NodeConfigsAt returns pxelinux.cfg/<HEXIP> -> contents for every node,
// loading the kernel and initramfs at p.
func NodeConfigsAt(p Paths, bundleCmdline string, inv *Inventory) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range inv.Nodes {
		h, err := HexIP(n.IP)
		if err != nil {
			return nil, fmt.Errorf("node %q: ip: %w", n.Name, err)
		}
		if out[h], err = PxelinuxConfigAt(p, NodeCmdline(bundleCmdline, n, &inv.Network)); err != nil {
			return nil, fmt.Errorf("node %q: %w", n.Name, err)
		}
	}
	return out, nil
}
