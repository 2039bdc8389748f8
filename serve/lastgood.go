package serve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"rambox/ocibundle"
	"rambox/pull"
	"rambox/signing"
)

// The last good bundle is kept as an OCI layout in the state directory:
// the bundle's manifest and blobs and its signature, exactly as published,
// so that a start without the registry re-verifies it with the same trust
// (its signature names the original repository) instead of trusting
// whatever is on disk.
const (
	LastGoodDir = "last-good" // the layout, in Config.State
	LastGoodTag = "last-good" // the tag on the bundle's manifest in it
)

// obtained is the bundle a start serves and where it came from.
type obtained struct {
	*pull.Verified
	// PullErr is why cfg.Bundle could not be pulled, when Verified is the
	// last good bundle instead.
	PullErr error
	// SaveErr is why the pulled bundle could not be kept as the last good
	// one (it is served all the same).
	SaveErr error
}

// obtain pulls and verifies cfg.Bundle and keeps it as the last good
// bundle; when the pull fails it re-verifies the last good bundle from the
// state directory. Without either it fails, naming both reasons.
func obtain(ctx context.Context, cfg Config) (obtained, error) {
	v, pullErr := pull.Verify(ctx, pull.VerifyOptions{Ref: cfg.Bundle, Trust: cfg.Trust, Timeouts: cfg.Timeouts})
	if pullErr == nil {
		return obtained{Verified: v, SaveErr: keep(ctx, cfg, v.Bundle.Manifest)}, nil
	}
	last, err := lastGood(ctx, cfg)
	if err != nil {
		return obtained{}, fmt.Errorf("%w\nno last good bundle to serve instead: %w", pullErr, err)
	}
	return obtained{Verified: last, PullErr: pullErr}, nil
}

// lastGoodRef is the state directory's layout.
func lastGoodRef(cfg Config) ocibundle.Ref {
	return ocibundle.Ref{Layout: filepath.Join(cfg.State, LastGoodDir)}
}

// keep copies the verified manifest m (its blobs) and its signature from
// cfg.Bundle into the last good layout, then tags it there: the tag moves
// only once everything it needs is in. Digests are checked as they are
// copied; sizes are bounded as Fetch bounds them.
func keep(ctx context.Context, cfg Config, m ocispec.Descriptor) error {
	src, err := cfg.Bundle.OpenWith(cfg.Timeouts)
	if err != nil {
		return err
	}
	to := lastGoodRef(cfg)
	dst, err := to.Open()
	if err != nil {
		// A layout that does not even open holds nothing that could be
		// re-verified: start it afresh rather than never keep again.
		if rmErr := os.RemoveAll(to.Layout); rmErr != nil {
			return fmt.Errorf("%w (and removing it: %w)", err, rmErr)
		}
		if dst, err = to.Open(); err != nil {
			return err
		}
	}
	opts := oras.CopyOptions{CopyGraphOptions: oras.CopyGraphOptions{
		PreCopy: func(_ context.Context, d ocispec.Descriptor) error {
			if d.Size < 0 || d.Size > ocibundle.MaxLayerSize {
				return fmt.Errorf("%s: %w: %d bytes", d.Digest, ocibundle.ErrTooLarge, d.Size)
			}
			return nil
		}}}
	sig := signing.SignatureTag(m.Digest)
	if _, err := oras.Copy(ctx, src, sig, dst, sig, opts); err != nil {
		return fmt.Errorf("keeping %s's signature in %s: %w", m.Digest, to.Layout, err)
	}
	if _, err := oras.Copy(ctx, src, m.Digest.String(), dst, LastGoodTag, opts); err != nil {
		return fmt.Errorf("keeping %s in %s: %w", m.Digest, to.Layout, err)
	}
	return nil
}

// ErrNoLastGood is returned when the state directory holds no last good
// bundle.
var ErrNoLastGood = errors.New("no last good bundle")

// lastGood re-verifies the last good bundle from the state directory, with
// cfg's trust, for the repository cfg.Bundle names: a bundle kept for
// another repository, or tampered with on disk, is refused.
func lastGood(ctx context.Context, cfg Config) (*pull.Verified, error) {
	ref := lastGoodRef(cfg)
	store, err := ref.Open()
	if err != nil {
		return nil, err
	}
	d, err := store.Resolve(ctx, LastGoodTag)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (%w)", ref.Layout, ErrNoLastGood, err)
	}
	ref.Digest = d.Digest
	trust := cfg.Trust
	if trust.SignedIdentity == "" {
		trust.SignedIdentity = cfg.Bundle.Identity()
	}
	return pull.Verify(ctx, pull.VerifyOptions{Ref: ref, Trust: trust})
}
