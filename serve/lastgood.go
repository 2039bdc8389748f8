package serve

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"rambox/bundle"
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
	*pulled
	// PullErr is why the group's bundle could not be pulled, when
	// pulled is its last good bundle instead.
	PullErr error
	// OthersErr is why some of the index's other platforms were refused:
	// unknown clients of those architectures get nothing, the group's
	// nodes are served all the same.
	OthersErr error
	// SaveErr is why the pulled bundle could not be kept as the last good
	// one (it is served all the same).
	SaveErr error
}

// pulled is one verified pull of a group's digest: the bundle its nodes
// boot and, when the digest is a multi-arch index, the index's manifests
// for the other platforms asked (the default group's, for unknown
// clients), each checked as the first: its own signature and blobs.
type pulled struct {
	*pull.Verified
	others map[string]*pull.Verified // by platform architecture
}

// verifyPulled verifies o's bundle, then, when it came from an index, the
// index's manifest for each of also it lists. An index without one of
// them is no error; a manifest that fails its checks is left out, and
// othersErr says why.
func verifyPulled(ctx context.Context, o pull.VerifyOptions, also []string) (p *pulled, othersErr, err error) {
	v, err := pull.Verify(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	p = &pulled{Verified: v}
	if v.Bundle.Index.Digest == "" {
		return p, nil, nil
	}
	var errs []error
	for _, a := range also {
		o.Arch = a
		other, err := pull.Verify(ctx, o)
		switch {
		case errors.Is(err, ocibundle.ErrNoPlatform):
		case err != nil:
			errs = append(errs, fmt.Errorf("platform linux/%s: %w", a, err))
		default:
			if p.others == nil {
				p.others = map[string]*pull.Verified{}
			}
			p.others[a] = other
		}
	}
	return p, errors.Join(errs...), nil
}

// bundles are the bundles p verified: its own, then the others' by
// architecture.
func (p *pulled) bundles() []*bundle.Fetched {
	bs := []*bundle.Fetched{p.Bundle}
	for _, a := range slices.Sorted(maps.Keys(p.others)) {
		bs = append(bs, p.others[a].Bundle)
	}
	return bs
}

// manifests are the manifests of p's bundles.
func (p *pulled) manifests() []ocispec.Descriptor {
	var ms []ocispec.Descriptor
	for _, b := range p.bundles() {
		ms = append(ms, b.Manifest)
	}
	return ms
}

// obtain pulls and verifies g's bundle and keeps it as the group's last
// good bundle. When the pull fails and fallback is set (the group serves
// nothing yet) it re-verifies the last good bundle from the state
// directory. Without either it fails, naming both reasons.
//
// arch is the OCI platform architecture (amd64, arm64) of the nodes the
// bundle is for: when g.Bundle is a multi-arch index, its manifest for
// arch is the one verified, served and kept, and so are its manifests for
// the platforms in also (see verifyPulled).
func obtain(ctx context.Context, cfg Config, g desired.Group, arch string, also []string, fallback bool) (obtained, error) {
	p, othersErr, pullErr := verifyPulled(ctx, pull.VerifyOptions{Ref: g.Bundle, Trust: g.Trust, Timeouts: cfg.Timeouts, Arch: arch}, also)
	if pullErr == nil {
		return obtained{pulled: p, OthersErr: othersErr, SaveErr: keep(ctx, cfg, g, p.Bundle.Index, p.manifests())}, nil
	}
	if !fallback {
		return obtained{}, pullErr
	}
	last, othersErr, err := lastGood(ctx, cfg, g, arch, also)
	if err != nil {
		return obtained{}, fmt.Errorf("%w\nno last good bundle to serve instead: %w", pullErr, err)
	}
	return obtained{pulled: last, PullErr: pullErr, OthersErr: othersErr}, nil
}

// lastGoodRef is the state directory's layout.
func lastGoodRef(cfg Config) ocibundle.Ref {
	return ocibundle.Ref{Layout: filepath.Join(cfg.State, LastGoodDir)}
}

// keep copies the verified manifests ms (their blobs) and their
// signatures from g.Bundle into the last good layout, then tags it there:
// the tag moves only once everything it needs is in. ms is one manifest,
// or (with index not zero) the manifests picked from index: the index and
// its signature are kept too, with ms as its only manifests there, and the
// index is tagged. The last good bundle is then what the config names,
// and a platform's blobs that were not verified are not copied. Digests
// are checked as they are copied; sizes are bounded as Fetch bounds them.
func keep(ctx context.Context, cfg Config, g desired.Group, index ocispec.Descriptor, ms []ocispec.Descriptor) error {
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
	top := ms[0]
	if index.Digest != "" {
		top = index
		opts.FindSuccessors = func(ctx context.Context, f content.Fetcher, d ocispec.Descriptor) ([]ocispec.Descriptor, error) {
			if d.Digest == index.Digest {
				return ms, nil
			}
			return content.Successors(ctx, f, d)
		}
	}
	for _, d := range append(slices.Clone(ms), index) {
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
// another repository, or tampered with on disk, is refused. arch and
// also are as for obtain.
func lastGood(ctx context.Context, cfg Config, g desired.Group, arch string, also []string) (p *pulled, othersErr, err error) {
	ref := lastGoodRef(cfg)
	store, err := ref.Open()
	if err != nil {
		return nil, nil, err
	}
	d, err := store.Resolve(ctx, lastGoodTag(g.Name))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: group %q: %w (%w)", ref.Layout, g.Name, ErrNoLastGood, err)
	}
	ref.Digest = d.Digest
	trust := g.Trust
	if trust.SignedIdentity == "" {
		trust.SignedIdentity = g.Bundle.Identity()
	}
	return verifyPulled(ctx, pull.VerifyOptions{Ref: ref, Trust: trust, Arch: arch}, also)
}
