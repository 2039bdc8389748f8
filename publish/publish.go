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

	"rambox/bundle"
	"rambox/ocibundle"
	"rambox/provenance"
	"rambox/sbom"
	"rambox/signing"
	"rambox/sources"
)

// Options say what to publish, where, and who signs it.
type Options struct {
	Bundle string        // bundle directory (rambox build --out)
	To     ocibundle.Ref // repository (or layout) and tag; no digest
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
	if o.Bundle == "" {
		errs = append(errs, errors.New("Bundle: no bundle directory"))
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
	Ref         ocibundle.Ref // the bundle, pinned by digest
	Attachments []Attached
	// Push and Sign are how long pushing (bundle and attachments) and
	// signing (all of them) took.
	Push, Sign time.Duration
}

// Attached is one attachment as published.
type Attached struct {
	Name, ArtifactType string
	Manifest           ocispec.Descriptor
}

// Run publishes o.Bundle to o.To, tags it, attaches the SBOM the build
// wrote (when there is one) and the provenance of this publish, and signs
// the bundle and each attachment.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.Validate(); err != nil {
		return Result{}, err
	}
	info, _, err := bundle.ReadInfo(o.Bundle)
	if err != nil {
		return Result{}, err
	}
	meta := ocibundle.Meta{Source: sources.RedactURL(o.SourceURL), Revision: o.Revision, Version: info.Profile}
	target, err := o.To.Open()
	if err != nil {
		return Result{}, err
	}
	start := time.Now()
	desc, err := ocibundle.Push(ctx, target, o.Bundle, meta)
	if err != nil {
		return Result{}, err
	}
	if o.To.Tag != "" {
		if err := target.Tag(ctx, desc, o.To.Tag); err != nil {
			return Result{}, fmt.Errorf("tagging %s: %w", o.To, err)
		}
	}
	attachments, err := attachmentsOf(o, info, desc, meta)
	if err != nil {
		return Result{}, err
	}
	res := Result{Ref: ocibundle.Ref{Layout: o.To.Layout, Repo: o.To.Repo, Digest: desc.Digest}}
	signed := []ocispec.Descriptor{desc}
	for _, a := range attachments {
		d, err := ocibundle.Attach(ctx, target, desc, a, time.Unix(info.SourceDateEpoch, 0))
		if err != nil {
			return Result{}, err
		}
		signed = append(signed, d)
		res.Attachments = append(res.Attachments, Attached{Name: a.Name, ArtifactType: a.ArtifactType, Manifest: d})
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

// attachmentsOf are the documents rambox attaches to a bundle: the SBOM
// the build wrote, and the provenance of this publish.
func attachmentsOf(o Options, info *bundle.Info, desc ocispec.Descriptor, meta ocibundle.Meta) ([]ocibundle.Attachment, error) {
	var out []ocibundle.Attachment
	if hasFile(info, sbom.File) {
		b, err := os.ReadFile(filepath.Join(o.Bundle, sbom.File))
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
