package dhcp

import (
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// netOptions gives every full-mode client the link's settings: subnet
// mask, router, lease time, host name (the node's hostname, else its
// name) and next-server (siaddr), which the kernel's own ip=dhcp round
// reports in /proc/net/pnp.
func netOptions(st *state, server netip.Addr, leaseTime time.Duration) Handler {
	return func(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
		nw := &st.inv.Network
		resp.UpdateOption(dhcpv4.OptSubnetMask(net.IPMask(nw.Netmask.AsSlice())))
		if nw.Router.IsValid() {
			resp.UpdateOption(dhcpv4.OptRouter(nw.Router.AsSlice()))
		}
		resp.UpdateOption(dhcpv4.OptIPAddressLeaseTime(leaseTime))
		if n := st.nodes[req.ClientHWAddr.String()]; n != nil {
			name := n.Hostname
			if name == "" {
				name = n.Name
			}
			resp.UpdateOption(dhcpv4.OptHostName(name))
		}
		resp.ServerIPAddr = server.AsSlice()
		return resp, false
	}
}
