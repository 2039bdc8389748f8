package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"rambox/bundle"
)

// Keyless signing and verification go through the cosign CLI: it owns the
// OIDC token exchange with Fulcio, the Rekor transparency log entry and
// the Sigstore trust root, none of which rambox should re-implement.

// cosignBinary is the cosign CLI: $RAMBOX_COSIGN, else cosign on PATH.
func cosignBinary() string {
	if c := os.Getenv("RAMBOX_COSIGN"); c != "" {
		return c
	}
	return "cosign"
}

// cosignKeyless signs the manifest d in ref's repository keyless.
func cosignKeyless(ctx context.Context, ref bundle.Ref, d ocispec.Descriptor) error {
	pinned := bundle.Ref{Repo: ref.Repo, Digest: d.Digest}
	return runCosign(ctx, "sign", "--yes", pinned.String())
}

// cosignVerifyKeyless checks that the manifest ref pins carries a keyless
// signature by identity, issued by issuer.
func cosignVerifyKeyless(ctx context.Context, ref bundle.Ref, identity, issuer string) error {
	if ref.Layout != "" {
		return fmt.Errorf("--certificate-identity: keyless signatures are checked in a registry, not in the OCI layout %s", ref.Layout)
	}
	return runCosign(ctx, "verify", "--certificate-identity", identity, "--certificate-oidc-issuer", issuer, ref.Pinned().String())
}

func runCosign(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, cosignBinary(), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cosign %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
