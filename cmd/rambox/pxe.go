package main

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"

	"rambox/atomicfile"

	"rambox/pxe"
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
	if *out == "-" {
		return pxe.WriteDhcpdConf(os.Stdout, inv)
	}
	return atomicfile.Write(*out, 0o644, func(w io.Writer) error { return pxe.WriteDhcpdConf(w, inv) })
}
