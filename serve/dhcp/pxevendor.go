package dhcp

import (
	"strings"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// pxeClass is the vendor class (option 60) PXE firmware sends, followed by
// ":Arch:...", and what a PXE server echoes.
const pxeClass = "PXEClient"

// httpClass is the vendor class a UEFI HTTP Boot client sends, followed
// by ":Arch:...", and what a server that offers it a boot URL echoes: the
// client takes only an offer whose option 60 is "HTTPClient" as one that
// names its boot file (UEFI 2.5+, "HTTP Boot", DHCP configuration).
const httpClass = "HTTPClient"

// pxeDiscoveryControl (PXE spec, vendor option 6) = 8: boot the file
// named in this offer, no boot server discovery or menu (as pixiecore and
// dnsmasq answer).
const (
	pxeDiscoveryControl = 6
	pxeBootFileDirectly = 8
	pxeEnd              = 255
)

// isPXE reports whether req comes from PXE firmware (or iPXE, which also
// says PXEClient).
func isPXE(req *dhcpv4.DHCPv4) bool {
	return strings.HasPrefix(req.ClassIdentifier(), pxeClass)
}

// pxeVendor answers a PXE client as a PXE server: option 60 "PXEClient"
// echoed, the PXE vendor options (43) telling it to boot the offered file
// directly, and its machine identifier (97) copied back, as the PXE spec
// asks of servers. Other clients pass unchanged.
func pxeVendor(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
	if !isPXE(req) {
		return resp, false
	}
	resp.UpdateOption(dhcpv4.OptClassIdentifier(pxeClass))
	resp.UpdateOption(dhcpv4.OptGeneric(dhcpv4.OptionVendorSpecificInformation,
		[]byte{pxeDiscoveryControl, 1, pxeBootFileDirectly, pxeEnd}))
	if uuid := req.GetOneOption(dhcpv4.OptionClientMachineIdentifier); uuid != nil {
		resp.UpdateOption(dhcpv4.OptGeneric(dhcpv4.OptionClientMachineIdentifier, uuid))
	}
	return resp, false
}

// isHTTPBoot reports whether req comes from a UEFI HTTP Boot client.
func isHTTPBoot(req *dhcpv4.DHCPv4) bool {
	return strings.HasPrefix(req.ClassIdentifier(), httpClass)
}

// httpVendor echoes option 60 "HTTPClient" to a UEFI HTTP Boot client
// given a boot URL. Other clients, and replies without a boot file (an
// architecture the policy has none for), pass unchanged.
func httpVendor(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
	if !isHTTPBoot(req) || resp.BootFileName == "" {
		return resp, false
	}
	resp.UpdateOption(dhcpv4.OptClassIdentifier(httpClass))
	return resp, false
}
