package ocibundle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"rambox/bundle"
)

// A Verifier accepts the manifest subject in target only when it carries
// a trusted signature (package signing has a key and a keyless one). The
// store asks, the verifier decides: signing depends on this package, not
// the reverse.
type Verifier interface {
	Verify(ctx context.Context, target oras.ReadOnlyTarget, subject ocispec.Descriptor) error
}

// Fetch resolves ref and returns the bundle only when everything checks:
// a ref without digest is refused unless allowTag; a ref with both tag and
// digest is refused when the tag has moved; the manifest must have ref's
// digest and a signature verifier accepts; every blob must match its
// descriptor. Nothing is returned, so nothing can be written, otherwise.
func Fetch(ctx context.Context, ref Ref, check Verifier, allowTag bool) (*bundle.Fetched, error) {
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
	if err := check.Verify(ctx, target, desc); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: manifest: %w", ref, err)
	}
	if m.ArtifactType != ArtifactType || m.Config.MediaType != MediaTypeConfig {
		return nil, fmt.Errorf("%s: %w (artifactType %q, config %q)", ref, ErrNotBundle, m.ArtifactType, m.Config.MediaType)
	}
	f := &bundle.Fetched{Manifest: desc, Files: map[string][]byte{}}
	if f.InfoJSON, err = content.FetchAll(ctx, target, m.Config); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", ref, bundle.InfoFile, err)
	}
	if err := json.Unmarshal(f.InfoJSON, &f.Info); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", ref, bundle.InfoFile, err)
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
