package main

import (
	"fmt"
	"io"

	"rambox/pxe"
)

func runDnsmasqConf(args []string) error {
	fs := newFlagSet("dnsmasq-conf", "")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: rambox dnsmasq-conf --inventory nodes.yaml [--http-port N] [--interface IF] [--tftp-root DIR] [-o dnsmasq.conf]

Writes a dnsmasq config that makes dnsmasq a proxyDHCP server beside the
site's DHCP server (dhcp-range=SUBNET,proxy; no DNS, no addresses): PXE and
iPXE clients get the boot file by rambox serve's policy, by client
architecture (option 93), iPXE user class (option 77) and the node's boot
method. Clients not in the inventory are ignored unless it allows them.
Check it with dnsmasq --test --conf-file=FILE.

TFTP: by default the config has no TFTP server and names the inventory's
server address as the boot server: run rambox serve --dhcp off there, which
serves only verified bundles over TFTP and HTTP. With --tftp-root DIR,
dnsmasq serves TFTP itself from DIR (e.g. a rambox pull TFTP root, on the
inventory's server address); the iPXE script URLs still point at rambox
serve's HTTP.

flags:
`)
		fs.PrintDefaults()
	}
	inventory := fs.String("inventory", "nodes.yaml", "node inventory `file` (YAML)")
	out := fs.String("o", "-", "output `file` (- for standard output)")
	var o pxe.DnsmasqOptions
	httpPort := addHTTPPortFlag(fs)
	fs.StringVar(&o.Interface, "interface", "", "the `interface` dnsmasq answers on (default every interface)")
	fs.StringVar(&o.TFTPRoot, "tftp-root", "", "serve TFTP from this absolute `directory` in dnsmasq itself (default: no TFTP, rambox serve serves the files)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	inv, policy, err := inventoryPolicy(*inventory, *httpPort)
	if err != nil {
		return err
	}
	o.Policy = policy
	if err := o.Validate(); err != nil {
		return err
	}
	return writeOut(*out, func(w io.Writer) error { return pxe.WriteDnsmasqConf(w, inv, o) })
}
