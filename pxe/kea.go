package pxe

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
)

// Kea config modes: what the generated kea-dhcp4 config hands out.
const (
	// KeaFull: addresses and the PXE boot (classes by architecture and
	// iPXE, next-server); rambox serve runs with --dhcp off beside it.
	KeaFull = "full"
	// KeaAddresses: addresses only, no boot options at all; rambox serve
	// --dhcp proxy gives the boot. A boot file in Kea's offers would
	// compete with serve's proxy offers, so there is none.
	KeaAddresses = "addresses"
)

// KeaOptions says what WriteKeaConf writes.
type KeaOptions struct {
	Mode       string   // KeaFull or KeaAddresses
	Interfaces []string // Kea's interfaces-config; none means every interface ("*")
	LeaseFile  string   // the memfile lease file; empty for Kea's default
	Policy     BootPolicy
}

// Validate reports every problem with o.
func (o *KeaOptions) Validate() error {
	var errs []error
	switch o.Mode {
	case KeaFull:
		if len(o.Policy.Rules) == 0 || o.Policy.ScriptURL == nil {
			errs = append(errs, errors.New("kea: boot policy: empty, but mode full hands out boot files"))
		}
	case KeaAddresses:
	default:
		errs = append(errs, fmt.Errorf("kea: mode: %q is neither %q nor %q", o.Mode, KeaFull, KeaAddresses))
	}
	for _, i := range o.Interfaces {
		if i == "" || strings.ContainsAny(i, " \t\n\"") {
			errs = append(errs, fmt.Errorf("kea: interface: %q is not an interface name", i))
		}
	}
	return errors.Join(errs...)
}

// The kea-dhcp4 config, as much of it as rambox writes. Struct fields keep
// the output's order stable and readable.
type (
	keaConfig struct {
		Dhcp4 keaDhcp4 `json:"Dhcp4"`
	}
	keaDhcp4 struct {
		Interfaces    keaInterfaces    `json:"interfaces-config"`
		LeaseDatabase keaLeaseDatabase `json:"lease-database"`
		ValidLifetime int              `json:"valid-lifetime"`
		HostIDs       []string         `json:"host-reservation-identifiers"`
		OptionDef     []keaOptionDef   `json:"option-def,omitempty"`
		ClientClasses []keaClass       `json:"client-classes,omitempty"`
		Subnets       []keaSubnet      `json:"subnet4"`
	}
	keaInterfaces struct {
		Interfaces []string `json:"interfaces"`
	}
	keaLeaseDatabase struct {
		Type    string `json:"type"`
		Persist bool   `json:"persist"`
		Name    string `json:"name,omitempty"`
	}
	keaOptionDef struct {
		Name  string `json:"name"`
		Code  int    `json:"code"`
		Space string `json:"space"`
		Type  string `json:"type"`
	}
	keaOption struct {
		Name  string `json:"name,omitempty"`
		Space string `json:"space,omitempty"`
		Data  string `json:"data,omitempty"`
	}
	keaClass struct {
		Name         string      `json:"name"`
		Test         string      `json:"test"`
		NextServer   string      `json:"next-server,omitempty"`
		BootFileName string      `json:"boot-file-name,omitempty"`
		OptionData   []keaOption `json:"option-data,omitempty"`
	}
	keaSubnet struct {
		ID           int              `json:"id"`
		Subnet       string           `json:"subnet"`
		NextServer   string           `json:"next-server,omitempty"`
		OptionData   []keaOption      `json:"option-data,omitempty"`
		Pools        []keaPool        `json:"pools,omitempty"`
		Reservations []keaReservation `json:"reservations"`
	}
	keaPool struct {
		Pool string `json:"pool"`
	}
	keaReservation struct {
		HWAddress string `json:"hw-address"`
		IPAddress string `json:"ip-address"`
		Hostname  string `json:"hostname,omitempty"`
	}
)

// The PXE vendor sub-option Kea encapsulates in option 43: discovery
// control 8 = boot the offered file, no boot server discovery (what serve's
// pxevendor.go and dnsmasq answer).
const keaPXESpace = "vendor-encapsulated-options-space"

// Kea expressions for the client tests.
const (
	keaIsPXE  = "substring(option[60].hex,0,9) == 'PXEClient'"
	keaIsIPXE = "option[77].hex == 'iPXE'"
)

