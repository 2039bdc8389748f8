// Package publish pushes a built bundle as a signed OCI artifact, with its
// SBOM and provenance attached as signed referrers.
package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"rambox/bundle"
	"rambox/ocibundle"
	"rambox/provenance"
	"rambox/sbom"
	"rambox/signing"
	"rambox/sources"
)

// Options say what to publish, where, and who signs it.
type Options struct {
	// Bundles are bundle directories (rambox build --out). One is
	// published as its manifest; several, one per platform, as an image
	// index of their manifests.
	Bundles []string
	To      ocibundle.Ref // repository (or layout) and tag; no digest
	// Signer signs the bundle and its attachments (signing.KeySigner,
	// signing.KeylessSigner).
	Signer    signing.Signer
	SourceURL string // org.opencontainers.image.source
	Revision  string // org.opencontainers.image.revision
	BuilderID string // provenance: who built the bundle
	RunID     string // provenance: which run built it (may be empty)
}

// Validate reports every problem with o, each naming its field.
func (o Options) Validate() error {
	var errs []error
	if len(o.Bundles) == 0 {
		errs = append(errs, errors.New("Bundles: no bundle directory"))
	}
	for i, b := range o.Bundles {
		if b == "" {
			errs = append(errs, fmt.Errorf("Bundles[%d]: empty directory name", i))
		}
	}
	if o.To == (ocibundle.Ref{}) {
		errs = append(errs, errors.New("To: no target"))
	} else if o.To.Digest != "" {
		errs = append(errs, fmt.Errorf("To %s: a publish target names a repository and tag, not a digest", o.To))
	}
	if o.Signer == nil {
		errs = append(errs, errors.New("Signer: nothing signs the bundle"))
	}
	if _, keyless := o.Signer.(signing.KeylessSigner); keyless && o.To.Layout != "" {
		errs = append(errs, fmt.Errorf("Signer: cosign signs keyless in a registry, not in the OCI layout %s", o.To.Layout))
	}
	if o.BuilderID == "" {
		errs = append(errs, errors.New("BuilderID: empty"))
	}
	return errors.Join(errs...)
}

// AttachmentTypes are the artifact types of the documents Run attaches
// (and signs): the SBOM and the provenance. A verifier trusts these and
// ignores referrers of other types.
var AttachmentTypes = []string{sbom.MediaType, provenance.MediaType}

// Result is what was published.
type Result struct {
	// Ref is what to give boot servers, pinned by digest: the bundle's
	// manifest, or the index when several bundles were published.
	Ref ocibundle.Ref
	// Manifests are the bundles' manifests, one per bundle directory,
	// in the order given.
	Manifests   []Manifest
	Attachments []Attached
	// Push and Sign are how long pushing (bundles, attachments, index)
	// and signing (all of them) took.
	Push, Sign time.Duration
}

// Manifest is one bundle as published.
type Manifest struct {
	Bundle   string // its directory
	Platform string // OCI platform architecture (amd64, arm64)
	Ref      ocibundle.Ref
}

// Attached is one attachment as published.
type Attached struct {
	Name, ArtifactType string
	Manifest           ocispec.Descriptor
}

// Run publishes each of o.Bundles to o.To, attaches the SBOM the build
// wrote (when there is one) and the provenance of this publish, and signs
// the bundle and each attachment. One bundle is tagged o.To.Tag itself;
// several are listed, by platform, in an image index that is signed and
// tagged instead. Two bundles of one platform are refused before
// anything is pushed.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.Validate(); err != nil {
		return Result{}, err
	}
	infos := make([]*bundle.Info, len(o.Bundles))
	byPlatform := map[string]string{}
	var res Result
	for i, dir := range o.Bundles {
		info, _, err := bundle.ReadInfo(dir)
		if err != nil {
			return Result{}, err
		}
		p, err := ocibundle.PlatformArch(info.Arch)
		if err != nil {
			return Result{}, fmt.Errorf("bundle %s: %w", dir, err)
		}
		if prev, ok := byPlatform[p]; ok {
			return Result{}, fmt.Errorf("bundles %s and %s are both %s/%s: an index holds one bundle per platform", prev, dir, ocibundle.PlatformOS, p)
		}
		byPlatform[p] = dir
		infos[i] = info
		res.Manifests = append(res.Manifests, Manifest{Bundle: dir, Platform: p})
	}
	target, err := o.To.Open()
	if err != nil {
		return Result{}, err
	}
	var signed []ocispec.Descriptor
	var entries []ocibundle.IndexEntry
	start := time.Now()
	for i, dir := range o.Bundles {
		desc, attached, err := pushBundle(ctx, target, o, dir, infos[i], len(o.Bundles) == 1)
		if err != nil {
			return Result{}, err
		}
		res.Manifests[i].Ref = ocibundle.Ref{Layout: o.To.Layout, Repo: o.To.Repo, Digest: desc.Digest}
		res.Attachments = append(res.Attachments, attached...)
		signed = append(signed, desc)
		for _, a := range attached {
			signed = append(signed, a.Manifest)
		}
		entries = append(entries, ocibundle.IndexEntry{Manifest: desc, Arch: infos[i].Arch})
	}
	res.Ref = res.Manifests[0].Ref
	if len(o.Bundles) > 1 {
		index, err := ocibundle.PushIndex(ctx, target, entries)
		if err != nil {
			return Result{}, err
		}
		if err := tag(ctx, target, o.To, index); err != nil {
			return Result{}, err
		}
		res.Ref = ocibundle.Ref{Layout: o.To.Layout, Repo: o.To.Repo, Digest: index.Digest}
		signed = append(signed, index)
	}
	res.Push = time.Since(start)
	start = time.Now()
	for _, d := range signed {
		if err := o.Signer.Sign(ctx, target, o.To, d); err != nil {
			return Result{}, err
		}
	}
	res.Sign = time.Since(start)
	return res, nil
}

