package pxe

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"rambox/bundle"
)

// Inventory is a validated nodes.yaml: the boot server's network and the
// nodes it serves, parsed once into the types every caller uses.
type Inventory struct {
	Network Network
	Nodes   []Node
}

// Network is the DHCP/TFTP server and its subnet.
type Network struct {
	Server     netip.Addr   // next-server: serves TFTP (and DHCP)
	Router     netip.Addr   // default gateway; invalid when none
	Prefix     netip.Prefix // the subnet, masked
	Netmask    netip.Addr
	RangeFirst netip.Addr // the dynamic pool; both invalid when none
	RangeLast  netip.Addr
	// AllowUnknown lets clients not listed as nodes lease from the pool.
	AllowUnknown bool
}

// Node is one diskless box.
type Node struct {
	Name     string
	MAC      net.HardwareAddr // 6 bytes; String() is the lower-case form dhcpd and pxelinux use
	IP       netip.Addr
	Hostname string
	// StaticIP puts the seed's static `ip=client:server:gw:mask:host:eth0:off`
	// on the kernel command line instead of a second DHCP round.
	StaticIP bool
	Cmdline  string // extra kernel command line words
	// Boot is how the boot server starts the node: BootIPXE unless the
	// inventory says otherwise (BootGRUB for an arm64 node).
	Boot BootMethod
	// Arch is the node's architecture, the inventory's `arch` field:
	// which platform of a multi-arch bundle index it boots, and so which
	// boot chain. ArchAMD64 unless the inventory says otherwise.
	Arch string
}

// Node architectures: the OCI platforms bundles are published under.
const (
	ArchAMD64 = bundle.PlatformAMD64
	ArchARM64 = bundle.PlatformARM64
)

// Arches are every node architecture, in the order they are listed.
var Arches = []string{ArchAMD64, ArchARM64}

// BootMethod is a node's boot chain, the inventory's `boot` field.
type BootMethod string

const (
	// BootIPXE chains to iPXE, which fetches a script over HTTP.
	BootIPXE BootMethod = "ipxe"
	// BootPxelinux is the seed's chain: pxelinux.0 over TFTP all the way.
	BootPxelinux BootMethod = "pxelinux"
	// BootUKI boots the bundle's unified kernel image (rambox.efi) on
	// UEFI clients: loaded by the firmware itself (PXE over TFTP, or UEFI
	// HTTP boot), so that under Secure Boot the firmware checks its
	// signature, or chained from iPXE. BIOS clients boot as BootIPXE.
	// Under Secure Boot the UKI runs its own signed command line: the
	// node's hostname, static_ip and cmdline do not reach it.
	BootUKI BootMethod = "uki"
	// BootGRUB is the arm64 UEFI chain: the firmware loads GRUB's EFI
	// netboot image over TFTP, which reads the node's grub.cfg and loads
	// the bundle's Image and initramfs over TFTP. The only boot of an
	// arm64 node (Debian's iPXE and syslinux are x86-only).
	BootGRUB BootMethod = "grub"
)

// UnknownBoots are how clients not in the inventory boot: by iPXE, and
// arm64 UEFI ones (option 93 = 11) by GRUB, the one arm64 chain. A boot
// policy row serves unknown clients when its Boot is one of these; each
// architecture has rows for one of them only.
var UnknownBoots = []BootMethod{BootIPXE, BootGRUB}

// inventoryFile is nodes.yaml as written; validate turns it into an
// Inventory.
type inventoryFile struct {
	Server serverFile `yaml:"server"`
	Nodes  []nodeFile `yaml:"nodes"`
}

type serverFile struct {
	IP           string   `yaml:"ip"`      // next-server: serves TFTP (and DHCP)
	Subnet       string   `yaml:"subnet"`  // e.g. 192.168.24.0
	Netmask      string   `yaml:"netmask"` // e.g. 255.255.255.0
	Router       string   `yaml:"router"`  // default gateway, optional
	Range        []string `yaml:"range"`   // [first, last] of the dynamic pool, optional
	AllowUnknown bool     `yaml:"allow_unknown"`
}

