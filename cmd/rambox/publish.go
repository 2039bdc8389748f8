package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"rambox/bundle"
)

// password is the signing key's password, from COSIGN_PASSWORD as cosign
// reads it (an empty password is allowed, as in cosign).
func password() []byte { return []byte(os.Getenv("COSIGN_PASSWORD")) }

func runKeygen(args []string) error {
	fs := newFlagSet("keygen", "[--dir DIR]")
	dir := fs.String("dir", ".", "`directory` for cosign.key and cosign.pub")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	key, pub, err := bundle.Keygen(*dir, password())
	if err != nil {
		return err
	}
	fmt.Printf("private key %s (encrypted with $COSIGN_PASSWORD)\npublic key  %s\n", key, pub)
	return nil
}

func runPublish(args []string) error {
	fs := newFlagSet("publish", "[--bundle DIR] [--to REGISTRY/REPO[:TAG] | oci:DIR[:TAG]] [--key cosign.key]")
	dir := fs.String("bundle", "artifacts", "bundle `directory` (rambox build --out)")
	to := fs.String("to", "oci:artifacts/oci:latest", "where to publish: REGISTRY/REPO[:TAG] or oci:DIR[:TAG]")
	keyPath := fs.String("key", "artifacts/cosign.key", "cosign private `key`; made (with its .pub) on first use")
	source := fs.String("source-url", "", "org.opencontainers.image.source (default: the git remote, if any)")
	revision := fs.String("revision", "", "org.opencontainers.image.revision (default: git HEAD, if any)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ref, err := bundle.ParseRef(*to)
	if err != nil {
		return err
	}
	if ref.Digest != "" {
		return fmt.Errorf("--to %s: a publish target names a repository and tag, not a digest", *to)
	}
	if _, err := os.Stat(*keyPath); errors.Is(err, os.ErrNotExist) {
		if _, _, err := bundle.Keygen(filepath.Dir(*keyPath), password()); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "rambox publish: made a new key pair %s and %s\n", *keyPath, strings.TrimSuffix(*keyPath, ".key")+".pub")
	}
	signer, err := bundle.LoadSigner(*keyPath, password())
	if err != nil {
		return err
	}
	info, _, err := bundle.ReadInfo(*dir)
	if err != nil {
		return err
	}
	meta := bundle.Meta{Source: orGit(*source, "remote", "get-url", "origin"), Revision: orGit(*revision, "rev-parse", "HEAD"), Version: info.Profile}
	target, err := ref.Open()
	if err != nil {
		return err
	}
	ctx := context.Background()
	desc, err := bundle.Push(ctx, target, *dir, meta)
	if err != nil {
		return err
	}
	if ref.Tag != "" {
		if err := target.Tag(ctx, desc, ref.Tag); err != nil {
			return fmt.Errorf("tagging %s: %w", ref, err)
		}
	}
	if _, err := bundle.Sign(ctx, target, desc, ref.Identity(), signer); err != nil {
		return err
	}
	ref.Digest = desc.Digest
	fmt.Println(ref.Pinned())
	return nil
}

// orGit returns v, or the output of git with args when v is empty.
func orGit(v string, args ...string) string {
	if v != "" {
		return v
	}
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
