// Package signing signs boot bundles and checks their signatures, with a
// cosign key or keyless through the cosign CLI, in the layout cosign
// itself uses.
package signing

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"rambox/ocibundle"
)

// Signatures are stored the way cosign stores them, so `cosign verify
// --key cosign.pub REF` accepts a bundle rambox signed: a "simple signing"
// payload naming the manifest digest, as a layer of an image tagged
// sha256-<hex>.sig, with the base64 signature in a layer annotation: one
// layer per signature, so several keys can sign one bundle.
// (Keyless OIDC signing would add a certificate annotation to the same
// layer; the verifier below is the seam for it.)
const (
	SignatureMediaType  = "application/vnd.dev.cosign.simplesigning.v1+json"
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
)

var (
	ErrUnsigned      = errors.New("bundle has no signature")
	ErrBadSignature  = errors.New("no signature verifies with this key")
	ErrSignedOther   = errors.New("signature is for another digest")
	ErrOtherIdentity = errors.New("signature names another repository")
	ErrNotSignature  = errors.New("payload is not a cosign container image signature")
)

// SignatureTag is the tag cosign looks for a manifest's signatures under.
func SignatureTag(d digest.Digest) string { return d.Algorithm().String() + "-" + d.Encoded() + ".sig" }

// A Signer signs the manifest subject stored in target under ref's
// repository: a bundle, or one of its attachments.
type Signer interface {
	Sign(ctx context.Context, target oras.Target, ref ocibundle.Ref, subject ocispec.Descriptor) error
}

// KeySigner signs with a cosign private key and stores the signature in
// the target itself.
type KeySigner struct{ Key signature.Signer }

// Sign stores a signature of subject in target, naming ref's identity (the
// repository as users name it; cosign records it as the signed identity).
func (s KeySigner) Sign(ctx context.Context, target oras.Target, ref ocibundle.Ref, subject ocispec.Descriptor) error {
	_, err := writeSignature(ctx, target, subject, ref.Identity(), s.Key)
	return err
}

// writeSignature adds a signature of subject by signer to subject's .sig
// manifest, keeping the signatures already there, as cosign does: a
// release key can co-sign a bundle CI signed, for a k-of-n policy. When
// signer's key has signed the same payload already, nothing is written
// (signing twice is one signature; ECDSA's would differ byte for byte).
// Two signers racing on the same digest can still lose one signature:
// the registry has no compare-and-swap on a tag.
func writeSignature(ctx context.Context, target oras.Target, subject ocispec.Descriptor, dockerRef string, signer signature.Signer) (ocispec.Descriptor, error) {
	p, err := json.Marshal(payload.SimpleContainerImage{Critical: payload.Critical{
		Identity: payload.Identity{DockerReference: dockerRef},
		Image:    payload.Image{DockerManifestDigest: subject.Digest.String()},
		Type:     payload.CosignSignatureType,
	}})
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	layer := content.NewDescriptorFromBytes(SignatureMediaType, p)
	prev, layers, err := signatureLayers(ctx, target, subject)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if done, err := signedBy(signer, layers, layer, p); err != nil || done {
		return prev, err
	}
	sig, err := signer.SignMessage(bytes.NewReader(p))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("signing %s: %w", subject.Digest, err)
	}
	layer.Annotations = map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)}
	layers = append(layers, layer)
	if len(layers) > ocibundle.MaxSignatureLayers {
		return ocispec.Descriptor{}, fmt.Errorf("%s: %w: %d signatures, limit %d", subject.Digest, ocibundle.ErrTooLarge, len(layers), ocibundle.MaxSignatureLayers)
	}
	// An image config like cosign's, so image tooling can read the .sig.
	diffIDs := make([]string, len(layers))
	for i, l := range layers {
		diffIDs[i] = l.Digest.String()
	}
	cfgJSON, _ := json.Marshal(map[string]any{
		"architecture": "", "os": "", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	cfg := content.NewDescriptorFromBytes(ocispec.MediaTypeImageConfig, cfgJSON)
	manifest, _ := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    cfg,
		Layers:    layers,
	})
	mdesc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, manifest)
	for _, b := range []struct {
		d ocispec.Descriptor
		b []byte
	}{{cfg, cfgJSON}, {layer, p}, {mdesc, manifest}} {
		if err := target.Push(ctx, b.d, bytes.NewReader(b.b)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
			return ocispec.Descriptor{}, fmt.Errorf("storing signature: %w", err)
		}
	}
	if err := target.Tag(ctx, mdesc, SignatureTag(subject.Digest)); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("tagging signature: %w", err)
	}
	return mdesc, nil
}

// signatureLayers returns subject's .sig manifest and its layers, as
// stored; none when it has no signature yet.
func signatureLayers(ctx context.Context, target oras.Target, subject ocispec.Descriptor) (ocispec.Descriptor, []ocispec.Descriptor, error) {
	desc, err := target.Resolve(ctx, SignatureTag(subject.Digest))
	if errors.Is(err, errdef.ErrNotFound) {
		return ocispec.Descriptor{}, nil, nil
	}
	if err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("%s: looking up its signatures: %w", subject.Digest, err)
	}
	raw, err := ocibundle.FetchLimited(ctx, target, desc, ocibundle.MaxManifestSize)
	if err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("%s: signature manifest: %w", subject.Digest, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return ocispec.Descriptor{}, nil, fmt.Errorf("%s: signature manifest %s: %w", subject.Digest, desc.Digest, err)
	}
	return desc, m.Layers, nil
}

// signedBy reports whether one of layers is a signature of payload p (the
// layer `layer` describes) that signer's own key verifies.
func signedBy(signer signature.Signer, layers []ocispec.Descriptor, layer ocispec.Descriptor, p []byte) (bool, error) {
	pub, err := signer.PublicKey()
	if err != nil {
		return false, err
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return false, err
	}
	for _, l := range layers {
		if l.Digest != layer.Digest || l.MediaType != SignatureMediaType {
			continue
		}
		sig, err := base64.StdEncoding.DecodeString(l.Annotations[SignatureAnnotation])
		if err != nil {
			continue
		}
		if v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(p)) == nil {
			return true, nil
		}
	}
	return false, nil
}
