package pull

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"rambox/atomicfile"
	"rambox/bundle"
	"rambox/ocibundle"
	"rambox/publish"
)

// VerifyOptions say which bundle to check and whose signature to trust.
type VerifyOptions struct {
	Ref      ocibundle.Ref
	Trust    Trust
	AllowTag bool // accept a ref without digest
	// Arch is the OCI platform architecture (amd64, arm64) to pick from an
	// index, and a single bundle must be of; empty is amd64.
	Arch string
	// Timeouts bound each step of talking to a registry.
	Timeouts ocibundle.Timeouts
}

// fetch fetches and verifies o.Ref's bundle.
func (o VerifyOptions) fetch(ctx context.Context, check ocibundle.Verifier) (*bundle.Fetched, error) {
	return ocibundle.Fetch(ctx, o.Ref, check, ocibundle.FetchOptions{AllowTag: o.AllowTag, Timeouts: o.Timeouts, Arch: o.Arch})
}

// Validate reports every problem with o, each naming its flag.
func (o VerifyOptions) Validate() error {
	var errs []error
	if o.Ref == (ocibundle.Ref{}) {
		errs = append(errs, errors.New("REF: no bundle reference"))
	}
	return errors.Join(append(errs, o.Trust.Validate())...)
}

// Verified is a bundle and its attachments, every one checked.
type Verified struct {
	Ref      ocibundle.Ref // pinned by digest
	Bundle   *bundle.Fetched
	Attached []ocibundle.Attached
	// Ignored are referrers of types rambox does not attach (a scanner's
	// report): not checked, not trusted.
	Ignored []ocispec.Descriptor
}

// Verify fetches o.Ref and its attachments and returns them only when the
// signatures, digests and sizes all check.
func Verify(ctx context.Context, o VerifyOptions) (*Verified, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	check, err := o.Trust.verifier(o.Ref)
	if err != nil {
		return nil, err
	}
	f, err := o.fetch(ctx, check)
	if err != nil {
		return nil, err
	}
	target, err := o.Ref.OpenWith(o.Timeouts)
	if err != nil {
		return nil, err
	}
	attached, ignored, err := ocibundle.Attachments(ctx, target, f.Manifest, publish.AttachmentTypes, check)
	if err != nil {
		return nil, err
	}
	return &Verified{Ref: pinned(o.Ref, f), Bundle: f, Attached: attached, Ignored: ignored}, nil
}

// WriteAttachments writes each attachment into dir under its own name.
func WriteAttachments(dir string, attached []ocibundle.Attached) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, a := range attached {
		if a.Name != filepath.Base(a.Name) || a.Name == "" || a.Name == "." || a.Name == ".." {
			return fmt.Errorf("referrer %s: unsafe file name %q", a.Manifest.Digest, a.Name)
		}
		if err := atomicfile.Write(filepath.Join(dir, a.Name), 0o644, func(w io.Writer) error { _, err := w.Write(a.Content); return err }); err != nil {
			return err
		}
	}
	return nil
}

// pinned is ref by the digest f was fetched at.
func pinned(ref ocibundle.Ref, f *bundle.Fetched) ocibundle.Ref {
	return ocibundle.Ref{Layout: ref.Layout, Repo: ref.Repo, Digest: f.Manifest.Digest}
}
