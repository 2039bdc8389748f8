package signing

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/errdef"

	"rambox/ocibundle"
)

// KeyVerifier trusts signatures that a cosign public key accepts and that
// name SignedIdentity as the repository.
type KeyVerifier struct {
	Key signature.Verifier
	// SignedIdentity is the repository a signature must name
	// (critical.identity.docker-reference): the pulled ref's Identity(),
	// or the original repository of a mirror.
	SignedIdentity string
}

// Verify checks that target holds a signature of subject's digest, for
// v.SignedIdentity, that the key accepts.
func (v KeyVerifier) Verify(ctx context.Context, target oras.ReadOnlyTarget, subject ocispec.Descriptor) error {
	if v.SignedIdentity == "" {
		return fmt.Errorf("%s: no signed identity to check signatures against", subject.Digest)
	}
	sigs, err := readSignatures(ctx, target, subject)
	if err != nil {
		return err
	}
	if err := acceptedBy(v.Key, sigs, subject, v.SignedIdentity); err != nil {
		return fmt.Errorf("%s: %w", subject.Digest, err)
	}
	return nil
}

// acceptedBy returns nil when one of sigs verifies with key and binds
// subject for identity, else why none does: what KeyVerifier and
// ThresholdVerifier each ask of one key.
func acceptedBy(key signature.Verifier, sigs []stored, subject ocispec.Descriptor, identity string) error {
	var errs []error
	for _, s := range sigs {
		if err := key.VerifySignature(bytes.NewReader(s.sig), bytes.NewReader(s.payload)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.layer, ErrBadSignature))
			continue
		}
		if err := checkClaims(s, subject, identity); err != nil {
			errs = append(errs, err)
			continue
		}
		return nil
	}
	if len(errs) == 0 {
		errs = append(errs, ErrUnsigned)
	}
	return errors.Join(errs...)
}

// stored is one signature layer of a .sig manifest.
type stored struct {
	layer   string // its digest, to name it
	payload []byte
	sig     []byte
}

// readSignatures reads the signatures stored for subject, each bounded
// by ocibundle's limits before it is fetched.
func readSignatures(ctx context.Context, target oras.ReadOnlyTarget, subject ocispec.Descriptor) ([]stored, error) {
	sigDesc, err := target.Resolve(ctx, SignatureTag(subject.Digest))
	if errors.Is(err, errdef.ErrNotFound) {
		return nil, fmt.Errorf("%s: %w", subject.Digest, ErrUnsigned)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: looking up its signature: %w", subject.Digest, err)
	}
	raw, err := ocibundle.FetchLimited(ctx, target, sigDesc, ocibundle.MaxManifestSize)
	if err != nil {
		return nil, fmt.Errorf("%s: signature manifest: %w", subject.Digest, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: signature manifest %s: %w", subject.Digest, sigDesc.Digest, err)
	}
	if len(m.Layers) > ocibundle.MaxSignatureLayers {
		return nil, fmt.Errorf("%s: signature manifest %s: %w: %d layers, limit %d", subject.Digest, sigDesc.Digest, ocibundle.ErrTooLarge, len(m.Layers), ocibundle.MaxSignatureLayers)
	}
	// Sizes first, so one huge layer is refused before any is fetched.
	for _, l := range m.Layers {
		if l.Size < 0 || l.Size > ocibundle.MaxPayloadSize {
			return nil, fmt.Errorf("%s: signature layer %s: %w: %d bytes, limit %d", subject.Digest, l.Digest, ocibundle.ErrTooLarge, l.Size, ocibundle.MaxPayloadSize)
		}
	}
	var out []stored
	for _, l := range m.Layers {
		if l.MediaType != SignatureMediaType {
			continue
		}
		p, err := ocibundle.FetchLimited(ctx, target, l, ocibundle.MaxPayloadSize)
		if err != nil {
			return nil, fmt.Errorf("%s: signature layer: %w", subject.Digest, err)
		}
		sig, err := base64.StdEncoding.DecodeString(l.Annotations[SignatureAnnotation])
		if err != nil {
			return nil, fmt.Errorf("%s: signature layer %s: annotation %s: %w", subject.Digest, l.Digest, SignatureAnnotation, err)
		}
		out = append(out, stored{layer: l.Digest.String(), payload: p, sig: sig})
	}
	return out, nil
}

// checkClaims checks what a signature payload binds: its type, the
// manifest's digest and the repository it was signed for.
func checkClaims(s stored, subject ocispec.Descriptor, identity string) error {
	var sci payload.SimpleContainerImage
	if err := json.Unmarshal(s.payload, &sci); err != nil {
		return fmt.Errorf("%s: payload: %w", s.layer, err)
	}
	c := sci.Critical
	switch {
	case c.Type != payload.CosignSignatureType:
		return fmt.Errorf("%s: %w (critical.type %q)", s.layer, ErrNotSignature, c.Type)
	case c.Image.DockerManifestDigest != subject.Digest.String():
		return fmt.Errorf("%s: %w (%s)", s.layer, ErrSignedOther, c.Image.DockerManifestDigest)
	case c.Identity.DockerReference != identity:
		return fmt.Errorf("%s: %w: signed for %q, want %q (a mirror? pass --signed-identity)", s.layer, ErrOtherIdentity, c.Identity.DockerReference, identity)
	}
	return nil
}
