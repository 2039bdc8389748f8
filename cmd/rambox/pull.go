package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"rambox/ocibundle"
	"rambox/pull"
	"rambox/tftproot"
)

func addTrustFlags(fs *flag.FlagSet, t *pull.Trust) {
	t.Key = "cosign.pub"
	fs.Var(&keysFlag{t: t}, "key", "cosign public `key`; repeat it to require --threshold of several keys")
	fs.IntVar(&t.Threshold, "threshold", 0, "with several --key: how many of them must have signed (default all)")
	fs.StringVar(&t.CertIdentity, "certificate-identity", "", "trust keyless signatures by this `identity` (checked by the cosign CLI) instead of --key")
	fs.StringVar(&t.CertIssuer, "certificate-oidc-issuer", "", "the OIDC `issuer` of --certificate-identity")
	fs.StringVar(&t.SignedIdentity, "signed-identity", "", "the `repository` signatures must name, when pulling from a mirror of it (default: the one pulled from)")
}

// keysFlag is --key: once, the one key trusted (Trust.Key, as it always
// was); again, the keys of a k-of-n policy (Trust.Keys).
type keysFlag struct {
	t   *pull.Trust
	set bool // given at all: the first --key replaces the default
}

func (f *keysFlag) String() string {
	if f == nil || f.t == nil {
		return ""
	}
	if len(f.t.Keys) > 0 {
		return strings.Join(f.t.Keys, ",")
	}
	return f.t.Key
}

func (f *keysFlag) Set(v string) error {
	switch {
	case !f.set:
		f.t.Key, f.set = v, true
	case len(f.t.Keys) == 0:
		f.t.Keys, f.t.Key = []string{f.t.Key, v}, ""
	default:
		f.t.Keys = append(f.t.Keys, v)
	}
	return nil
}

func addVerifyFlags(fs *flag.FlagSet, o *pull.VerifyOptions) {
	addTrustFlags(fs, &o.Trust)
	fs.BoolVar(&o.AllowTag, "allow-tag", false, "accept a ref without @sha256 digest")
	fs.StringVar(&o.Arch, "arch", ocibundle.DefaultPlatformArch, "platform `architecture` (amd64, arm64): the bundle picked from a multi-arch index, and what a single bundle must be")
}

func runVerify(args []string) error {
	fs := newFlagSet("verify", "--key cosign.pub REF [--attachments DIR]")
	var o pull.VerifyOptions
	addVerifyFlags(fs, &o)
	attachDir := fs.String("attachments", "", "write the bundle's verified SBOM and provenance into this `directory`")
	var err error
	if o.Ref, err = parseRefArg(fs, args); err != nil {
		return err
	}
	v, err := pull.Verify(context.Background(), o)
	if err != nil {
		return err
	}
	fmt.Printf("verified %s (profile %s)\n", v.Ref, v.Bundle.Info.Profile)
	if ix := v.Bundle.Index; ix.Digest != "" {
		fmt.Printf("  picked from index %s\n", ix.Digest)
	}
	for _, a := range v.Attached {
		fmt.Printf("  attached %s %s (%s)\n", a.Name, a.Manifest.Digest, a.ArtifactType)
	}
	for _, d := range v.Ignored {
		fmt.Printf("  ignored  %s (%s: not a rambox attachment, not checked)\n", d.Digest, d.ArtifactType)
	}
	if *attachDir == "" {
		return nil
	}
	return pull.WriteAttachments(*attachDir, v.Attached)
}

func runPull(args []string) error {
	fs := newFlagSet("pull", "REF@sha256:HEX --key cosign.pub --tftp-root DIR [--inventory nodes.yaml]")
	var o pull.Options
	addVerifyFlags(fs, &o.VerifyOptions)
	fs.StringVar(&o.Root, "tftp-root", "", "TFTP root `directory` to lay the bundle out in")
	fs.StringVar(&o.Inventory, "inventory", "", "node inventory `file`: one pxelinux.cfg/<HEXIP> per node")
	fs.BoolVar(&o.Default, "default", false, "also write pxelinux.cfg/default (any client boots the bundle)")
	fs.Var((*multiFlag)(&o.BootloaderDirs), "bootloader-dir", "`directory` holding pxelinux.0 and ldlinux.c32 (repeatable; default Debian's pxelinux/syslinux-common paths)")
	var err error
	if o.Ref, err = parseRefArg(fs, args); err != nil {
		return err
	}
	res, err := pull.Pull(context.Background(), o)
	if err != nil {
		return err
	}
	fmt.Printf("%s -> %s (current)\n", res.Ref, res.Dir)
	if res.Index != "" {
		fmt.Printf("  picked from index %s\n", res.Index)
	}
	for _, n := range res.Nodes {
		fmt.Printf("  %-16s %s  %s/%s\n", n.Name, n.IP, tftproot.ConfigDir, n.Config)
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
// stand anywhere among them.
func parseRefArg(fs *flag.FlagSet, args []string) (ocibundle.Ref, error) {
	words, err := parseWords(fs, args, 1)
	if err != nil {
		return ocibundle.Ref{}, err
	}
	return ocibundle.ParseRef(words[0])
}

// parseWords parses flags around exactly n arguments, which may stand
// anywhere among them: the flag package stops at the first non-flag, so
// parsing resumes after each one.
func parseWords(fs *flag.FlagSet, args []string, n int) ([]string, error) {
	var words []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		words = append(words, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(words) != n {
		fs.Usage()
		return nil, errUsage
	}
	return words, nil
}
