package publish

import (
	"context"
	"errors"
	"fmt"
	"slices"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry"

	"rambox/ocibundle"
	"rambox/signing"
)

// Sign adds signer's signature to a bundle already published at ref
// (pinned by digest) and to each of its attachments, keeping the
// signatures already there: a release key co-signs what CI published, for
// a k-of-n trust policy. It returns the manifests it signed, the bundle
// first.
func Sign(ctx context.Context, ref ocibundle.Ref, signer signing.Signer) ([]ocispec.Descriptor, error) {
	if ref.Digest == "" {
		return nil, fmt.Errorf("%s: no digest: sign a bundle by REF@sha256:HEX, as rambox publish prints it", ref)
	}
	if signer == nil {
		return nil, errors.New("nothing signs the bundle")
	}
	target, err := ref.Open()
	if err != nil {
		return nil, err
	}
	// Resolve by digest, so a digest the store does not hold is refused
	// before anything is signed.
	desc, err := target.Resolve(ctx, ref.Digest.String())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	signed := []ocispec.Descriptor{desc}
	refs, err := registry.Referrers(ctx, target, desc, "")
	if err != nil {
		return nil, fmt.Errorf("%s: listing referrers: %w", desc.Digest, err)
	}
	for _, d := range refs {
		// Only rambox's own attachments, which a verifier checks; a
		// scanner's report is nobody's promise and stays unsigned.
		if slices.Contains(AttachmentTypes, d.ArtifactType) {
			signed = append(signed, d)
		}
	}
	for _, d := range signed {
		if err := signer.Sign(ctx, target, ref, d); err != nil {
			return nil, err
		}
	}
	return signed, nil
}
