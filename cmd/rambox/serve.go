package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"rambox/boot"
	"rambox/ocibundle"
	"rambox/pull"
	"rambox/pxe"
	"rambox/serve"
)

func runServe(args []string) error {
	fs := newFlagSet("serve", "{--bundle REF@sha256:HEX --key cosign.pub --inventory nodes.yaml | --config serve.yaml} --state DIR [--interface IF] [--dhcp full|proxy|off] [--http ADDR] [--tftp ADDR]")
	var cfg serve.Config
	fs.StringVar(&cfg.ConfigFile, "config", "", "instead of --bundle, --key and --inventory, a serve.yaml `file`: node groups, each with its pinned bundle, trust and canaries (re-read on SIGHUP and when it changes)")
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
	if cfg.ConfigFile != "" {
		// serve.yaml holds each group's trust: the flags' defaults
		// (--key cosign.pub) do not apply; one given is refused by Validate.
		given := false
		fs.Visit(func(f *flag.Flag) { given = given || trustFlags[f.Name] })
		if !given {
			cfg.Trust = pull.Trust{}
		}
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

// trustFlags are the flags addTrustFlags adds, read off a scratch set.
var trustFlags = func() map[string]bool {
	fs := flag.NewFlagSet("trust", flag.ContinueOnError)
	addTrustFlags(fs, &pull.Trust{})
	names := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { names[f.Name] = true })
	return names
}()

// serveBoot boots one client as `rambox boot --serve-bundle` asks: this
// binary's `rambox serve` alone (DHCP full, TFTP, HTTP) in a private
// namespace carrying the inventory's server address, serving ref with
// trust; then the client on that namespace. Everything is torn down
// before it returns.
func serveBoot(ctx context.Context, o boot.Options, ref string, trust pull.Trust) (res *boot.Result, err error) {
	if o.Inventory == "" {
		return nil, fmt.Errorf("--serve-bundle: --inventory is required (the server's address and the nodes)")
	}
	inv, err := pxe.LoadInventory(o.Inventory)
	if err != nil {
		return nil, fmt.Errorf("--inventory %s: %w", o.Inventory, err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	state, err := os.MkdirTemp("", "rambox-serve-state")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(state)
	server := inv.Network.Server.String()
	ns, err := boot.NewNetns(ctx, boot.NetnsOptions{Server: netip.PrefixFrom(inv.Network.Server, inv.Network.Prefix.Bits()), Progress: o.Progress})
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, ns.Close()) }()
	argv := []string{self, "serve", "--bundle", ref, "--inventory", o.Inventory, "--state", state,
		"--interface", ns.Bridge(), "--dhcp", serve.DHCPFull, "--http", server + ":80", "--tftp", server + ":69"}
	argv = append(argv, trustArgs(trust)...)
	srv, err := ns.Start("rambox serve", argv...)
	if err != nil {
		return nil, err
	}
	if err := ns.WaitFor(ctx, srv, "msg=serving", time.Minute); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, srv.Output())
	}
	o.Netns, o.Net = ns, ""
	res, err = boot.Run(ctx, o)
	if err != nil {
		err = fmt.Errorf("%w\nrambox serve's log:\n%s", err, srv.Output())
	}
	return res, err
}

// trustArgs are the trust flags (addTrustFlags) that say t.
func trustArgs(t pull.Trust) []string {
	var args []string
	for _, f := range []struct{ flag, v string }{
		{"--key", t.Key}, {"--certificate-identity", t.CertIdentity}, {"--certificate-oidc-issuer", t.CertIssuer}, {"--signed-identity", t.SignedIdentity},
	} {
		if f.v != "" {
			args = append(args, f.flag, f.v)
		}
	}
	for _, k := range t.Keys {
		args = append(args, "--key", k)
	}
	if t.Threshold != 0 {
		args = append(args, "--threshold", strconv.Itoa(t.Threshold))
	}
	return args
}
