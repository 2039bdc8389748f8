package mirror_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content/oci"

	"rambox/bundle"
	"rambox/bundle/bundletest"
	"rambox/mirror"
	"rambox/ocibundle"
	"rambox/publish"
	"rambox/pull"
	"rambox/sbom"
	"rambox/signing"
)

// signed publishes a fake bundle with an SBOM into a fresh layout (tag
// latest), signed with a fresh key; it returns the pinned ref, the
// bundle directory and the public key's path.
func signed(t *testing.T, kernel string) (ref ocibundle.Ref, dir, pub string) {
	t.Helper()
	dir = bundletest.Write(t, kernel, "rw")
	if err := os.WriteFile(filepath.Join(dir, sbom.File), []byte(`{"spdxVersion":"SPDX-2.3","name":"`+kernel+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	info, _, err := bundle.ReadInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := info.Describe(dir, append(append([]string{}, bundle.Outputs...), sbom.File)); err != nil {
		t.Fatal(err)
	}
	if err := info.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "cosign.key")
	if pub, err = signing.Keygen(key, signing.Password{Set: true}); err != nil {
		t.Fatal(err)
	}
	signer, err := signing.LoadSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := publish.Run(context.Background(), publish.Options{Bundles: []string{dir},
		To:     ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "src"), Tag: "latest"},
		Signer: signing.KeySigner{Key: signer}, BuilderID: "urn:test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Attachments) != 2 {
		t.Fatalf("published %d attachments, want the SBOM and the provenance", len(res.Attachments))
	}
	return res.Ref, dir, pub
}

