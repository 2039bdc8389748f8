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
	return st
}
