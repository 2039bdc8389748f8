package ocibundle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"
)

// Attachments are documents about a bundle (its SBOM, its provenance)
// stored beside it as OCI 1.1 referrers: each is a manifest of its own
// whose subject is the bundle's manifest, whose artifactType says what it
// is, and whose one layer is the document. Registries with the referrers
// API index them; for those without (Debian's docker-registry 2.8), oras
// keeps the referrers tag schema's index at the tag sha256-<hex>. Each
// attachment is signed like the bundle, so a boot server can trust it.
const (
	// AnnotationPredicateType names an in-toto statement's predicate.
	AnnotationPredicateType = "in-toto.io/predicate-type"
)

// Attachment is one document to attach.
type Attachment struct {
	ArtifactType string // e.g. application/spdx+json
	Name         string // file name, the layer's title
	Content      []byte
	Annotations  map[string]string // added to the manifest's
}

// Attach stores a as a referrer of subject in target and returns its
// manifest. created is the manifest's creation time (SOURCE_DATE_EPOCH,
// so the same document gives the same manifest digest).
func Attach(ctx context.Context, target oras.Target, subject ocispec.Descriptor, a Attachment, created time.Time) (ocispec.Descriptor, error) {
	layer := content.NewDescriptorFromBytes(a.ArtifactType, a.Content)
	layer.Annotations = map[string]string{ocispec.AnnotationTitle: a.Name}
	if err := pushBlob(ctx, target, layer, a.Content); err != nil {
		return ocispec.Descriptor{}, err
	}
	annotations := map[string]string{ocispec.AnnotationCreated: created.UTC().Format(time.RFC3339)}
	for k, v := range a.Annotations {
		annotations[k] = v
	}
	subject = ocispec.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	desc, err := oras.PackManifest(ctx, target, oras.PackManifestVersion1_1, a.ArtifactType, oras.PackManifestOptions{
		Subject:             &subject,
		Layers:              []ocispec.Descriptor{layer},
		ManifestAnnotations: annotations,
	})
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("attaching %s to %s: %w", a.Name, subject.Digest, err)
	}
	return desc, nil
}

// Attached is an attachment read back and checked.
type Attached struct {
	Manifest ocispec.Descriptor
	Attachment
}

// Attachments lists subject's referrers in target. Those whose
// artifactType is one of types (the documents rambox attaches) are
// returned when the signature check accepts them and their document
// matches its digest; one that fails is an error: it would be a forged or
// damaged document about the bundle. Referrers of other types (a
// registry scanner's report) are nobody's promise: they are returned as
// ignored, unread.
func Attachments(ctx context.Context, target oras.ReadOnlyGraphTarget, subject ocispec.Descriptor, types []string, check Verifier) (attached []Attached, ignored []ocispec.Descriptor, err error) {
	refs, err := registry.Referrers(ctx, target, subject, "")
	if err != nil {
		return nil, nil, fmt.Errorf("%s: listing referrers: %w", subject.Digest, err)
	}
	var errs []error
	for _, d := range refs {
		if !slices.Contains(types, d.ArtifactType) {
			ignored = append(ignored, d)
			continue
		}
		a, err := fetchAttachment(ctx, target, d, subject, check)
		if err != nil {
			errs = append(errs, fmt.Errorf("referrer %s (%s): %w", d.Digest, d.ArtifactType, err))
			continue
		}
		attached = append(attached, a)
	}
	return attached, ignored, errors.Join(errs...)
}

func fetchAttachment(ctx context.Context, target oras.ReadOnlyTarget, d, subject ocispec.Descriptor, check Verifier) (Attached, error) {
	if err := check.Verify(ctx, target, d); err != nil {
		return Attached{}, err
	}
	raw, err := FetchLimited(ctx, target, d, MaxManifestSize)
	if err != nil {
		return Attached{}, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return Attached{}, err
	}
	if m.Subject == nil || m.Subject.Digest != subject.Digest {
		return Attached{}, fmt.Errorf("manifest's subject is not %s", subject.Digest)
	}
	if len(m.Layers) != 1 {
		return Attached{}, fmt.Errorf("%d layers, want 1", len(m.Layers))
	}
	b, err := FetchLimited(ctx, target, m.Layers[0], MaxPayloadSize)
	if err != nil {
		return Attached{}, err
	}
	return Attached{Manifest: d, Attachment: Attachment{
		ArtifactType: m.ArtifactType,
		Name:         m.Layers[0].Annotations[ocispec.AnnotationTitle],
		Content:      b,
		Annotations:  m.Annotations,
	}}, nil
}
