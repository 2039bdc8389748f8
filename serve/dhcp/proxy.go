package dhcp

import (
	"github.com/insomniacslk/dhcp/dhcpv4"
)

// proxyReply is proxyDHCP's answer (PXE spec 2.2): only to PXE clients
// the inventory serves (nodes, or anyone when unknown clients are
// allowed), never with an address (yiaddr stays 0.0.0.0), and never an
// ACK or NAK of an address request. On port 67 a DISCOVER gets an OFFER;
// on port 4011 the boot server REQUEST gets an ACK.
func proxyReply(st *state, port int) Handler {
	want, reply := dhcpv4.MessageTypeDiscover, dhcpv4.MessageTypeOffer
	if port == PXEPort {
		want, reply = dhcpv4.MessageTypeRequest, dhcpv4.MessageTypeAck
	}
	return func(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
		if req.MessageType() != want || !isPXE(req) {
			return nil, true
		}
		if st.nodes[req.ClientHWAddr.String()] == nil && !st.inv.Network.AllowUnknown {
			return nil, true
		}
		resp.UpdateOption(dhcpv4.OptMessageType(reply))
		return resp, false
	}
}