// WriteKeaConf renders a kea-dhcp4 JSON config for a validated inventory:
// the subnet with its router, a pool only when unknown clients may lease
// (as WriteDhcpdConf), one reservation per node, and in mode full the PXE
// classes: for each node and each policy row of its boot method, a class
// matching the node's MAC, its architecture (option 93) and whether it is
// iPXE (user class, option 77), naming the row's boot file or the node's
// script URL. A class per node and not a boot-file-name in the
// reservation: Kea lets a reservation's fixed fields override every
// class's, which would hand a BIOS PXE ROM the HTTP script meant for iPXE.
func WriteKeaConf(w io.Writer, inv *Inventory, o KeaOptions) error {
	if err := o.Validate(); err != nil {
		return err
	}
	nw := &inv.Network
	d := keaDhcp4{
		Interfaces:    keaInterfaces{Interfaces: o.Interfaces},
		LeaseDatabase: keaLeaseDatabase{Type: "memfile", Persist: true, Name: o.LeaseFile},
		ValidLifetime: 86400, // a day, as dhcpd.conf and serve give
		HostIDs:       []string{"hw-address"},
	}
	if len(d.Interfaces.Interfaces) == 0 {
		d.Interfaces.Interfaces = []string{"*"}
	}
	sn := keaSubnet{ID: 1, Subnet: nw.Prefix.Masked().String(), Reservations: []keaReservation{}}
	if nw.Router.IsValid() {
		sn.OptionData = append(sn.OptionData, keaOption{Name: "routers", Data: nw.Router.String()})
	}
	if nw.AllowUnknown {
		sn.Pools = []keaPool{{Pool: nw.RangeFirst.String() + " - " + nw.RangeLast.String()}}
	}
	for _, n := range inv.Nodes {
		sn.Reservations = append(sn.Reservations, keaReservation{HWAddress: n.MAC.String(), IPAddress: n.IP.String(), Hostname: n.Hostname})
	}
	if o.Mode == KeaFull {
		// Every client learns the boot server, the kernel's own DHCP
		// round (ip=dhcp) included, as in dhcpd.conf.
		sn.NextServer = nw.Server.String()
		d.OptionDef = []keaOptionDef{{Name: "pxe-discovery-control", Code: 6, Space: keaPXESpace, Type: "uint8"}}
		d.ClientClasses = keaClasses(inv, &o.Policy)
	}
	d.Subnets = []keaSubnet{sn}
	b, err := json.MarshalIndent(keaConfig{Dhcp4: d}, "", "  ")
	if err != nil {
		return fmt.Errorf("kea config: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("kea config: %w", err)
	}
	return nil
}

// keaClasses are mode full's classes: the PXE answer (option 60 echoed,
// option 43), then the boot file classes, nodes first, then unknown
// clients when the inventory allows them.
func keaClasses(inv *Inventory, p *BootPolicy) []keaClass {
	server := inv.Network.Server.String()
	classes := []keaClass{{
		Name: "rambox-pxe",
		Test: keaIsPXE,
		OptionData: []keaOption{
			{Name: "vendor-class-identifier", Data: "PXEClient"},
			{Name: "vendor-encapsulated-options"},
			{Name: "pxe-discovery-control", Space: keaPXESpace, Data: "8"},
		},
	}}
	add := func(who, match string, boot BootMethod, mac net.HardwareAddr) {
		for _, r := range p.Rules {
			if r.Boot != boot {
				continue
			}
			classes = append(classes, keaClass{
				Name:         fmt.Sprintf("rambox-%s-%s", who, keaRuleName(r)),
				Test:         match + " and " + keaArchTest(r.Arches) + " and " + keaClientTest(r.IPXE),
				NextServer:   server,
				BootFileName: p.fileFor(r, mac),
			})
		}
	}
	for _, n := range inv.Nodes {
		add("node-"+n.Name, "pkt4.mac == 0x"+hex.EncodeToString(n.MAC), n.Boot, n.MAC)
	}
	if inv.Network.AllowUnknown {
		// UNKNOWN: no reservation; Kea evaluates such a class after
		// the host lookup. Unknown clients boot as in serve.
		for _, boot := range UnknownBoots {
			add("unknown", "member('UNKNOWN')", boot, nil)
		}
	}
	return classes
}

// keaRuleName names a row in a class name: arch0-pxe, arch7-9-ipxe.
func keaRuleName(r BootRule) string {
	s := "arch"
	for i, a := range r.Arches {
		if i > 0 {
			s += "-"
		}
		s += fmt.Sprint(a)
	}
	if r.IPXE {
		return s + "-ipxe"
	}
	return s + "-pxe"
}

// keaArchTest matches option 93's first architecture against arches; 0
// (BIOS) also matches a client without option 93, as serve reads it.
func keaArchTest(arches []uint16) string {
	var alts []string
	for _, a := range arches {
		if a == 0 {
			alts = append(alts, "not option[93].exists")
		}
		alts = append(alts, fmt.Sprintf("substring(option[93].hex,0,2) == 0x%04x", a))
	}
	return "(" + strings.Join(alts, " or ") + ")"
}

// keaClientTest tells an iPXE client (which also says PXEClient) from PXE
// firmware.
func keaClientTest(ipxe bool) string {
	if ipxe {
		return keaIsIPXE
	}
	return "(" + keaIsPXE + " and not (" + keaIsIPXE + "))"
}