// pushBundle pushes the bundle in dir (tagged o.To.Tag when tagIt) and
// its attachments, and returns its manifest and theirs.
func pushBundle(ctx context.Context, target oras.Target, o Options, dir string, info *bundle.Info, tagIt bool) (ocispec.Descriptor, []Attached, error) {
	meta := ocibundle.Meta{Source: sources.RedactURL(o.SourceURL), Revision: o.Revision, Version: info.Profile}
	desc, err := ocibundle.Push(ctx, target, dir, meta)
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	if tagIt {
		if err := tag(ctx, target, o.To, desc); err != nil {
			return ocispec.Descriptor{}, nil, err
		}
	}
	attachments, err := attachmentsOf(o, dir, info, desc, meta)
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	var out []Attached
	for _, a := range attachments {
		d, err := ocibundle.Attach(ctx, target, desc, a, time.Unix(info.SourceDateEpoch, 0))
		if err != nil {
			return ocispec.Descriptor{}, nil, err
		}
		out = append(out, Attached{Name: a.Name, ArtifactType: a.ArtifactType, Manifest: d})
	}
	return desc, out, nil
}

// tag tags desc as to.Tag, when to has one.
func tag(ctx context.Context, target oras.Target, to ocibundle.Ref, desc ocispec.Descriptor) error {
	if to.Tag == "" {
		return nil
	}
	if err := target.Tag(ctx, desc, to.Tag); err != nil {
		return fmt.Errorf("tagging %s: %w", to, err)
	}
	return nil
}

// attachmentsOf are the documents rambox attaches to a bundle: the SBOM
// the build wrote, and the provenance of this publish.
func attachmentsOf(o Options, dir string, info *bundle.Info, desc ocispec.Descriptor, meta ocibundle.Meta) ([]ocibundle.Attachment, error) {
	var out []ocibundle.Attachment
	if hasFile(info, sbom.File) {
		b, err := os.ReadFile(filepath.Join(dir, sbom.File))
		if err != nil {
			return nil, err
		}
		out = append(out, ocibundle.Attachment{ArtifactType: sbom.MediaType, Name: sbom.File, Content: b})
	}
	prov, err := provenance.Generate(provenance.Params{Info: redactSources(info), Manifest: desc, Repository: o.To.Identity(),
		SourceURI: meta.Source, Revision: meta.Revision, BuilderID: o.BuilderID, RunID: o.RunID})
	if err != nil {
		return nil, err
	}
	return append(out, ocibundle.Attachment{ArtifactType: provenance.MediaType, Name: provenance.File, Content: prov,
		Annotations: map[string]string{ocibundle.AnnotationPredicateType: provenance.PredicateType}}), nil
}

func hasFile(info *bundle.Info, name string) bool {
	for _, f := range info.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}

// redactSources is info with its pins' URLs redacted, for the provenance.
func redactSources(info *bundle.Info) *bundle.Info {
	out := *info
	out.Sources = make([]bundle.Source, len(info.Sources))
	for i, src := range info.Sources {
		src.URLs = make([]string, len(info.Sources[i].URLs))
		for j, u := range info.Sources[i].URLs {
			src.URLs[j] = sources.RedactURL(u)
		}
		out.Sources[i] = src
	}
	return &out
}
