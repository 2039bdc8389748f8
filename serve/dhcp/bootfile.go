package dhcp

import (
	"net/netip"
	"slices"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"

	"rambox/pxe"
)

// ipxeUserClass is the user class (option 77) iPXE sends.
const ipxeUserClass = "iPXE"

// bootFile names the boot file for PXE, iPXE and UEFI HTTP Boot clients
// by the policy (policy.go): siaddr and option 66 = the server, file and
// option 67 = the file or its URL. Other clients (the kernel's ip=dhcp) pass
// unchanged. With required (proxy mode, which has nothing else to give),
// a client the policy has no file for gets no reply.
func bootFile(st *state, server netip.Addr, httpPort int, required bool) Handler {
	return func(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
		ipxe := slices.Contains(req.UserClass(), ipxeUserClass)
		if !isPXE(req) && !isHTTPBoot(req) && !ipxe {
			if required {
				return nil, true
			}
			return resp, false
		}
		// Option 93 absent: a BIOS client (RFC 4578 makes it mandatory
		// for PXE, and the oldest ROMs are BIOS ones).
		arch := iana.INTEL_X86PC
		if a := req.ClientArch(); len(a) > 0 {
			arch = a[0]
		}
		boots := pxe.UnknownBoots
		if n := st.nodes[req.ClientHWAddr.String()]; n != nil {
			boots = []pxe.BootMethod{n.Boot}
		}
		var file string
		var ok bool
		for _, boot := range boots {
			if file, ok = BootFile(arch, ipxe, boot, req.ClientHWAddr, server, httpPort); ok {
				break
			}
		}
		if !ok {
			if required {
				return nil, true
			}
			return resp, false
		}
		resp.ServerIPAddr = server.AsSlice()
		resp.BootFileName = file
		resp.UpdateOption(dhcpv4.OptBootFileName(file))
		resp.UpdateOption(dhcpv4.OptTFTPServerName(server.String()))
		return resp, false
	}
}
