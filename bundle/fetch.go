package bundle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
)

// A SignatureCheck accepts the manifest subject in target only when it
// carries a trusted signature: made with a cosign key (KeyCheck), or
// keyless by a given identity (the CLI's cosign verify).
type SignatureCheck func(ctx context.Context, target oras.ReadOnlyTarget, subject ocispec.Descriptor) error

// KeyCheck trusts signatures that verifier (a cosign public key) accepts.
func KeyCheck(verifier signature.Verifier) SignatureCheck {
	return func(ctx context.Context, target oras.ReadOnlyTarget, subject ocispec.Descriptor) error {
		return VerifySignature(ctx, target, subject, verifier)
	}
}

// Fetched is a bundle read from a store and checked: its signature, the
// manifest's digest, and every blob's digest and size.
type Fetched struct {
	Manifest ocispec.Descriptor
	Info     *Info
	InfoJSON []byte
	Files    map[string][]byte // by file name: bzImage, initramfs.cpio.gz, kernel.config
}

// Fetch resolves ref and returns the bundle only when everything checks:
// a ref without digest is refused unless allowTag; a ref with both tag and
// digest is refused when the tag has moved; the manifest must have ref's
// digest and a signature verifier accepts; every blob must match its
// descriptor. Nothing is returned, so nothing can be written, otherwise.
func Fetch(ctx context.Context, ref Ref, check SignatureCheck, allowTag bool) (*Fetched, error) {
	if ref.Digest == "" && !allowTag {
		return nil, fmt.Errorf("%s: %w: pin it as ...@sha256:HEX (or pass --allow-tag)", ref, ErrTagNotAllowed)
	}
	target, err := ref.Open()
	if err != nil {
		return nil, err
	}
	var desc ocispec.Descriptor
	if ref.Tag != "" {
		if desc, err = target.Resolve(ctx, ref.Tag); err != nil {
			return nil, fmt.Errorf("%s: resolving tag %s: %w", ref, ref.Tag, err)
		}
		if ref.Digest != "" && desc.Digest != ref.Digest {
			return nil, fmt.Errorf("%s: %w (%s now)", ref, ErrTagMoved, desc.Digest)
		}
	}
	if ref.Digest != "" {
		if desc, err = target.Resolve(ctx, ref.Digest.String()); err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		if desc.Digest != ref.Digest {
			return nil, fmt.Errorf("%s: store answered with %s", ref, desc.Digest)
		}
	}
	raw, err := content.FetchAll(ctx, target, desc)
	if err != nil {
		return nil, fmt.Errorf("%s: manifest: %w", ref, err)
	}
	if err := check(ctx, target, desc); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: manifest: %w", ref, err)
	}
	if m.ArtifactType != ArtifactType || m.Config.MediaType != MediaTypeConfig {
		return nil, fmt.Errorf("%s: %w (artifactType %q, config %q)", ref, ErrNotBundle, m.ArtifactType, m.Config.MediaType)
	}
	f := &Fetched{Manifest: desc, Files: map[string][]byte{}}
	if f.InfoJSON, err = content.FetchAll(ctx, target, m.Config); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", ref, InfoFile, err)
	}
	if err := json.Unmarshal(f.InfoJSON, &f.Info); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", ref, InfoFile, err)
	}
	for _, l := range m.Layers {
		name := l.Annotations[ocispec.AnnotationTitle]
		want, ok := LayerMediaType(name)
		if !ok || l.MediaType != want {
			return nil, fmt.Errorf("%s: layer %q: %w %q", ref, name, ErrUnexpectedType, l.MediaType)
		}
		b, err := content.FetchAll(ctx, target, l)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", ref, name, err)
		}
		f.Files[name] = b
	}
	var errs []error
	for _, lt := range layerTypes {
		if _, ok := f.Files[lt.name]; !ok {
			errs = append(errs, fmt.Errorf("%s: %w %s", ref, ErrMissingLayer, lt.name))
		}
	}
	return f, errors.Join(errs...)
}
