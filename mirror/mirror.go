// Package mirror copies a verified bundle, with its signatures and its
// signed referrers (SBOM, provenance), into another registry or OCI
// layout, for sites that cannot reach the one it was published to.
//
// Nothing unverified reaches the destination: the source is verified,
// exactly what was verified is copied into a private staging layout and
// verified again there (a tag such as a signature's may have moved in
// between), and only then copied on. The destination is verified after
// the copy, against the source's signed identity (signatures name the
// repository they were published to, not the mirror), and tagged only
// once that succeeds.
package mirror

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"rambox/ocibundle"
	"rambox/pull"
	"rambox/signing"
)

// Options say what to mirror, where to, and whose signature to trust.
type Options struct {
	Src ocibundle.Ref // pinned by digest
	// Dst is a repository or layout, with an optional tag (set only once
	// the copy verifies) and an optional digest (which must be Src's).
	Dst ocibundle.Ref
	// Trust is what the source must be signed with. Its SignedIdentity,
	// when Src is itself a mirror, is the original repository; empty
	// means Src's own.
	Trust pull.Trust
	// Timeouts bound each step of talking to a registry.
	Timeouts ocibundle.Timeouts
}

// Validate reports every problem with o, each naming its argument.
func (o Options) Validate() error {
	var errs []error
	switch {
	case o.Src == (ocibundle.Ref{}):
		errs = append(errs, errors.New("SRC: no bundle reference"))
	case o.Src.Digest == "":
		errs = append(errs, fmt.Errorf("SRC %s: %w: pin it as ...@sha256:HEX", o.Src, ocibundle.ErrTagNotAllowed))
	}
	switch {
	case o.Dst == (ocibundle.Ref{}):
		errs = append(errs, errors.New("DST: no destination"))
	case o.Dst.Digest != "" && o.Src.Digest != "" && o.Dst.Digest != o.Src.Digest:
		errs = append(errs, fmt.Errorf("DST %s: %w: SRC is %s (leave the digest out of DST)", o.Dst, ErrOtherDigest, o.Src.Digest))
	case o.Dst.Identity() == o.Src.Identity():
		errs = append(errs, fmt.Errorf("DST %s: %w", o.Dst, ErrSameStore))
	}
	for _, r := range []struct {
		arg string
		ref ocibundle.Ref
	}{{"SRC", o.Src}, {"DST", o.Dst}} {
		if keyless(o.Trust) && r.ref.Layout != "" {
			errs = append(errs, fmt.Errorf("%s %s: keyless signatures are checked by cosign in a registry, not in an OCI layout", r.arg, r.ref))
		}
	}
	return errors.Join(append(errs, o.Trust.Validate())...)
}

// keyless reports whether t trusts a keyless identity (checked by the
// cosign CLI) rather than keys.
func keyless(t pull.Trust) bool { return t.CertIdentity != "" || t.CertIssuer != "" }

var (
	// ErrOtherDigest: DST pins another digest than SRC.
	ErrOtherDigest = errors.New("digest differs from SRC's")
	// ErrSameStore: DST is the repository or layout SRC is in.
	ErrSameStore = errors.New("DST is SRC's own repository")
	// ErrDstUnverified: the copy at DST does not verify.
	ErrDstUnverified = errors.New("the copy does not verify")
)

// Result is what a mirror wrote.
type Result struct {
	// Ref is the bundle at DST, pinned by digest: what to pull.
	Ref ocibundle.Ref
	// SignedIdentity is the repository the signatures name: what to pass
	// as --signed-identity when pulling Ref.
	SignedIdentity string
	// Manifests are the bundle's, its attachments' and every signature's
	// manifests, as mirrored.
	Manifests []ocispec.Descriptor
	// Copied and Skipped count the nodes (manifests and blobs) written to
	// DST and found there already; Bytes is the size of those written.
	Copied, Skipped int
	Bytes           int64
	// Ignored are SRC's referrers of types rambox does not attach (a
	// scanner's report): not verified, so not copied.
	Ignored []ocispec.Descriptor
}

// ErrIndex is returned for a source that is a multi-arch index: Mirror
// copies one bundle.
var ErrIndex = errors.New("is a multi-arch image index, which mirror does not copy yet")

