package ocibundle

import (
	"context"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
)

// Limits on what a store may make rambox read into memory before (and
// while) it is verified. A registry is not trusted until a signature says
// so: every size is checked against its descriptor before the fetch, and
// content.FetchAll reads no more than the descriptor says.
const (
	// MaxManifestSize bounds any manifest: a bundle's, a signature's, an
	// attachment's (the distribution spec's 4 MiB).
	MaxManifestSize = 4 << 20
	// MaxConfigSize bounds bundle.json.
	MaxConfigSize = 1 << 20
	// MaxLayerSize bounds one bundle file (a kernel or initramfs).
	MaxLayerSize = 1 << 30
	// MaxPayloadSize bounds one signature payload or attached document.
	MaxPayloadSize = 16 << 20
	// MaxSignatureLayers bounds how many signatures one .sig manifest
	// may hold.
	MaxSignatureLayers = 16
)

// ErrTooLarge is returned for content past a limit.
var ErrTooLarge = errors.New("exceeds rambox's limit")

// FetchLimited fetches d from target when its descriptor's size is at
// most limit, checking its digest and size.
func FetchLimited(ctx context.Context, target content.Fetcher, d ocispec.Descriptor, limit int64) ([]byte, error) {
	if d.Size < 0 || d.Size > limit {
		return nil, fmt.Errorf("%s: %w: %d bytes, limit %d", d.Digest, ErrTooLarge, d.Size, limit)
	}
	return content.FetchAll(ctx, target, d)
}
