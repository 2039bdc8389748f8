package ocibundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"rambox/bundle"
)

// Media types of a boot bundle as an OCI 1.1 artifact. The manifest's
// artifactType names the bundle; its config is bundle.json; each output is
// a layer with a type of its own and its file name as title.
const (
	ArtifactType          = "application/vnd.rambox.bundle.v1"
	MediaTypeConfig       = "application/vnd.rambox.bundle.config.v1+json"
	MediaTypeKernel       = "application/vnd.rambox.bundle.kernel.v1"
	MediaTypeInitramfs    = "application/vnd.rambox.bundle.initramfs.v1.cpio+gzip"
	MediaTypeKernelConfig = "application/vnd.rambox.bundle.kernel-config.v1"
	MediaTypeUKI          = "application/vnd.rambox.bundle.uki.v1+efi"
)

// layerTypes maps each published output to its media type, in manifest
// order. busybox.config stays in the build outputs (and in bundle.json's
// digests) but a boot server has no use for it. The kernel layer's file is
// the architecture's kernel image (bundle.KernelFile: bzImage, Image): one
// media type, whose title says which.
// An optional layer (one of bundle.Optional) is published, and required,
// exactly when bundle.json lists its file.
type layerType struct {
	name, mediaType string
	optional        bool
}

// layerTypes gives the layers of a bundle of info's architecture.
func layerTypes(info *bundle.Info) []layerType {
	return []layerType{
		{info.KernelFile(), MediaTypeKernel, false},
		{bundle.Initramfs, MediaTypeInitramfs, false},
		{bundle.KernelConfig, MediaTypeKernelConfig, false},
		{bundle.UKI, MediaTypeUKI, true},
	}
}

// LayerMediaType returns the media type file name is published with in
// a bundle of info's architecture.
func LayerMediaType(info *bundle.Info, name string) (string, bool) {
	for _, l := range layerTypes(info) {
		if l.name == name {
			return l.mediaType, true
		}
	}
	return "", false
}

// Meta are the manifest's descriptive annotations.
type Meta struct {
	Source   string // org.opencontainers.image.source: where the build recipe lives
	Revision string // org.opencontainers.image.revision: its commit
	Version  string // org.opencontainers.image.version
}

// Push publishes the bundle built into dir to target and returns the
// manifest's descriptor. Every file is checked against bundle.json first.
// The manifest holds nothing but digests, media types and annotations
// derived from bundle.json and meta (created = SOURCE_DATE_EPOCH, never the
// clock), so the same outputs give the same manifest digest.
func Push(ctx context.Context, target oras.Target, dir string, meta Meta) (ocispec.Descriptor, error) {
	info, infoJSON, err := bundle.ReadInfo(dir)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := info.Validate(); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("bundle %s: %w", dir, err)
	}
	want := map[string]bundle.FileEntry{}
	for _, f := range info.Files {
		want[f.Name] = f
	}
	config := content.NewDescriptorFromBytes(MediaTypeConfig, infoJSON)
	if err := pushBlob(ctx, target, config, infoJSON); err != nil {
		return ocispec.Descriptor{}, err
	}
	var layers []ocispec.Descriptor
	for _, l := range layerTypes(info) {
		if l.optional && !info.Has(l.name) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, l.name))
		if err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("bundle: %w", err)
		}
		d := content.NewDescriptorFromBytes(l.mediaType, b)
		if f, ok := want[l.name]; !ok || digest.Digest("sha256:"+f.SHA256) != d.Digest {
			return ocispec.Descriptor{}, fmt.Errorf("bundle: %s does not match its digest in %s (rebuild the bundle)", l.name, bundle.InfoFile)
		}
		d.Annotations = map[string]string{ocispec.AnnotationTitle: l.name}
		if err := pushBlob(ctx, target, d, b); err != nil {
			return ocispec.Descriptor{}, err
		}
		layers = append(layers, d)
	}
	annotations := map[string]string{
		ocispec.AnnotationCreated: time.Unix(info.SourceDateEpoch, 0).UTC().Format(time.RFC3339),
	}
	for k, v := range map[string]string{ocispec.AnnotationSource: meta.Source, ocispec.AnnotationRevision: meta.Revision, ocispec.AnnotationVersion: meta.Version} {
		if v != "" {
			annotations[k] = v
		}
	}
	return oras.PackManifest(ctx, target, oras.PackManifestVersion1_1, ArtifactType, oras.PackManifestOptions{
		ConfigDescriptor:    &config,
		Layers:              layers,
		ManifestAnnotations: annotations,
	})
}

func pushBlob(ctx context.Context, target oras.Target, d ocispec.Descriptor, b []byte) error {
	ok, err := target.Exists(ctx, d)
	if err != nil {
		return fmt.Errorf("bundle: checking blob %s: %w", d.Digest, err)
	}
	if ok {
		return nil
	}
	if err := target.Push(ctx, d, bytes.NewReader(b)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return fmt.Errorf("bundle: pushing blob %s: %w", d.Digest, err)
	}
	return nil
}
