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

// FetchOptions say how Fetch may reach a bundle.
type FetchOptions struct {
	AllowTag bool     // accept a ref without digest (resolve the tag)
	Timeouts Timeouts // for a registry; zero fields are DefaultTimeouts'
	// Arch is the OCI platform architecture (amd64, arm64) wanted: the
	// manifest picked from an index, and what a single bundle's
	// bundle.json arch must be. Empty is DefaultPlatformArch.
	Arch string
}

// Fetch resolves ref and returns the bundle only when everything checks:
// a ref without digest is refused unless o.AllowTag; a ref with both tag and
// digest is refused when the tag has moved; the manifest must have ref's
// digest and a signature verifier accepts; every blob must match its
// descriptor. A ref to an image index is fetched as the bundle manifest it
// lists for o.Arch, the index's signature and the manifest's both checked;
// either way bundle.json's arch must be o.Arch. Nothing is returned, so
// nothing can be written, otherwise.
func Fetch(ctx context.Context, ref Ref, check Verifier, o FetchOptions) (*bundle.Fetched, error) {
	if ref.Digest == "" && !o.AllowTag {
		return nil, fmt.Errorf("%s: %w: pin it as ...@sha256:HEX (or pass --allow-tag)", ref, ErrTagNotAllowed)
	}
	target, err := ref.OpenWith(o.Timeouts)
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
	arch := o.Arch
	if arch == "" {
		arch = DefaultPlatformArch
	}
	var index ocispec.Descriptor
	if desc.MediaType == ocispec.MediaTypeImageIndex {
		index = desc
		if desc, err = selectFromIndex(ctx, target, index, arch, check); err != nil {
			return nil, fmt.Errorf("%s: index %s: %w", ref, index.Digest, err)
		}
	}
	raw, err := FetchLimited(ctx, target, desc, MaxManifestSize)
	if err != nil {
		return nil, fmt.Errorf("%s: manifest %s: %w", ref, desc.Digest, err)
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
	f := &bundle.Fetched{Index: index, Manifest: desc, Files: map[string][]byte{}}
	if f.InfoJSON, err = FetchLimited(ctx, target, m.Config, MaxConfigSize); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", ref, bundle.InfoFile, err)
	}
	if err := json.Unmarshal(f.InfoJSON, &f.Info); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", ref, bundle.InfoFile, err)
	}
	if err := f.Info.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	if got, err := PlatformArch(f.Info.Arch); err != nil || got != arch {
		return nil, fmt.Errorf("%s: manifest %s: %w: %s arch %q is %s, asked for %s", ref, desc.Digest, ErrWrongArch, bundle.InfoFile, f.Info.Arch, got, arch)
	}
	if err := checkLayers(m.Layers, f.Info); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	for _, l := range m.Layers {
		name := l.Annotations[ocispec.AnnotationTitle]
		if f.Files[name], err = FetchLimited(ctx, target, l, MaxLayerSize); err != nil {
			return nil, fmt.Errorf("%s: manifest %s: %s (%s): %w", ref, desc.Digest, name, l.Digest, err)
		}
	}
	return f, nil
}

// selectFromIndex fetches the index at desc, checks its signature and
// returns the manifest descriptor it lists for linux/arch.
func selectFromIndex(ctx context.Context, target oras.ReadOnlyTarget, desc ocispec.Descriptor, arch string, check Verifier) (ocispec.Descriptor, error) {
	idx, err := FetchIndex(ctx, target, desc)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := check.Verify(ctx, target, desc); err != nil {
		return ocispec.Descriptor{}, err
	}
	return SelectPlatform(idx, arch)
}

// FetchIndex fetches and parses the image index at desc, bounded as a
// manifest is.
func FetchIndex(ctx context.Context, target content.Fetcher, desc ocispec.Descriptor) (ocispec.Index, error) {
	var idx ocispec.Index
	raw, err := FetchLimited(ctx, target, desc, MaxManifestSize)
	if err != nil {
		return idx, err
	}
	err = json.Unmarshal(raw, &idx)
	return idx, err
}

// checkLayers checks a manifest's layers before any is fetched: each is
// a bundle file of its media type, once, within MaxLayerSize, with the
// digest and size bundle.json records for it; none is missing.
func checkLayers(layers []ocispec.Descriptor, info *bundle.Info) error {
	recorded := map[string]bundle.FileEntry{}
	for _, e := range info.Files {
		recorded[e.Name] = e
	}
	seen := map[string]bool{}
	for _, l := range layers {
		name := l.Annotations[ocispec.AnnotationTitle]
		want, ok := LayerMediaType(info, name)
		switch {
		case !ok || l.MediaType != want:
			return fmt.Errorf("layer %q: %w %q", name, ErrUnexpectedType, l.MediaType)
		case seen[name]:
			return fmt.Errorf("layer %q (%s): %w", name, l.Digest, ErrDuplicateLayer)
		case l.Size < 0 || l.Size > MaxLayerSize:
			return fmt.Errorf("layer %q (%s): %w: %d bytes, limit %d", name, l.Digest, ErrTooLarge, l.Size, int64(MaxLayerSize))
		}
		seen[name] = true
		e, ok := recorded[name]
		if !ok || "sha256:"+e.SHA256 != l.Digest.String() || e.Size != l.Size {
			return fmt.Errorf("layer %q (%s, %d bytes): %w (%s records sha256:%s, %d bytes)", name, l.Digest, l.Size, ErrInfoMismatch, bundle.InfoFile, e.SHA256, e.Size)
		}
	}
	var errs []error
	for _, lt := range layerTypes(info) {
		if !seen[lt.name] && (!lt.optional || info.Has(lt.name)) {
			errs = append(errs, fmt.Errorf("%w %s", ErrMissingLayer, lt.name))
		}
	}
	return errors.Join(errs...)
}
