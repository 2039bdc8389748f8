package dhcp

import (
	"rambox/pxe"
)

// state is what one inventory makes: the nodes by MAC and one chain per
// port.
type state struct {
	inv    *pxe.Inventory
	nodes  map[string]*pxe.Node // by MAC.String()
	chains map[int]Handler
}

func newState(cfg *Config, inv *pxe.Inventory, l *leases) *state {
	st := &state{inv: inv, nodes: map[string]*pxe.Node{}, chains: map[int]Handler{}}
	for i := range inv.Nodes {
		n := &inv.Nodes[i]
		st.nodes[n.MAC.String()] = n
	}
	switch cfg.Mode {
	case Full:
		st.chains[ServerPort] = Chain(
			serverID(cfg.ServerIP, l),
			addresses(st, l, cfg.LeaseTime),
			netOptions(st, cfg.ServerIP, cfg.LeaseTime),
			pxeVendor,
			bootFile(st, cfg.ServerIP, cfg.HTTPPort, false),
			httpVendor,
		)
	case Proxy:
		// proxyDHCP is PXE's (proxyReply answers PXE clients only): a
		// UEFI HTTP Boot client needs serve as its DHCP server.
		for _, port := range []int{ServerPort, PXEPort} {
			st.chains[port] = Chain(
				proxyReply(st, port),
				serverID(cfg.ServerIP, l),
				pxeVendor,
				bootFile(st, cfg.ServerIP, cfg.HTTPPort, true),
			)
		}
	}
	return st
}
