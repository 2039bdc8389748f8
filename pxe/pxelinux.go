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

// PxelinuxConfig is the pxelinux.cfg file for one command line.
func PxelinuxConfig(cmdline string) (string, error) {
	if i := strings.IndexFunc(cmdline, unicode.IsControl); i >= 0 {
		return "", fmt.Errorf("kernel command line %q %w (%q at byte %d)", cmdline, ErrCmdlineControl, cmdline[i:i+1], i)
	}
	return fmt.Sprintf("DEFAULT rambox\nLABEL rambox\n  KERNEL %s\n  APPEND initrd=%s %s\n", tftproot.KernelFile, tftproot.InitramfsFile, cmdline), nil
}

// NodeConfigs returns pxelinux.cfg/<HEXIP> -> contents for every node.
func NodeConfigs(bundleCmdline string, inv *Inventory) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range inv.Nodes {
		h, err := HexIP(n.IP)
		if err != nil {
			return nil, fmt.Errorf("node %q: ip: %w", n.Name, err)
		}
		if out[h], err = PxelinuxConfig(NodeCmdline(bundleCmdline, n, &inv.Network)); err != nil {
			return nil, fmt.Errorf("node %q: %w", n.Name, err)
		}
	}
	return out, nil
}
