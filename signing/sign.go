// Package signing signs boot bundles and checks their signatures, with a
// cosign key or keyless through the cosign CLI, in the layout cosign
// itself uses.
package signing

import (
	"bytes"
	"context"
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
// payload naming the manifest digest, as the one layer of an image tagged
// sha256-<hex>.sig, with the base64 signature in a layer annotation.
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

func writeSignature(ctx context.Context, target oras.Target, subject ocispec.Descriptor, dockerRef string, signer signature.Signer) (ocispec.Descriptor, error) {
	p, err := json.Marshal(payload.SimpleContainerImage{Critical: payload.Critical{
		Identity: payload.Identity{DockerReference: dockerRef},
		Image:    payload.Image{DockerManifestDigest: subject.Digest.String()},
		Type:     payload.CosignSignatureType,
	}})
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	sig, err := signer.SignMessage(bytes.NewReader(p))
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("signing %s: %w", subject.Digest, err)
	}
	layer := content.NewDescriptorFromBytes(SignatureMediaType, p)
	layer.Annotations = map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)}
	// An image config like cosign's, so image tooling can read the .sig.
	cfgJSON, _ := json.Marshal(map[string]any{
		"architecture": "", "os": "", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layer.Digest.String()}},
	})
	cfg := content.NewDescriptorFromBytes(ocispec.MediaTypeImageConfig, cfgJSON)
	manifest, _ := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    cfg,
		Layers:    []ocispec.Descriptor{layer},
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