func TestOptionsValidate(t *testing.T) {
	const hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	src := ocibundle.Ref{Repo: "reg.example/a", Digest: digest.Digest("sha256:" + hex)}
	key := pull.Trust{Key: "cosign.pub"}
	tests := []struct {
		name string
		o    mirror.Options
		want string // "" for valid
	}{
		{"registry to layout", mirror.Options{Src: src, Dst: ocibundle.Ref{Layout: "/srv/oci", Tag: "v1"}, Trust: key}, ""},
		{"DST pins SRC's digest", mirror.Options{Src: src, Dst: ocibundle.Ref{Repo: "mirror/a", Digest: src.Digest}, Trust: key}, ""},
		{"SRC without digest", mirror.Options{Src: ocibundle.Ref{Repo: "reg.example/a", Tag: "latest"}, Dst: ocibundle.Ref{Layout: "o"}, Trust: key}, "SRC reg.example/a:latest: ref has no digest"},
		{"no SRC", mirror.Options{Dst: ocibundle.Ref{Layout: "o"}, Trust: key}, "SRC: no bundle reference"},
		{"no DST", mirror.Options{Src: src, Trust: key}, "DST: no destination"},
		{"DST pins another digest", mirror.Options{Src: src, Dst: ocibundle.Ref{Repo: "mirror/a", Digest: digest.Digest("sha256:" + strings.Repeat("f", 64))}, Trust: key}, "DST mirror/a@sha256:ffff"},
		{"DST is SRC", mirror.Options{Src: src, Dst: ocibundle.Ref{Repo: "reg.example/a", Tag: "x"}, Trust: key}, "SRC's own repository"},
		{"no key", mirror.Options{Src: src, Dst: ocibundle.Ref{Layout: "o"}}, "--key"},
		{"keyless into a layout", mirror.Options{Src: src, Dst: ocibundle.Ref{Layout: "o"}, Trust: pull.Trust{CertIdentity: "i", CertIssuer: "https://issuer"}}, "DST oci:o: keyless"},
	}
	for _, tc := range tests {
		err := tc.o.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Validate() = %q, want nil", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: Validate() = %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
}

// TestMirrorLayout mirrors a signed bundle into another layout, and that
// mirror into a third: each verifies against the original identity (and
// only against it), carries both attachments and the tag but not an
// unsigned referrer of another type, and mirroring again copies nothing.
func TestMirrorLayout(t *testing.T) {
	ctx := context.Background()
	src, _, pub := signed(t, "kernel-layout")
	srcStore, err := oci.New(src.Layout)
	if err != nil {
		t.Fatal(err)
	}
	subject, err := srcStore.Resolve(ctx, src.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	scan, err := ocibundle.Attach(ctx, srcStore, subject, ocibundle.Attachment{ArtifactType: "application/vnd.example.scan+json", Name: "scan.json", Content: []byte("{}")}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	dst := ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "mirror"), Tag: "v1"}
	res, err := mirror.Mirror(ctx, mirror.Options{Src: src, Dst: dst, Trust: pull.Trust{Key: pub}})
	if err != nil {
		t.Fatal(err)
	}
	want := ocibundle.Ref{Layout: dst.Layout, Digest: src.Digest}
	if res.Ref != want || res.SignedIdentity != src.Identity() {
		t.Errorf("Mirror = ref %s, signed identity %q, want %s, %q", res.Ref, res.SignedIdentity, want, src.Identity())
	}
	// bundle + 2 attachments + 3 signatures
	if len(res.Manifests) != 6 || res.Copied == 0 || res.Bytes == 0 {
		t.Errorf("Mirror copied %d manifests, %d nodes, %d bytes; want 6 manifests", len(res.Manifests), res.Copied, res.Bytes)
	}
	v, err := pull.Verify(ctx, pull.VerifyOptions{Ref: res.Ref, Trust: pull.Trust{Key: pub, SignedIdentity: res.SignedIdentity}})
	if err != nil {
		t.Fatalf("verify at the mirror: %v", err)
	}
	if len(v.Attached) != 2 {
		t.Errorf("the mirror has %d verified attachments, want 2", len(v.Attached))
	}
	if _, err := pull.Verify(ctx, pull.VerifyOptions{Ref: res.Ref, Trust: pull.Trust{Key: pub}}); !errors.Is(err, signing.ErrOtherIdentity) {
		t.Errorf("verify at the mirror without --signed-identity = %v, want %v", err, signing.ErrOtherIdentity)
	}
	if len(res.Ignored) != 1 || res.Ignored[0].Digest != scan.Digest {
		t.Errorf("Mirror ignored %v, want the scanner's report %s", res.Ignored, scan.Digest)
	}
	store, err := oci.New(dst.Layout)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := store.Exists(ctx, scan); ok || err != nil {
		t.Errorf("the unverified referrer %s is at the mirror (%v)", scan.Digest, err)
	}
	if d, err := store.Resolve(ctx, "v1"); err != nil || d.Digest != src.Digest {
		t.Errorf("tag v1 at the mirror = %s, %v; want %s", d.Digest, err, src.Digest)
	}

	again, err := mirror.Mirror(ctx, mirror.Options{Src: src, Dst: dst, Trust: pull.Trust{Key: pub}})
	if err != nil || again.Copied != 0 {
		t.Errorf("mirroring again: copied %d nodes, %v; want 0, nil", again.Copied, err)
	}

	// A mirror of the mirror: the signatures still name the original.
	third := ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "third")}
	res3, err := mirror.Mirror(ctx, mirror.Options{Src: res.Ref, Dst: third, Trust: pull.Trust{Key: pub, SignedIdentity: src.Identity()}})
	if err != nil {
		t.Fatal(err)
	}
	if res3.SignedIdentity != src.Identity() {
		t.Errorf("mirror of a mirror: signed identity %q, want %q", res3.SignedIdentity, src.Identity())
	}
	if _, err := mirror.Mirror(ctx, mirror.Options{Src: res.Ref, Dst: ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "fourth")}, Trust: pull.Trust{Key: pub}}); !errors.Is(err, signing.ErrOtherIdentity) {
		t.Errorf("mirroring a mirror without its signed identity = %v, want %v", err, signing.ErrOtherIdentity)
	}
}

// TestMirrorRefusesSource: a source that does not verify (a layer
// replaced, another key) is refused naming SRC, and DST is not created.
func TestMirrorRefusesSource(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(t *testing.T, src ocibundle.Ref, dir, pub string) (key string)
		want    string
	}{
		{"layer replaced", func(t *testing.T, src ocibundle.Ref, dir, pub string) string {
			overwrite(t, src.Layout, filepath.Join(dir, bundle.Kernel), "KERNEL")
			return pub
		}, bundle.Kernel},
		{"other key", func(t *testing.T, _ ocibundle.Ref, _, _ string) string {
			_, _, other := signed(t, "other")
			return other
		}, signing.ErrBadSignature.Error()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, dir, pub := signed(t, "kernel-"+tc.name)
			key := tc.prepare(t, src, dir, pub)
			dst := filepath.Join(t.TempDir(), "mirror")
			_, err := mirror.Mirror(ctx, mirror.Options{Src: src, Dst: ocibundle.Ref{Layout: dst}, Trust: pull.Trust{Key: key}})
			if err == nil || !strings.Contains(err.Error(), "SRC") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Mirror of a bad source = %v, want an error naming SRC and %q", err, tc.want)
			}
			if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("DST %s exists after a refused mirror (%v)", dst, err)
			}
		})
	}
}

