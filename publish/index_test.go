package publish_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rambox/bundle/bundletest"
	"rambox/ocibundle"
	"rambox/publish"
	"rambox/signing"
)

// TestRunMultiArch: two bundles publish as a signed index tagged at the
// target, each manifest signed with its attachments; the same bundles
// give the same index digest in another store; one bundle still
// publishes as its manifest, tagged; two bundles of one platform are
// refused, naming both directories, before anything is pushed.
func TestRunMultiArch(t *testing.T) {
	ctx := context.Background()
	key := filepath.Join(t.TempDir(), "cosign.key")
	if _, err := signing.Keygen(key, signing.Password{Set: true}); err != nil {
		t.Fatal(err)
	}
	signer, err := signing.LoadSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	amd, arm := bundletest.Write(t, "amd64 kernel", "rw"), bundletest.WriteArm64(t, "arm64 kernel", "rw")
	run := func(bundles ...string) (publish.Options, publish.Result, error) {
		o := publish.Options{Bundles: bundles, To: ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci"), Tag: "v1"},
			Signer: signing.KeySigner{Key: signer}, BuilderID: "urn:test"}
		res, err := publish.Run(ctx, o)
		return o, res, err
	}
	o, res, err := run(amd, arm)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Manifests) != 2 || res.Manifests[0].Platform != "amd64" || res.Manifests[1].Platform != "arm64" || len(res.Attachments) != 2 {
		t.Fatalf("published %+v, %d attachments", res.Manifests, len(res.Attachments))
	}
	target, _ := o.To.Open()
	tagged, err := target.Resolve(ctx, "v1")
	if err != nil || tagged.Digest != res.Ref.Digest || tagged.MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Errorf("tag v1 = %s %s, %v; want the index %s", tagged.MediaType, tagged.Digest, err, res.Ref.Digest)
	}
	check := signing.KeyVerifier{Key: signer, SignedIdentity: o.To.Identity()}
	for i, arch := range []string{"amd64", "arm64"} {
		f, err := ocibundle.Fetch(ctx, res.Ref, check, ocibundle.FetchOptions{Arch: arch})
		if err != nil || f.Manifest.Digest != res.Manifests[i].Ref.Digest {
			t.Errorf("Fetch %s of the index: %v; manifest %v, want %s", arch, err, f, res.Manifests[i].Ref.Digest)
			continue
		}
		if _, _, err := ocibundle.Attachments(ctx, target, f.Manifest, publish.AttachmentTypes, check); err != nil {
			t.Errorf("%s attachments: %v", arch, err)
		}
	}
	if _, again, err := run(arm, amd); err != nil || again.Ref.Digest != res.Ref.Digest {
		t.Errorf("same bundles in another order and store: index %s, %v; want %s", again.Ref.Digest, err, res.Ref.Digest)
	}

	o, single, err := run(amd)
	if err != nil {
		t.Fatal(err)
	}
	target, _ = o.To.Open()
	if tagged, err := target.Resolve(ctx, "v1"); err != nil || single.Ref.Digest != res.Manifests[0].Ref.Digest || tagged.Digest != single.Ref.Digest {
		t.Errorf("one bundle: ref %s, tag %s (%v); want its manifest %s", single.Ref.Digest, tagged.Digest, err, res.Manifests[0].Ref.Digest)
	}

	other := bundletest.Write(t, "another amd64 kernel", "rw")
	o, _, err = run(amd, other)
	if err == nil || !strings.Contains(err.Error(), amd) || !strings.Contains(err.Error(), other) {
		t.Errorf("two amd64 bundles = %v, want an error naming %s and %s", err, amd, other)
	}
	if _, err := os.Stat(o.To.Layout); err == nil {
		t.Errorf("two amd64 bundles: %s was written anyway", o.To.Layout)
	}
}
