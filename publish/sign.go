package publish

import (
	"context"
	"errors"
	"fmt"
	"slices"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry"

	"rambox/ocibundle"
	"rambox/signing"
)

// Sign adds signer's signature to a bundle already published at ref
// (pinned by digest) and to each of its attachments, keeping the
// signatures already there: a release key co-signs what CI published, for
// a k-of-n trust policy. An index is signed with each manifest it lists
// and their attachments. It returns the manifests it signed, the bundle
// (or index) first.
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
	bundles := []ocispec.Descriptor{desc}
	if desc.MediaType == ocispec.MediaTypeImageIndex {
		// A verifier checks the index's signature and its platform
		// manifest's: co-signing one without the others would not count.
		idx, err := ocibundle.FetchIndex(ctx, target, desc)
		if err != nil {
			return nil, fmt.Errorf("%s: index: %w", ref, err)
		}
		bundles = append(bundles, idx.Manifests...)
	}
	var signed []ocispec.Descriptor
	for _, b := range bundles {
		withAttachments, err := attachedTo(ctx, target, b)
		if err != nil {
			return nil, err
		}
		signed = append(signed, withAttachments...)
	}
	for _, d := range signed {
		if err := signer.Sign(ctx, target, ref, d); err != nil {
			return nil, err
		}
	}
	return signed, nil
}

// attachedTo is desc and those of its referrers that are rambox's own
// attachments, which a verifier checks; a scanner's report is nobody's
// promise and stays unsigned.
func attachedTo(ctx context.Context, target oras.ReadOnlyGraphTarget, desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	out := []ocispec.Descriptor{desc}
	refs, err := registry.Referrers(ctx, target, desc, "")
	if err != nil {
		return nil, fmt.Errorf("%s: listing referrers: %w", desc.Digest, err)
	}
	for _, d := range refs {
		if slices.Contains(AttachmentTypes, d.ArtifactType) {
			out = append(out, d)
		}
	}
	return out, nil
}
