package main

import (
	"fmt"
	"io"

	"rambox/pxe"
)

func runKeaConf(args []string) error {
	fs := newFlagSet("kea-conf", "--inventory nodes.yaml [--mode full|addresses] [--http-port N] [--interface IF]... [--lease-file FILE] [-o kea-dhcp4.conf]")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: rambox kea-conf --inventory nodes.yaml [--mode full|addresses] [--http-port N] [--interface IF]... [--lease-file FILE] [-o kea-dhcp4.conf]

Writes a kea-dhcp4 JSON config from a node inventory: the subnet and its
router, one reservation per node (hw-address, ip-address, hostname) and a
pool only when the inventory allows unknown clients. Check it with
kea-dhcp4 -t FILE.

Modes:
  full       Kea also hands out the boot: next-server, the PXE class
             (option 60, option 43) and the boot file by client
             architecture (option 93) and iPXE user class (option 77), by
             rambox serve's policy: TFTP loaders, then the node's iPXE
             script over HTTP. Run rambox serve with --dhcp off beside it.
  addresses  Kea hands out addresses only, with no boot options at all, so
             its offers do not compete with rambox serve --dhcp proxy,
             which gives the boot.

flags:
`)
		fs.PrintDefaults()
	}
	inventory := fs.String("inventory", "nodes.yaml", "node inventory `file` (YAML)")
	out := fs.String("o", "-", "output `file` (- for standard output)")
	o := pxe.KeaOptions{}
	fs.StringVar(&o.Mode, "mode", pxe.KeaFull, "`mode`: full (addresses and boot) or addresses (beside rambox serve --dhcp proxy)")
	httpPort := addHTTPPortFlag(fs)
	fs.Var((*multiFlag)(&o.Interfaces), "interface", "`interface` Kea listens on (repeatable; default every interface, \"*\")")
	fs.StringVar(&o.LeaseFile, "lease-file", "", "Kea's memfile lease `file` (default Kea's own)")
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
	return writeOut(*out, func(w io.Writer) error { return pxe.WriteKeaConf(w, inv, o) })
}
