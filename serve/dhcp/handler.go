package dhcp

import "github.com/insomniacslk/dhcp/dhcpv4"

// Handler is one step of a reply (coredhcp's plugin handler): it reads
// req, fills in resp and returns the reply to go on with, nil to send
// nothing, and whether the chain stops here.
type Handler func(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool)

// Chain composes handlers in order: it stops at the first that says stop
// or drops the reply.
func Chain(hs ...Handler) Handler {
	return func(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
		for _, h := range hs {
			var stop bool
			resp, stop = h(req, resp)
			if stop || resp == nil {
				return resp, true
			}
		}
		return resp, false
	}
}