type nodeFile struct {
	Name     string `yaml:"name"`
	MAC      string `yaml:"mac"`
	IP       string `yaml:"ip"`
	Hostname string `yaml:"hostname"`
	StaticIP bool   `yaml:"static_ip"`
	Cmdline  string `yaml:"cmdline"`
	Boot     string `yaml:"boot"`
	Arch     string `yaml:"arch"`
}

var macPattern = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)

// LoadInventory reads and validates a YAML inventory; unknown fields are
// errors, so a typo does not silently drop a setting.
func LoadInventory(file string) (*Inventory, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var f inventoryFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	inv, err := f.validate()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return inv, nil
}

// validate checks the inventory and reports every problem, each naming the
// node (or the server) and the field.
func (f *inventoryFile) validate() (*Inventory, error) {
	var errs []error
	bad := func(who, field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", who, field, fmt.Sprintf(format, a...)))
	}
	addr := func(who, field, v string, required bool) netip.Addr {
		if v == "" {
			if required {
				bad(who, field, "missing")
			}
			return netip.Addr{}
		}
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() {
			bad(who, field, "%q is not an IPv4 address", v)
			return netip.Addr{}
		}
		return a
	}
	s := f.Server
	nw := Network{
		Server:       addr("server", "ip", s.IP, true),
		Router:       addr("server", "router", s.Router, false),
		Netmask:      addr("server", "netmask", s.Netmask, true),
		AllowUnknown: s.AllowUnknown,
	}
	subnet := addr("server", "subnet", s.Subnet, true)
	if nw.Netmask.IsValid() {
		ones, bits := net.IPMask(nw.Netmask.AsSlice()).Size()
		if bits == 0 {
			bad("server", "netmask", "%s is not a contiguous netmask", nw.Netmask)
		} else if subnet.IsValid() {
			nw.Prefix = netip.PrefixFrom(subnet, ones)
			if nw.Prefix.Masked().Addr() != subnet {
				bad("server", "subnet", "%s has host bits set for netmask %s", subnet, nw.Netmask)
			}
		}
	}
	network, broadcast := nw.ends()
	// host refuses an address a host cannot have in the subnet.
	host := func(who, field string, a netip.Addr) {
		switch {
		case !a.IsValid() || !nw.Prefix.IsValid():
		case !nw.Prefix.Contains(a):
			bad(who, field, "%s is outside the subnet %s", a, nw.Prefix)
		case a == network:
			bad(who, field, "%s is the network address of %s", a, nw.Prefix)
		case a == broadcast:
			bad(who, field, "%s is the broadcast address of %s", a, nw.Prefix)
		}
	}
	host("server", "ip", nw.Server)
	host("server", "router", nw.Router)
	switch len(s.Range) {
	case 0:
		if nw.AllowUnknown {
			bad("server", "allow_unknown", "true, but there is no range for unknown clients to lease from")
		}
	case 2:
		nw.RangeFirst = addr("server", "range", s.Range[0], true)
		nw.RangeLast = addr("server", "range", s.Range[1], true)
		host("server", "range", nw.RangeFirst)
		host("server", "range", nw.RangeLast)
		if nw.RangeFirst.IsValid() && nw.RangeLast.IsValid() && nw.RangeLast.Less(nw.RangeFirst) {
			bad("server", "range", "%s comes after %s", nw.RangeFirst, nw.RangeLast)
		}
	default:
		bad("server", "range", "want [first, last], got %d addresses", len(s.Range))
	}
	for _, a := range [...]struct {
		field string
		a     netip.Addr
	}{{"ip", nw.Server}, {"router", nw.Router}} {
		if nw.InRange(a.a) {
			bad("server", a.field, "%s is inside the dynamic range %s-%s", a.a, nw.RangeFirst, nw.RangeLast)
		}
	}
	if len(f.Nodes) == 0 {
		errs = append(errs, errors.New("nodes: none listed"))
	}
	inv := &Inventory{Network: nw}
	seen := map[string]string{} // "field value" -> node
	for i, nf := range f.Nodes {
		n := Node{Name: nf.Name, Hostname: nf.Hostname, StaticIP: nf.StaticIP, Cmdline: nf.Cmdline}
		who := fmt.Sprintf("node %q", n.Name)
		if n.Name == "" {
			who = fmt.Sprintf("node #%d", i+1)
			bad(who, "name", "missing")
		} else if !hostnamePattern.MatchString(n.Name) {
			bad(who, "name", "%q is not a host name label", n.Name)
		}
		// Only the colon form is read: net.ParseMAC would also take
		// dashes, dots and 20-byte InfiniBand addresses.
		if mac := strings.ToLower(nf.MAC); !macPattern.MatchString(mac) {
			bad(who, "mac", "%q is not a MAC address like 08:00:07:26:c0:a5", nf.MAC)
		} else {
			n.MAC, _ = net.ParseMAC(mac)
		}
		n.IP = addr(who, "ip", nf.IP, true)
		host(who, "ip", n.IP)
		switch {
		case !n.IP.IsValid():
		case n.IP == nw.Server:
			bad(who, "ip", "%s is the server's own address", n.IP)
		case n.IP == nw.Router:
			bad(who, "ip", "%s is the router's address", n.IP)
		case nw.InRange(n.IP):
			bad(who, "ip", "%s is inside the dynamic range %s-%s, which dhcpd may lease to another client", n.IP, nw.RangeFirst, nw.RangeLast)
		}
		if n.Hostname != "" && !fqdnPattern.MatchString(n.Hostname) {
			bad(who, "hostname", "%q is not a host name", n.Hostname)
		}
		switch nf.Arch {
		case "", ArchAMD64:
			n.Arch = ArchAMD64
			switch m := BootMethod(nf.Boot); m {
			case "":
				n.Boot = BootIPXE
			case BootIPXE, BootPxelinux, BootUKI:
				n.Boot = m
			default:
				bad(who, "boot", "%q is not %q, %q or %q (for arch %s)", nf.Boot, BootPxelinux, BootIPXE, BootUKI, ArchAMD64)
			}
		case ArchARM64:
			n.Arch = ArchARM64
			switch m := BootMethod(nf.Boot); m {
			case "", BootGRUB:
				n.Boot = BootGRUB
			default:
				bad(who, "boot", "%q: an %s node boots only %q", nf.Boot, ArchARM64, BootGRUB)
			}
		default:
			bad(who, "arch", "%q is not %q or %q", nf.Arch, ArchAMD64, ArchARM64)
		}
		if strings.ContainsAny(n.Cmdline, "\n\"") {
			bad(who, "cmdline", "must be one line without double quotes")
		}
		for _, f := range [...]struct{ field, v string }{{"name", n.Name}, {"mac", n.MAC.String()}, {"ip", nf.IP}} {
			field, v := f.field, f.v
			if v == "" {
				continue
			}
			key := field + " " + v
			if prev, dup := seen[key]; dup {
				bad(who, field, "%s is also %s's", v, prev)
			} else {
				seen[key] = who
			}
		}
		inv.Nodes = append(inv.Nodes, n)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return inv, nil
}

// ends returns the subnet's network and broadcast addresses, which no host
// may have; both invalid for a /31 or /32, whose addresses are all hosts'
// (RFC 3021).
func (nw *Network) ends() (network, broadcast netip.Addr) {
	if !nw.Prefix.IsValid() || nw.Prefix.Bits() > 30 {
		return netip.Addr{}, netip.Addr{}
	}
	b := nw.Prefix.Masked().Addr().As4()
	network = netip.AddrFrom4(b)
	for i := nw.Prefix.Bits(); i < 32; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return network, netip.AddrFrom4(b)
}

// InRange reports whether a is in the dynamic pool.
func (nw *Network) InRange(a netip.Addr) bool {
	return a.IsValid() && nw.RangeFirst.IsValid() && nw.RangeLast.IsValid() &&
		!a.Less(nw.RangeFirst) && !nw.RangeLast.Less(a)
}

var (
	hostnamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	fqdnPattern     = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
)
