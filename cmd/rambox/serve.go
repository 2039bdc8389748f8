package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"rambox/ocibundle"
	"rambox/serve"
)

func runServe(args []string) error {
	fs := newFlagSet("serve", "--bundle REF@sha256:HEX --key cosign.pub --inventory nodes.yaml --state DIR [--interface IF] [--dhcp full|proxy|off] [--http ADDR] [--tftp ADDR]")
	var cfg serve.Config
	bundle := fs.String("bundle", "", "the bundle to serve, pinned: `REF`@sha256:HEX or oci:DIR@sha256:HEX")
	fs.StringVar(&cfg.BundleFile, "bundle-file", "", "instead of --bundle, a `file` holding the pinned ref: re-read on SIGHUP, a new ref there switches the served bundle once it verifies")
	addTrustFlags(fs, &cfg.Trust)
	fs.StringVar(&cfg.Inventory, "inventory", "", "node inventory `file` (re-read on SIGHUP)")
	fs.StringVar(&cfg.State, "state", "", "serve's own `directory`: its lock and the last good bundle")
	fs.StringVar(&cfg.Interface, "interface", "", "the network `interface` DHCP answers on")
	fs.StringVar(&cfg.DHCP, "dhcp", serve.DHCPFull, "DHCP `mode`: full (addresses and boot files), proxy (boot files beside another DHCP server) or off")
	fs.StringVar(&cfg.HTTPAddr, "http", ":80", "HTTP listen `address` (iPXE scripts, kernels, initramfs)")
	fs.StringVar(&cfg.TFTPAddr, "tftp", ":69", "TFTP listen `address`")
	fs.Var((*multiFlag)(&cfg.LoaderDirs), "bootloader-dir", "`directory` holding the boot loaders (repeatable; default Debian's pxelinux, syslinux-common and ipxe paths)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *bundle != "" {
		ref, err := ocibundle.ParseRef(*bundle)
		if err != nil {
			return fmt.Errorf("--bundle: %w", err)
		}
		cfg.Bundle = ref
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return serve.Run(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, nil)))
}
