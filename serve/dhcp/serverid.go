package dhcp

import (
	"net"
	"net/netip"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// serverID puts this server's identifier (option 54) on every reply, NAKs
// included, and drops a REQUEST naming another server: the client took
// that server's offer (RFC 2131 4.3.2), so a pool address offered here is
// released.
func serverID(server netip.Addr, l *leases) Handler {
	return func(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
		if id := req.ServerIdentifier(); id != nil && req.MessageType() == dhcpv4.MessageTypeRequest && !id.Equal(net.IP(server.AsSlice())) {
			l.release(req.ClientHWAddr.String())
			return nil, true
		}
		resp.UpdateOption(dhcpv4.OptServerIdentifier(server.AsSlice()))
		return resp, false
	}
}
