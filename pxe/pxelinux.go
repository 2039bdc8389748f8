package pxe

import (
	"fmt"
	"net/netip"
	"strings"

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

// PxelinuxConfig is the pxelinux.cfg file for one command line.
func PxelinuxConfig(cmdline string) string {
	return fmt.Sprintf("DEFAULT rambox\nLABEL rambox\n  KERNEL %s\n  APPEND initrd=%s %s\n", tftproot.KernelFile, tftproot.InitramfsFile, cmdline)
}

// NodeConfigs returns pxelinux.cfg/<HEXIP> -> contents for every node.
func NodeConfigs(bundleCmdline string, inv *Inventory, nw *Network) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range inv.Nodes {
		a, err := netip.ParseAddr(n.IP)
		if err != nil {
			return nil, fmt.Errorf("node %q: ip: %w", n.Name, err)
		}
		h, err := HexIP(a)
		if err != nil {
			return nil, fmt.Errorf("node %q: ip: %w", n.Name, err)
		}
		out[h] = PxelinuxConfig(NodeCmdline(bundleCmdline, n, nw))
	}
	return out, nil
}
