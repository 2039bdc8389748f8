package ocibundle

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"rambox/bundle"
)

// PlatformOS is the os of every platform a rambox index names: bundles
// boot Linux.
const PlatformOS = "linux"

// DefaultPlatformArch is the platform a fetch picks from an index when it
// is not told one: the x86 PC most nodes are.
const DefaultPlatformArch = bundle.PlatformAMD64

// platformArchs maps a bundle's kernel architecture (bundle.json's arch,
// the kernel's ARCH=) to the OCI platform architecture (GOARCH names)
// an index records it under. This is the one place the two namings meet.
var platformArchs = map[string]string{"": bundle.PlatformAMD64, bundle.ArchX86_64: bundle.PlatformAMD64, "arm64": bundle.PlatformARM64}

// PlatformArch returns the OCI platform architecture of a bundle whose
// bundle.json arch is arch, or an error for one rambox does not know.
func PlatformArch(arch string) (string, error) {
	p, ok := platformArchs[arch]
	if !ok {
		return "", fmt.Errorf("%s arch %q: no OCI platform for it (known: x86_64, arm64)", bundle.InfoFile, arch)
	}
	return p, nil
}

// IndexEntry is one bundle manifest of an index: its descriptor and the
// bundle.json arch of the bundle it holds.
type IndexEntry struct {
	Manifest ocispec.Descriptor
	Arch     string // bundle.json arch ("" is x86_64)
}

// PushIndex pushes an OCI image index of entries, each manifest under its
// platform, and returns its descriptor. Manifests are listed in platform
// order and the index has no clock in it, so the same manifests give the
// same index digest. Two entries of one platform are refused.
func PushIndex(ctx context.Context, target oras.Target, entries []IndexEntry) (ocispec.Descriptor, error) {
	if len(entries) == 0 {
		return ocispec.Descriptor{}, fmt.Errorf("index: no manifests")
	}
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, ArtifactType: ArtifactType}
	idx.SchemaVersion = 2
	seen := map[string]ocispec.Descriptor{}
	for _, e := range entries {
		arch, err := PlatformArch(e.Arch)
		if err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("index: manifest %s: %w", e.Manifest.Digest, err)
		}
		if prev, ok := seen[arch]; ok {
			return ocispec.Descriptor{}, fmt.Errorf("index: manifests %s and %s are both %s/%s", prev.Digest, e.Manifest.Digest, PlatformOS, arch)
		}
		d := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, ArtifactType: ArtifactType, Digest: e.Manifest.Digest, Size: e.Manifest.Size,
			Platform: &ocispec.Platform{OS: PlatformOS, Architecture: arch}}
		seen[arch] = d
		idx.Manifests = append(idx.Manifests, d)
	}
	sort.Slice(idx.Manifests, func(i, j int) bool {
		return idx.Manifests[i].Platform.Architecture < idx.Manifests[j].Platform.Architecture
	})
	raw, err := json.Marshal(idx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageIndex, raw)
	desc.ArtifactType = ArtifactType
	if err := pushBlob(ctx, target, desc, raw); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("index: %w", err)
	}
	return desc, nil
}

// SelectPlatform returns the descriptor of idx's bundle manifest for
// linux/arch. An index without it, or with it twice, is refused; so is
// a descriptor that is not an image manifest.
func SelectPlatform(idx ocispec.Index, arch string) (ocispec.Descriptor, error) {
	var found []ocispec.Descriptor
	var have []string
	for _, d := range idx.Manifests {
		if d.Platform == nil {
			continue
		}
		have = append(have, d.Platform.OS+"/"+d.Platform.Architecture)
		if d.Platform.OS == PlatformOS && d.Platform.Architecture == arch {
			found = append(found, d)
		}
	}
	switch {
	case len(found) == 0:
		return ocispec.Descriptor{}, fmt.Errorf("%w %s/%s (it has %v)", ErrNoPlatform, PlatformOS, arch, have)
	case len(found) > 1:
		return ocispec.Descriptor{}, fmt.Errorf("%w: %s/%s, %d manifests", ErrDuplicatePlatform, PlatformOS, arch, len(found))
	case found[0].MediaType != ocispec.MediaTypeImageManifest:
		return ocispec.Descriptor{}, fmt.Errorf("%s/%s: manifest %s: %w %q", PlatformOS, arch, found[0].Digest, ErrUnexpectedType, found[0].MediaType)
	}
	return found[0], nil
}
