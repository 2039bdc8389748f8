package dhcp

import (
	"net"
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// addresses answers full mode's address messages (RFC 2131): an inventory
// node gets its fixed address; an unknown client gets a pool address only
// when the inventory allows unknown clients, and nothing otherwise.
// DISCOVER gets OFFER; REQUEST gets ACK for the address the client may
// have and NAK for any other; RELEASE frees a pool lease; DECLINE takes
// the address out of the pool for a lease time.
func addresses(st *state, l *leases, leaseTime time.Duration) Handler {
	return func(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
		mac := req.ClientHWAddr.String()
		node := st.nodes[mac]
		nw := &st.inv.Network
		if node == nil && !nw.AllowUnknown {
			return nil, true
		}
		switch req.MessageType() {
		case dhcpv4.MessageTypeDiscover:
			ip := netip.Addr{}
			if node != nil {
				ip = node.IP
			} else if a, ok := l.offer(mac, nw); ok {
				ip = a
			} else {
				return nil, true // pool exhausted
			}
			resp.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeOffer))
			resp.YourIPAddr = ip.AsSlice()
			return resp, false
		case dhcpv4.MessageTypeRequest:
			// SELECTING and INIT-REBOOT name the address in option 50;
			// RENEWING and REBINDING have it as ciaddr.
			want := addr(req.RequestedIPAddress())
			if !want.IsValid() {
				want = addr(req.ClientIPAddr)
			}
			if !want.IsValid() {
				return nil, true
			}
			var ok bool
			if node != nil {
				ok = want == node.IP
			} else {
				ok = l.bind(mac, want, nw, leaseTime)
			}
			if !ok {
				resp.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeNak))
				return resp, true // a NAK carries nothing else (RFC 2131 table 3)
			}
			resp.UpdateOption(dhcpv4.OptMessageType(dhcpv4.MessageTypeAck))
			resp.YourIPAddr = want.AsSlice()
			return resp, false
		case dhcpv4.MessageTypeRelease:
			if node == nil {
				l.release(mac)
			}
		case dhcpv4.MessageTypeDecline:
			if node == nil {
				l.decline(mac, addr(req.RequestedIPAddress()), nw, leaseTime)
			}
		}
		return nil, true
	}
}

// addr is ip as a netip.Addr, invalid for nil or 0.0.0.0.
func addr(ip net.IP) netip.Addr {
	a, ok := netip.AddrFromSlice(ip.To4())
	if !ok || a.IsUnspecified() {
		return netip.Addr{}
	}
	return a
}
