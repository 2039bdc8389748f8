package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"rambox/atomicfile"
	"rambox/bundle"
	"rambox/pxe"
	"rambox/tftproot"
)

// trustFlags are how a boot server says which signatures it trusts: a
// cosign public key, or a keyless signer's identity and OIDC issuer.
type trustFlags struct{ key, identity, issuer *string }

func addTrustFlags(fs *flag.FlagSet) trustFlags {
	return trustFlags{
		key:      fs.String("key", "cosign.pub", "cosign public `key`"),
		identity: fs.String("certificate-identity", "", "trust keyless signatures by this `identity` (checked by the cosign CLI) instead of --key"),
		issuer:   fs.String("certificate-oidc-issuer", "", "the OIDC `issuer` of --certificate-identity"),
	}
}

func (t trustFlags) check(ref bundle.Ref) (bundle.SignatureCheck, error) {
	if *t.identity != "" || *t.issuer != "" {
		if *t.identity == "" || *t.issuer == "" {
			return nil, fmt.Errorf("--certificate-identity and --certificate-oidc-issuer go together")
		}
		return func(ctx context.Context, _ oras.ReadOnlyTarget, subject ocispec.Descriptor) error {
			return cosignVerifyKeyless(ctx, bundle.Ref{Layout: ref.Layout, Repo: ref.Repo, Digest: subject.Digest}, *t.identity, *t.issuer)
		}, nil
	}
	verifier, err := bundle.LoadVerifier(*t.key)
	if err != nil {
		return nil, err
	}
	return bundle.KeyCheck(verifier), nil
}

func runVerify(args []string) error {
	fs := newFlagSet("verify", "--key cosign.pub REF [--attachments DIR]")
	trust := addTrustFlags(fs)
	allowTag := fs.Bool("allow-tag", false, "accept a ref without @sha256 digest")
	attachDir := fs.String("attachments", "", "write the bundle's verified SBOM and provenance into this `directory`")
	ref, err := parseRefArg(fs, args)
	if err != nil {
		return err
	}
	check, err := trust.check(ref)
	if err != nil {
		return err
	}
	ctx := context.Background()
	f, err := bundle.Fetch(ctx, ref, check, *allowTag)
	if err != nil {
		return err
	}
	target, err := ref.Open()
	if err != nil {
		return err
	}
	attached, err := bundle.Attachments(ctx, target, f.Manifest, "", check)
	if err != nil {
		return err
	}
	ref.Digest = f.Manifest.Digest
	fmt.Printf("verified %s (profile %s)\n", ref.Pinned(), f.Info.Profile)
	for _, a := range attached {
		fmt.Printf("  attached %s %s (%s)\n", a.Name, a.Manifest.Digest, a.ArtifactType)
	}
	if *attachDir == "" {
		return nil
	}
	if err := os.MkdirAll(*attachDir, 0o755); err != nil {
		return err
	}
	for _, a := range attached {
		if a.Name != filepath.Base(a.Name) || a.Name == "" || a.Name == "." || a.Name == ".." {
			return fmt.Errorf("referrer %s: unsafe file name %q", a.Manifest.Digest, a.Name)
		}
		if err := atomicfile.Write(filepath.Join(*attachDir, a.Name), 0o644, func(w io.Writer) error { _, err := w.Write(a.Content); return err }); err != nil {
			return err
		}
	}
	return nil
}

func runPull(args []string) error {
	fs := newFlagSet("pull", "REF@sha256:HEX --key cosign.pub --tftp-root DIR [--inventory nodes.yaml]")
	trust := addTrustFlags(fs)
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
	check, err := trust.check(ref)
	if err != nil {
		return err
	}
	o := tftproot.Options{BootloaderDirs: bootDirs}
	var inv *pxe.Inventory
	if *inventory != "" {
		if inv, err = pxe.LoadInventory(*inventory); err != nil {
			return err
		}
	}
	// Everything is fetched and verified before the TFTP root is touched.
	f, err := bundle.Fetch(context.Background(), ref, check, *allowTag)
	if err != nil {
		return err
	}
	if inv != nil {
		if o.NodeConfigs, err = pxe.NodeConfigs(f.Info.KernelCmdline, inv); err != nil {
			return err
		}
	}
	if *withDefault || inv == nil {
		if o.DefaultConfig, err = pxe.PxelinuxConfig(f.Info.KernelCmdline); err != nil {
			return fmt.Errorf("%s: %w", ref, err)
		}
	}
	dir, err := tftproot.Install(*root, f, o)
	if err != nil {
		return err
	}
	ref.Digest = f.Manifest.Digest
	fmt.Printf("%s -> %s (current)\n", ref.Pinned(), dir)
	if inv != nil {
		for _, n := range inv.Nodes {
			h, _ := pxe.HexIP(n.IP)
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

// parseRefArg parses flags around exactly one REF argument, which may
// stand anywhere among them: the flag package stops at the first non-flag,
// so parsing resumes after each one.
func parseRefArg(fs *flag.FlagSet, args []string) (bundle.Ref, error) {
	var words []string
	for {
		if err := fs.Parse(args); err != nil {
			return bundle.Ref{}, errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		words = append(words, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(words) != 1 {
		fs.Usage()
		return bundle.Ref{}, errUsage
	}
	return bundle.ParseRef(words[0])
}
