package signing

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"rambox/ocibundle"
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

// KeylessSigner signs keyless with the cosign CLI, which stores the
// signature in the registry itself.
type KeylessSigner struct{}

// Sign signs the manifest subject in ref's repository.
func (KeylessSigner) Sign(ctx context.Context, _ oras.Target, ref ocibundle.Ref, subject ocispec.Descriptor) error {
	if ref.Layout != "" {
		return fmt.Errorf("keyless: cosign signs keyless in a registry, not in the OCI layout %s", ref.Layout)
	}
	return runCosign(ctx, "sign", "--yes", ocibundle.Ref{Repo: ref.Repo, Digest: subject.Digest}.String())
}

// KeylessVerifier trusts keyless signatures by Identity, issued by Issuer,
// checked by the cosign CLI in Ref's repository, whose payloads all name
// SignedIdentity (cosign verify checks the digest, not the repository).
type KeylessVerifier struct {
	Ref              ocibundle.Ref
	Identity, Issuer string
	SignedIdentity   string
}

// Verify checks that the manifest subject carries such a signature.
func (v KeylessVerifier) Verify(ctx context.Context, target oras.ReadOnlyTarget, subject ocispec.Descriptor) error {
	if v.Ref.Layout != "" {
		return fmt.Errorf("--certificate-identity: keyless signatures are checked in a registry, not in the OCI layout %s", v.Ref.Layout)
	}
	pinned := ocibundle.Ref{Repo: v.Ref.Repo, Digest: subject.Digest}
	if err := runCosign(ctx, "verify", "--certificate-identity", v.Identity, "--certificate-oidc-issuer", v.Issuer, pinned.String()); err != nil {
		return err
	}
	// cosign accepted one of them; which one it does not say, so every
	// payload must bind the right type, digest and repository.
	sigs, err := readSignatures(ctx, target, subject)
	if err != nil {
		return err
	}
	for _, s := range sigs {
		if err := checkClaims(s, subject, v.SignedIdentity); err != nil {
			return fmt.Errorf("%s: %w", subject.Digest, err)
		}
	}
	return nil
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
