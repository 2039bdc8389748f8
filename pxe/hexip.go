// Package pxe holds the boot server's pure logic: the node inventory, the
// names pxelinux looks for, its per-node config files, and ISC dhcpd's
// configuration with the PXE option space.
package pxe

import (
	"fmt"
	"net/netip"
)

// HexIP is the name pxelinux gives an IPv4 address when it looks for its
// config: eight upper-case hex digits, C0A818CB for 192.168.24.203.
func HexIP(a netip.Addr) (string, error) {
	if !a.Is4() {
		return "", fmt.Errorf("%s is not an IPv4 address", a)
	}
	b := a.As4()
	return fmt.Sprintf("%02X%02X%02X%02X", b[0], b[1], b[2], b[3]), nil
}

// ConfigNames lists, in the order pxelinux asks for them, the files under
// pxelinux.cfg/ a client with this MAC and address tries: 01-<mac>, then
// the hex address with one digit fewer each time, then default.
func ConfigNames(mac string, a netip.Addr) ([]string, error) {
	h, err := HexIP(a)
	if err != nil {
		return nil, err
	}
	names := []string{"01-" + mac}
	for i := len(h); i > 0; i-- {
		names = append(names, h[:i])
	}
	return append(names, "default"), nil
}
