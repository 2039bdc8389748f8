package serve

import (
	"strconv"

	"rambox/pxe"
	"rambox/serve/dhcp"
)

// dhcpModes maps --dhcp to the server's modes (off has none).
var dhcpModes = map[string]dhcp.Mode{DHCPFull: dhcp.Full, DHCPProxy: dhcp.Proxy}

// newDHCP is cfg's DHCP server for inv, or nil with --dhcp off; every
// exchange goes to onExchange (the log, the records, the metrics).
func newDHCP(cfg Config, inv *pxe.Inventory, onExchange func(dhcp.Exchange)) (*dhcp.Server, error) {
	mode, ok := dhcpModes[cfg.DHCP]
	if !ok {
		return nil, nil
	}
	httpPort, _ := strconv.Atoi(port(cfg.HTTPAddr)) // Validate checked it
	return dhcp.New(dhcp.Config{Mode: mode, Inventory: inv, HTTPPort: httpPort, OnExchange: onExchange})
}
