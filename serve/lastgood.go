package serve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"rambox/ocibundle"
	"rambox/pull"
	"rambox/serve/desired"
	"rambox/signing"
)

// Each group's last good bundle is kept in one OCI layout in the state
// directory: the bundle's manifest and blobs and its signature, exactly as
// published, so that a start without the registry re-verifies it with the
// group's trust (its signature names the original repository) instead of
// trusting whatever is on disk.
const (
	LastGoodDir = "last-good" // the layout, in Config.State
	LastGoodTag = "last-good" // the tag of a group's bundle in it: last-good.<group>
)

// lastGoodTag is group's tag in the layout. Group names are checked to
// make valid tags (see checkGroupNames).
func lastGoodTag(group string) string { return LastGoodTag + "." + group }

// obtained is a group's bundle and where it came from.
type obtained struct {
	*pull.Verified
	// PullErr is why the group's bundle could not be pulled, when
	// Verified is its last good bundle instead.
	PullErr error
	// SaveErr is why the pulled bundle could not be kept as the last good
	// one (it is served all the same).
	SaveErr error
}

// obtain pulls and verifies g's bundle and keeps it as the group's last
// good bundle. When the pull fails and fallback is set (the group serves
// nothing yet) it re-verifies the last good bundle from the state
// directory. Without either it fails, naming both reasons.
//
// arch is the OCI platform architecture (amd64, arm64) of the nodes the
// bundle is for: when g.Bundle is a multi-arch index, its manifest for
// arch is the one verified, served and kept.
func obtain(ctx context.Context, cfg Config, g desired.Group, arch string, fallback bool) (obtained, error) {
	v, pullErr := pull.Verify(ctx, pull.VerifyOptions{Ref: g.Bundle, Trust: g.Trust, Timeouts: cfg.Timeouts, Arch: arch})
	if pullErr == nil {
		return obtained{Verified: v, SaveErr: keep(ctx, cfg, g, v.Bundle.Index, v.Bundle.Manifest)}, nil
	}
	if !fallback {
		return obtained{}, pullErr
	}
	last, err := lastGood(ctx, cfg, g, arch)
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
// g.Bundle into the last good layout, then tags it there: the tag moves
// only once everything it needs is in. When m was picked from index (not
// zero), the index and its signature are kept too, with m as its only
// manifest there, and the index is tagged: the last good bundle is then
// what the config names, and another platform's blobs, verified or not,
// are not copied. Digests are checked as they are copied; sizes are
// bounded as Fetch bounds them.
func keep(ctx context.Context, cfg Config, g desired.Group, index, m ocispec.Descriptor) error {
	src, err := g.Bundle.OpenWith(cfg.Timeouts)
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
	top := m
	if index.Digest != "" {
		top = index
		opts.FindSuccessors = func(ctx context.Context, f content.Fetcher, d ocispec.Descriptor) ([]ocispec.Descriptor, error) {
			if d.Digest == index.Digest {
				return []ocispec.Descriptor{m}, nil
			}
			return content.Successors(ctx, f, d)
		}
	}
	for _, d := range []ocispec.Descriptor{m, index} {
		if d.Digest == "" {
			continue
		}
		sig := signing.SignatureTag(d.Digest)
		if _, err := oras.Copy(ctx, src, sig, dst, sig, opts); err != nil {
			return fmt.Errorf("keeping %s's signature in %s: %w", d.Digest, to.Layout, err)
		}
	}
	if _, err := oras.Copy(ctx, src, top.Digest.String(), dst, lastGoodTag(g.Name), opts); err != nil {
		return fmt.Errorf("keeping %s in %s: %w", top.Digest, to.Layout, err)
	}
	return nil
}

// ErrNoLastGood is returned when the state directory holds no last good
// bundle for a group.
var ErrNoLastGood = errors.New("no last good bundle")

// lastGood re-verifies g's last good bundle from the state directory,
// with g's trust, for the repository g.Bundle names: a bundle kept for
// another repository, or tampered with on disk, is refused.
func lastGood(ctx context.Context, cfg Config, g desired.Group, arch string) (*pull.Verified, error) {
	ref := lastGoodRef(cfg)
	store, err := ref.Open()
	if err != nil {
		return nil, err
	}
	d, err := store.Resolve(ctx, lastGoodTag(g.Name))
	if err != nil {
		return nil, fmt.Errorf("%s: group %q: %w (%w)", ref.Layout, g.Name, ErrNoLastGood, err)
	}
	ref.Digest = d.Digest
	trust := g.Trust
	if trust.SignedIdentity == "" {
		trust.SignedIdentity = g.Bundle.Identity()
	}
	return pull.Verify(ctx, pull.VerifyOptions{Ref: ref, Trust: trust, Arch: arch})
}
