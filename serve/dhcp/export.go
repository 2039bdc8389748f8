package dhcp

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"rambox/pxe"
	"rambox/serve/bootfs"
)

// Policy is the boot file policy (policy.go) for the generators of other
// DHCP servers' configs (rambox kea-conf, dnsmasq-conf): the rows in
// order, each with the architectures of its class, and the iPXE script
// URLs on server:httpPort. BootFile and these configs read the same table,
// all but its UEFI HTTP Boot rows: such a client takes an offer only with
// option 60 "HTTPClient" echoed, which these configs do not set up.
func Policy(server netip.Addr, httpPort int) pxe.BootPolicy {
	base := fmt.Sprintf("http://%s/", netip.AddrPortFrom(server, uint16(httpPort)))
	// An unknown client asks for its own MAC's script too (serve's HTTP
	// answers it with the default script): a static config names it as
	// ${netX/mac}, which iPXE expands in the file name it is given to the
	// booting NIC's MAC, in the lower-case colon form ScriptName uses.
	zero := make(net.HardwareAddr, 6)
	unknown := strings.Replace(bootfs.ScriptName(zero), zero.String(), "${netX/mac}", 1)
	p := pxe.BootPolicy{ScriptURL: func(mac net.HardwareAddr) string {
		if mac == nil {
			return base + unknown
		}
		return base + bootfs.ScriptName(mac)
	}, UKIName: func(mac net.HardwareAddr) string { return bootfs.UKIName(mac) }}
	for _, r := range policy {
		if r.arch == archUEFI64HTTP {
			continue
		}
		var arches []uint16
		for a, c := range archClasses {
			if c == r.arch {
				arches = append(arches, uint16(a))
			}
		}
		slices.Sort(arches)
		row := pxe.BootRule{Arches: arches, IPXE: r.ipxe, Boot: r.boot}
		switch r.file {
		case scriptURL:
			row.Script = true
		case ukiFile:
			row.UKI = true
		default:
			row.File = r.file
		}
		p.Rules = append(p.Rules, row)
	}
	return p
}
