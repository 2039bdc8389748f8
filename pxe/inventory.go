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
)

// Inventory is nodes.yaml: the boot server's network and the nodes it
// serves.
type Inventory struct {
	Server Server `yaml:"server"`
	Nodes  []Node `yaml:"nodes"`
}

// Server is the DHCP/TFTP server and its subnet.
type Server struct {
	IP           string   `yaml:"ip"`      // next-server: serves TFTP (and DHCP)
	Subnet       string   `yaml:"subnet"`  // e.g. 192.168.24.0
	Netmask      string   `yaml:"netmask"` // e.g. 255.255.255.0
	Router       string   `yaml:"router"`  // default gateway, optional
	Range        []string `yaml:"range"`   // [first, last] of the dynamic pool, optional
	AllowUnknown bool     `yaml:"allow_unknown"`
}

// Node is one diskless box.
type Node struct {
	Name     string `yaml:"name"`
	MAC      string `yaml:"mac"`
	IP       string `yaml:"ip"`
	Hostname string `yaml:"hostname"`
	// StaticIP puts the seed's static `ip=client:server:gw:mask:host:eth0:off`
	// on the kernel command line instead of a second DHCP round.
	StaticIP bool   `yaml:"static_ip"`
	Cmdline  string `yaml:"cmdline"` // extra kernel command line words
}

// Network is a validated inventory's server side, parsed.
type Network struct {
	Server, Router netip.Addr
	Prefix         netip.Prefix
	Netmask        netip.Addr
	RangeFirst     netip.Addr
	RangeLast      netip.Addr
}

var macPattern = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)

// LoadInventory reads and validates a YAML inventory; unknown fields are
// errors, so a typo does not silently drop a setting.
func LoadInventory(file string) (*Inventory, *Network, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var inv Inventory
	if err := dec.Decode(&inv); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	nw, err := inv.Validate()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	return &inv, nw, nil
}

// Validate checks the inventory and reports every problem, each naming the
// node (or the server) and the field. MACs are normalized to lower case.
func (inv *Inventory) Validate() (*Network, error) {
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
	s := inv.Server
	nw := &Network{
		Server:  addr("server", "ip", s.IP, true),
		Router:  addr("server", "router", s.Router, false),
		Netmask: addr("server", "netmask", s.Netmask, true),
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
	inSubnet := func(who, field string, a netip.Addr) {
		if a.IsValid() && nw.Prefix.IsValid() && !nw.Prefix.Contains(a) {
			bad(who, field, "%s is outside the subnet %s", a, nw.Prefix)
		}
	}
	inSubnet("server", "ip", nw.Server)
	inSubnet("server", "router", nw.Router)
	switch len(s.Range) {
	case 0:
	case 2:
		nw.RangeFirst = addr("server", "range", s.Range[0], true)
		nw.RangeLast = addr("server", "range", s.Range[1], true)
		inSubnet("server", "range", nw.RangeFirst)
		inSubnet("server", "range", nw.RangeLast)
		if nw.RangeFirst.IsValid() && nw.RangeLast.IsValid() && nw.RangeLast.Less(nw.RangeFirst) {
			bad("server", "range", "%s comes after %s", nw.RangeFirst, nw.RangeLast)
		}
	default:
		bad("server", "range", "want [first, last], got %d addresses", len(s.Range))
	}
	if len(inv.Nodes) == 0 {
		errs = append(errs, errors.New("nodes: none listed"))
	}
	seen := map[string]string{} // "field value" -> node
	for i := range inv.Nodes {
		n := &inv.Nodes[i]
		who := fmt.Sprintf("node %q", n.Name)
		if n.Name == "" {
			who = fmt.Sprintf("node #%d", i+1)
			bad(who, "name", "missing")
		} else if !hostnamePattern.MatchString(n.Name) {
			bad(who, "name", "%q is not a host name label", n.Name)
		}
		n.MAC = strings.ToLower(n.MAC)
		if !macPattern.MatchString(n.MAC) {
			bad(who, "mac", "%q is not a MAC address like 08:00:07:26:c0:a5", n.MAC)
		}
		ip := addr(who, "ip", n.IP, true)
		inSubnet(who, "ip", ip)
		if ip.IsValid() && ip == nw.Server {
			bad(who, "ip", "%s is the server's own address", ip)
		}
		if n.Hostname != "" && !fqdnPattern.MatchString(n.Hostname) {
			bad(who, "hostname", "%q is not a host name", n.Hostname)
		}
		if strings.ContainsAny(n.Cmdline, "\n\"") {
			bad(who, "cmdline", "must be one line without double quotes")
		}
		for _, f := range [...]struct{ field, v string }{{"name", n.Name}, {"mac", n.MAC}, {"ip", n.IP}} {
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
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return nw, nil
}

var (
	hostnamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	fqdnPattern     = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
)
