package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"

	"rambox/atomicfile"
	"rambox/pxe"
	"rambox/serve/dhcp"
)

func runHexIP(args []string) error {
	fs := newFlagSet("hexip", "ADDR|HOST")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	arg := fs.Arg(0)
	a, err := netip.ParseAddr(arg)
	if err != nil {
		// Not an address: resolve it as a host name, as the seed's hxip does.
		ips, lerr := net.LookupIP(arg)
		if lerr != nil {
			return fmt.Errorf("%q is neither an IPv4 address nor a resolvable host: %w", arg, lerr)
		}
		for _, ip := range ips {
			if v4 := ip.To4(); v4 != nil {
				a = netip.AddrFrom4([4]byte(v4))
				break
			}
		}
		if !a.IsValid() {
			return fmt.Errorf("host %q has no IPv4 address", arg)
		}
	}
	h, err := pxe.HexIP(a)
	if err != nil {
		return err
	}
	fmt.Println(h)
	return nil
}

func runDhcpdConf(args []string) error {
	fs := newFlagSet("dhcpd-conf", "--inventory nodes.yaml [-o dhcpd.conf]")
	inventory := fs.String("inventory", "nodes.yaml", "node inventory `file` (YAML)")
	out := fs.String("o", "-", "output `file` (- for standard output)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	inv, err := pxe.LoadInventory(*inventory)
	if err != nil {
		return err
	}
	return writeOut(*out, func(w io.Writer) error { return pxe.WriteDhcpdConf(w, inv) })
}

// writeOut writes with write to file (atomically: whole or not at all),
// or to standard output for "-": the -o of the DHCP config commands.
func writeOut(file string, write func(io.Writer) error) error {
	if file == "-" {
		return write(os.Stdout)
	}
	return atomicfile.Write(file, 0o644, write)
}

// addHTTPPortFlag adds --http-port: where serve's HTTP listens, for the
// iPXE script URLs a generated DHCP config names.
func addHTTPPortFlag(fs *flag.FlagSet) *int {
	return fs.Int("http-port", 80, "the `port` rambox serve's HTTP listens on (its --http), for the iPXE script URLs")
}

// inventoryPolicy loads the inventory and serve's boot file policy for
// it, with script URLs on httpPort.
func inventoryPolicy(file string, httpPort int) (*pxe.Inventory, pxe.BootPolicy, error) {
	if httpPort < 1 || httpPort > 65535 {
		return nil, pxe.BootPolicy{}, fmt.Errorf("--http-port: %d is not a port", httpPort)
	}
	inv, err := pxe.LoadInventory(file)
	if err != nil {
		return nil, pxe.BootPolicy{}, err
	}
	return inv, dhcp.Policy(inv.Network.Server, httpPort), nil
}