// TestMirrorRefusesIndex: a multi-arch index is refused, naming SRC,
// rather than mirrored as its amd64 bundle alone.
func TestMirrorRefusesIndex(t *testing.T) {
	key := filepath.Join(t.TempDir(), "cosign.key")
	pub, err := signing.Keygen(key, signing.Password{Set: true})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signing.LoadSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := publish.Run(context.Background(), publish.Options{
		Bundles: []string{bundletest.Write(t, "amd64", "rw"), bundletest.WriteArm64(t, "arm64", "rw")},
		To:      ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "src")},
		Signer:  signing.KeySigner{Key: signer}, BuilderID: "urn:test"})
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "mirror")
	_, err = mirror.Mirror(context.Background(), mirror.Options{Src: res.Ref, Dst: ocibundle.Ref{Layout: dst}, Trust: pull.Trust{Key: pub}})
	if !errors.Is(err, mirror.ErrIndex) || !strings.Contains(err.Error(), "SRC "+res.Ref.String()) {
		t.Errorf("Mirror of an index = %v, want ErrIndex naming SRC %s", err, res.Ref)
	}
	if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("DST %s exists after a refused mirror (%v)", dst, err)
	}
}

// TestMirrorUndoesUnverifiedCopy: a DST layout that already holds a
// damaged copy of a layer (so the copy skips it) fails the after-copy
// verification, naming DST, and keeps no index entry or tag of the copy.
func TestMirrorUndoesUnverifiedCopy(t *testing.T) {
	ctx := context.Background()
	src, dir, pub := signed(t, "kernel-undo")
	dst := ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "mirror"), Tag: "v1"}
	if _, err := oci.New(dst.Layout); err != nil {
		t.Fatal(err)
	}
	kernel, err := os.ReadFile(filepath.Join(dir, bundle.Kernel))
	if err != nil {
		t.Fatal(err)
	}
	blobs := filepath.Join(dst.Layout, "blobs", "sha256")
	os.MkdirAll(blobs, 0o755)
	if err := os.WriteFile(filepath.Join(blobs, digest.FromBytes(kernel).Encoded()), []byte("damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = mirror.Mirror(ctx, mirror.Options{Src: src, Dst: dst, Trust: pull.Trust{Key: pub}})
	if !errors.Is(err, mirror.ErrDstUnverified) || !strings.Contains(err.Error(), "DST "+dst.String()) {
		t.Fatalf("Mirror into a damaged layout = %v, want %v naming DST %s", err, mirror.ErrDstUnverified, dst)
	}
	if idx := index(t, dst.Layout); len(idx.Manifests) != 0 {
		t.Errorf("index.json of DST after a failed copy lists %d manifests, want none: %+v", len(idx.Manifests), idx.Manifests)
	}
}

// overwrite replaces the blob of file's content in layout with changed
// bytes of the same length.
func overwrite(t *testing.T, layout, file, with string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(layout, "blobs", "sha256", digest.FromBytes(b).Encoded())
	if err := os.WriteFile(p, []byte(strings.Repeat(with, len(b))[:len(b)]), 0o644); err != nil {
		t.Fatal(err)
	}
}

func index(t *testing.T, layout string) ocispec.Index {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

// TestMirrorKOfN: a k-of-n policy is applied before and after the copy: a
// bundle signed by one of two keys mirrors under 1 of 2 and is refused,
// with DST not created, under 2 of 2.
func TestMirrorKOfN(t *testing.T) {
	ctx := context.Background()
	src, _, pub := signed(t, "kernel-kofn")
	_, _, other := signed(t, "kernel-kofn-other")
	for _, tc := range []struct {
		threshold int
		wantErr   error
	}{{1, nil}, {2, signing.ErrThreshold}} {
		dst := filepath.Join(t.TempDir(), "mirror")
		_, err := mirror.Mirror(ctx, mirror.Options{Src: src, Dst: ocibundle.Ref{Layout: dst}, Trust: pull.Trust{Keys: []string{pub, other}, Threshold: tc.threshold}})
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("Mirror under %d of 2 keys = %v, want %v", tc.threshold, err, tc.wantErr)
		}
		if _, statErr := os.Stat(dst); tc.wantErr != nil && !errors.Is(statErr, os.ErrNotExist) {
			t.Errorf("DST %s exists after a refused mirror (%v)", dst, statErr)
		}
	}
}
