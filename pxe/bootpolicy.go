package pxe

import "net"

// BootPolicy is the boot file policy as the config generators for other
// DHCP servers (kea-conf, dnsmasq-conf) read it. Its owner is
// serve/dhcp (policy.go), which hands it over through dhcp.Policy: this
// package cannot import serve/dhcp (that package imports this one), so the
// rows come in as a value instead of being copied here.
type BootPolicy struct {
	Rules []BootRule
	// ScriptURL is the HTTP URL of the iPXE script of the node with MAC
	// mac; with mac nil, the URL for any client, which iPXE expands to
	// its own (unknown clients).
	ScriptURL func(mac net.HardwareAddr) string
	// UKIName is the TFTP name of the UKI of the node with MAC mac.
	UKIName func(mac net.HardwareAddr) string
}

// BootRule is one row: what a client of these architectures, iPXE or not,
// whose node boots by Boot, is told to load.
type BootRule struct {
	// Arches are the client architectures (DHCP option 93, RFC 4578) the
	// row covers. 0 (x86 BIOS) also stands for a client without option 93.
	Arches []uint16
	IPXE   bool // the client is already iPXE (user class "iPXE", option 77)
	Boot   BootMethod
	// File is the file to fetch over TFTP from the server; empty when
	// Script is set.
	File string
	// Script: the file is the node's iPXE script (ScriptURL).
	Script bool
	// UKI: the file is the node's UKI over TFTP (UKIName).
	UKI bool
}

// fileFor is the boot file r gives the node with MAC mac (nil: an unknown
// client).
func (p *BootPolicy) fileFor(r BootRule, mac net.HardwareAddr) string {
	if r.Script {
		return p.ScriptURL(mac)
	}
	if r.UKI {
		return p.UKIName(mac)
	}
	return r.File
}