// Mirror copies o.Src's bundle, attachments and signatures to o.Dst, and
// returns the ref to pull it by there. A source that does not verify
// writes nothing at o.Dst; a copy that does not verify at o.Dst is an
// error naming it, and what the copy added there is deleted again where
// the store allows (an OCI layout does).
func Mirror(ctx context.Context, o Options) (Result, error) {
	if err := o.Validate(); err != nil {
		return Result{}, err
	}
	res := Result{SignedIdentity: o.Trust.SignedIdentity}
	if res.SignedIdentity == "" {
		res.SignedIdentity = o.Src.Identity()
	}
	trust := o.Trust
	trust.SignedIdentity = res.SignedIdentity
	verify := func(ref ocibundle.Ref) (*pull.Verified, error) {
		return pull.Verify(ctx, pull.VerifyOptions{Ref: ref, Trust: trust, Timeouts: o.Timeouts})
	}

	// Before: the source, within ocibundle's size limits, so a hostile
	// one cannot fill the staging disk.
	v, err := verify(o.Src.Pinned())
	if err != nil {
		return Result{}, fmt.Errorf("SRC: %w", err)
	}
	if ix := v.Bundle.Index.Digest; ix != "" {
		// Copying the one verified manifest would drop the index's other
		// platforms without a word.
		return Result{}, fmt.Errorf("SRC %s: %w: mirror each platform's bundle by its manifest digest (rambox verify --arch ARCH prints it)", o.Src, ErrIndex)
	}
	res.Ignored = v.Ignored
	src, err := o.Src.OpenWith(o.Timeouts)
	if err != nil {
		return Result{}, err
	}
	staging, err := os.MkdirTemp("", "rambox-mirror-")
	if err != nil {
		return Result{}, fmt.Errorf("staging: %w", err)
	}
	defer os.RemoveAll(staging)
	stagingRef := ocibundle.Ref{Layout: staging, Digest: v.Ref.Digest}
	stage, err := stagingRef.Open()
	if err != nil {
		return Result{}, err
	}
	if _, err := copyBundle(ctx, src, stage, v, nil); err != nil {
		return Result{}, fmt.Errorf("SRC %s: copying into staging: %w", o.Src, err)
	}
	// Keyless signatures are checked by cosign in a registry only: for
	// them the staged copy is checked at DST, after the copy. Keys (one,
	// or k of n) are checked here.
	if !keyless(trust) {
		if v, err = verify(stagingRef); err != nil {
			return Result{}, fmt.Errorf("SRC %s changed while it was copied: %w", o.Src, err)
		}
	}

	dst, err := o.Dst.OpenWith(o.Timeouts)
	if err != nil {
		return Result{}, err
	}
	stats := &copyStats{}
	res.Manifests, err = copyBundle(ctx, stage, dst, v, stats)
	res.Copied, res.Skipped, res.Bytes = stats.copied, stats.skipped, stats.bytes
	if err != nil {
		return res, errors.Join(fmt.Errorf("DST %s: copying: %w", o.Dst, err), undo(ctx, dst, o.Dst, stats.added))
	}
	// After: the copy, as a puller at DST will check it.
	at := ocibundle.Ref{Layout: o.Dst.Layout, Repo: o.Dst.Repo, Digest: v.Ref.Digest}
	if _, err := verify(at); err != nil {
		return res, errors.Join(fmt.Errorf("DST %s: %w: %w", o.Dst, ErrDstUnverified, err), undo(ctx, dst, o.Dst, stats.added))
	}
	if o.Dst.Tag != "" {
		if err := dst.Tag(ctx, v.Bundle.Manifest, o.Dst.Tag); err != nil {
			return res, fmt.Errorf("DST %s: tagging: %w", o.Dst, err)
		}
	}
	res.Ref = at
	return res, nil
}

// copyBundle copies the verified bundle v from src to dst: the bundle's
// graph, each attachment's, and the signature of each under its cosign
// tag. Only what v names is copied (a referrer rambox did not verify
// stays behind). It returns the manifests it copied, bundle first.
func copyBundle(ctx context.Context, src oras.ReadOnlyTarget, dst oras.Target, v *pull.Verified, stats *copyStats) ([]ocispec.Descriptor, error) {
	opts := oras.DefaultCopyGraphOptions
	if stats != nil {
		stats.hook(&opts)
	}
	roots := []ocispec.Descriptor{v.Bundle.Manifest}
	for _, a := range v.Attached {
		roots = append(roots, a.Manifest)
	}
	var manifests []ocispec.Descriptor
	for _, d := range roots {
		if err := oras.CopyGraph(ctx, src, dst, d, opts); err != nil {
			return manifests, fmt.Errorf("%s: %w", d.Digest, err)
		}
		manifests = append(manifests, d)
	}
	copts := oras.CopyOptions{CopyGraphOptions: opts}
	for _, d := range roots {
		tag := signing.SignatureTag(d.Digest)
		sig, err := oras.Copy(ctx, src, tag, dst, tag, copts)
		if err != nil {
			return manifests, fmt.Errorf("signature %s: %w", tag, err)
		}
		manifests = append(manifests, sig)
	}
	return manifests, nil
}

// copyStats counts what a copy wrote, and remembers the manifests that
// were not at the destination before, to delete them again on failure.
type copyStats struct {
	mu              sync.Mutex
	copied, skipped int
	bytes           int64
	added           []ocispec.Descriptor // manifests only
}

func (s *copyStats) hook(opts *oras.CopyGraphOptions) {
	opts.PostCopy = func(_ context.Context, d ocispec.Descriptor) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.copied++
		s.bytes += d.Size
		if isManifest(d) {
			s.added = append(s.added, d)
		}
		return nil
	}
	opts.OnCopySkipped = func(context.Context, ocispec.Descriptor) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.skipped++
		return nil
	}
}

func isManifest(d ocispec.Descriptor) bool {
	return d.MediaType == ocispec.MediaTypeImageManifest || d.MediaType == ocispec.MediaTypeImageIndex
}

// undo deletes the manifests a failed copy added to dst, newest first,
// so a layout keeps no index entry or signature tag of a copy that does
// not verify (an OCI layout also removes the blobs only they used).
func undo(ctx context.Context, dst oras.Target, ref ocibundle.Ref, added []ocispec.Descriptor) error {
	del, ok := dst.(content.Deleter)
	if !ok || len(added) == 0 {
		return nil
	}
	var errs []error
	for i := len(added) - 1; i >= 0; i-- {
		d := added[i]
		if ok, err := dst.Exists(ctx, d); err != nil || !ok {
			continue // gone with a manifest deleted before it
		}
		if err := del.Delete(ctx, d); err != nil {
			errs = append(errs, fmt.Errorf("DST %s: removing %s the copy added: %w", ref, d.Digest, err))
		}
	}
	return errors.Join(errs...)
}
