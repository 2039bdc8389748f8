package main

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"strings"

	"rambox/bundle"
	"rambox/pxe"
	"rambox/tftproot"
)

func runVerify(args []string) error {
	fs := newFlagSet("verify", "--key cosign.pub REF")
	key := fs.String("key", "cosign.pub", "cosign public `key`")
	allowTag := fs.Bool("allow-tag", false, "accept a ref without @sha256 digest")
	ref, err := parseRefArg(fs, args)
	if err != nil {
		return err
	}
	verifier, err := bundle.LoadVerifier(*key)
	if err != nil {
		return err
	}
	f, err := bundle.Fetch(context.Background(), ref, verifier, *allowTag)
	if err != nil {
		return err
	}
	ref.Digest = f.Manifest.Digest
	fmt.Printf("verified %s (profile %s)\n", ref.Pinned(), f.Info.Profile)
	return nil
}

func runPull(args []string) error {
	fs := newFlagSet("pull", "REF@sha256:HEX --key cosign.pub --tftp-root DIR [--inventory nodes.yaml]")
	key := fs.String("key", "cosign.pub", "cosign public `key`")
	root := fs.String("tftp-root", "", "TFTP root `directory` to lay the bundle out in")
	inventory := fs.String("inventory", "", "node inventory `file`: one pxelinux.cfg/<HEXIP> per node")
	withDefault := fs.Bool("default", false, "also write pxelinux.cfg/default (any client boots the bundle)")
	allowTag := fs.Bool("allow-tag", false, "accept a ref without @sha256 digest")
	var bootDirs multiFlag
	fs.Var(&bootDirs, "bootloader-dir", "`directory` holding pxelinux.0 and ldlinux.c32 (repeatable; default Debian's pxelinux/syslinux-common paths)")
	ref, err := parseRefArg(fs, args)
	if err != nil {
		return err
	}
	if *root == "" {
		return fmt.Errorf("--tftp-root is required")
	}
	verifier, err := bundle.LoadVerifier(*key)
	if err != nil {
		return err
	}
	o := tftproot.Options{BootloaderDirs: bootDirs}
	var inv *pxe.Inventory
	var nw *pxe.Network
	if *inventory != "" {
		if inv, nw, err = pxe.LoadInventory(*inventory); err != nil {
			return err
		}
	}
	// Everything is fetched and verified before the TFTP root is touched.
	f, err := bundle.Fetch(context.Background(), ref, verifier, *allowTag)
	if err != nil {
		return err
	}
	if inv != nil {
		if o.NodeConfigs, err = pxe.NodeConfigs(f.Info.KernelCmdline, inv, nw); err != nil {
			return err
		}
	}
	if *withDefault || inv == nil {
		o.DefaultConfig = pxe.PxelinuxConfig(f.Info.KernelCmdline)
	}
	dir, err := tftproot.Install(*root, f, o)
	if err != nil {
		return err
	}
	ref.Digest = f.Manifest.Digest
	fmt.Printf("%s -> %s (current)\n", ref.Pinned(), dir)
	if inv != nil {
		for _, n := range inv.Nodes {
			h, _ := pxe.HexIP(netip.MustParseAddr(n.IP))
			fmt.Printf("  %-16s %s  pxelinux.cfg/%s\n", n.Name, n.IP, h)
		}
	}
	return nil
}

func runRollback(args []string) error {
	fs := newFlagSet("rollback", "--tftp-root DIR")
	root := fs.String("tftp-root", "", "TFTP root `directory`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *root == "" {
		return fmt.Errorf("--tftp-root is required")
	}
	cur, err := tftproot.Rollback(*root)
	if err != nil {
		return err
	}
	fmt.Printf("current -> %s\n", cur)
	return nil
}

// parseRefArg parses flags around exactly one REF argument.
func parseRefArg(fs *flag.FlagSet, args []string) (bundle.Ref, error) {
	// Accept the ref before or after the flags.
	var refArg string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		refArg, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return bundle.Ref{}, errUsage
	}
	if refArg == "" && fs.NArg() == 1 {
		refArg = fs.Arg(0)
	} else if fs.NArg() != 0 || refArg == "" {
		fs.Usage()
		return bundle.Ref{}, errUsage
	}
	return bundle.ParseRef(refArg)
}
