package serve

import (
	"log/slog"
	"strconv"

	"rambox/pxe"
	"rambox/serve/dhcp"
)

// dhcpModes maps --dhcp to the server's modes (off has none).
var dhcpModes = map[string]dhcp.Mode{DHCPFull: dhcp.Full, DHCPProxy: dhcp.Proxy}

// newDHCP is cfg's DHCP server for inv, or nil with --dhcp off. Every
// answer is logged: which boot file each client was handed.
func newDHCP(cfg Config, inv *pxe.Inventory, log *slog.Logger) (*dhcp.Server, error) {
	mode, ok := dhcpModes[cfg.DHCP]
	if !ok {
		return nil, nil
	}
	httpPort, _ := strconv.Atoi(port(cfg.HTTPAddr)) // Validate checked it
	return dhcp.New(dhcp.Config{Mode: mode, Inventory: inv, HTTPPort: httpPort, OnExchange: func(e dhcp.Exchange) {
		log.Info("dhcp", "mac", e.MAC.String(), "ip", e.IP, "port", e.Port, "request", e.Request.String(), "reply", e.Reply.String(), "bootfile", e.BootFile, "err", e.Err)
	}})
}
