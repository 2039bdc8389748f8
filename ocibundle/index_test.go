package ocibundle_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"rambox/bundle"
	"rambox/bundle/bundletest"
	"rambox/ocibundle"
	"rambox/signing"
)

func TestPlatformArch(t *testing.T) {
	for _, tc := range []struct{ arch, want string }{{"", "amd64"}, {"x86_64", "amd64"}, {"arm64", "arm64"}, {"riscv", ""}} {
		got, err := ocibundle.PlatformArch(tc.arch)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("PlatformArch(%q) = %q, %v, want %q", tc.arch, got, err, tc.want)
		}
	}
}

func TestSelectPlatform(t *testing.T) {
	desc := func(hex, os, arch, mediaType string) ocispec.Descriptor {
		return ocispec.Descriptor{MediaType: mediaType, Digest: dg("sha256:" + strings.Repeat(hex, 64)), Platform: &ocispec.Platform{OS: os, Architecture: arch}}
	}
	amd := desc("a", "linux", "amd64", ocispec.MediaTypeImageManifest)
	arm := desc("b", "linux", "arm64", ocispec.MediaTypeImageManifest)
	tests := []struct {
		name      string
		manifests []ocispec.Descriptor
		arch      string
		want      ocispec.Descriptor
		err       error
	}{
		{"amd64", []ocispec.Descriptor{amd, arm}, "amd64", amd, nil},
		{"arm64", []ocispec.Descriptor{amd, arm}, "arm64", arm, nil},
		{"missing", []ocispec.Descriptor{amd}, "arm64", ocispec.Descriptor{}, ocibundle.ErrNoPlatform},
		{"other os", []ocispec.Descriptor{desc("c", "windows", "arm64", ocispec.MediaTypeImageManifest)}, "arm64", ocispec.Descriptor{}, ocibundle.ErrNoPlatform},
		{"no platform", []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageManifest, Digest: amd.Digest}}, "amd64", ocispec.Descriptor{}, ocibundle.ErrNoPlatform},
		{"twice", []ocispec.Descriptor{amd, desc("c", "linux", "amd64", ocispec.MediaTypeImageManifest)}, "amd64", ocispec.Descriptor{}, ocibundle.ErrDuplicatePlatform},
		{"nested index", []ocispec.Descriptor{desc("c", "linux", "arm64", ocispec.MediaTypeImageIndex)}, "arm64", ocispec.Descriptor{}, ocibundle.ErrUnexpectedType},
	}
	for _, tc := range tests {
		got, err := ocibundle.SelectPlatform(ocispec.Index{Manifests: tc.manifests}, tc.arch)
		if !errors.Is(err, tc.err) || got.Digest != tc.want.Digest {
			t.Errorf("%s: SelectPlatform = %s, %v; want %s, %v", tc.name, got.Digest, err, tc.want.Digest, tc.err)
		}
	}
}

// multiArch is an amd64 and an arm64 bundle pushed into one layout, not
// yet indexed or signed.
type multiArch struct {
	ref      ocibundle.Ref
	amd, arm ocispec.Descriptor
	key      signing.KeySigner
	check    ocibundle.Verifier
}

func newMultiArch(t *testing.T) *multiArch {
	t.Helper()
	ctx := context.Background()
	keyPath := filepath.Join(t.TempDir(), "cosign.key")
	pub, err := signing.Keygen(keyPath, signing.Password{Set: true})
	if err != nil {
		t.Fatal(err)
	}
	m := &multiArch{ref: ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci")}}
	if m.key.Key, err = signing.LoadSigner(keyPath, nil); err != nil {
		t.Fatal(err)
	}
	v, err := signing.LoadVerifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	m.check = signing.KeyVerifier{Key: v, SignedIdentity: m.ref.Identity()}
	target, err := m.ref.Open()
	if err != nil {
		t.Fatal(err)
	}
	if m.amd, err = ocibundle.Push(ctx, target, bundletest.Write(t, "amd64 kernel", "rw"), ocibundle.Meta{}); err != nil {
		t.Fatal(err)
	}
	if m.arm, err = ocibundle.Push(ctx, target, bundletest.WriteArm64(t, "arm64 kernel", "rw"), ocibundle.Meta{}); err != nil {
		t.Fatal(err)
	}
	return m
}

// index pushes the index of m's two bundles and returns its pinned ref,
// after signing what sign lists.
func (m *multiArch) index(t *testing.T, sign ...ocispec.Descriptor) (ocibundle.Ref, ocispec.Descriptor) {
	t.Helper()
	ctx := context.Background()
	target, _ := m.ref.Open()
	idx, err := ocibundle.PushIndex(ctx, target, []ocibundle.IndexEntry{{Manifest: m.arm, Arch: "arm64"}, {Manifest: m.amd}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range append(sign, idx) {
		if err := m.key.Sign(ctx, target, m.ref, d); err != nil {
			t.Fatal(err)
		}
	}
	return ocibundle.Ref{Layout: m.ref.Layout, Digest: idx.Digest}, idx
}

// TestIndexFetch: an index of an amd64 and an arm64 bundle fetches each
// platform's bundle by its arch, the default being amd64; an arch it
// lacks is refused naming the index and the arch; a single bundle's
// manifest is refused for another arch than its bundle.json's.
func TestIndexFetch(t *testing.T) {
	ctx := context.Background()
	m := newMultiArch(t)
	ref, idx := m.index(t, m.amd, m.arm)
	for _, tc := range []struct {
		arch, kernel, content string
		manifest              ocispec.Descriptor
	}{{"", bundle.Kernel, "amd64 kernel", m.amd}, {"amd64", bundle.Kernel, "amd64 kernel", m.amd}, {"arm64", bundle.KernelArm64, "arm64 kernel", m.arm}} {
		f, err := ocibundle.Fetch(ctx, ref, m.check, ocibundle.FetchOptions{Arch: tc.arch})
		if err != nil {
			t.Fatalf("Fetch --arch %q: %v", tc.arch, err)
		}
		if string(f.Files[tc.kernel]) != tc.content || f.Manifest.Digest != tc.manifest.Digest || f.Index.Digest != idx.Digest {
			t.Errorf("Fetch --arch %q: manifest %s, index %s, files %v", tc.arch, f.Manifest.Digest, f.Index.Digest, keys(f.Files))
		}
	}
	_, err := ocibundle.Fetch(ctx, ref, m.check, ocibundle.FetchOptions{Arch: "riscv64"})
	if !errors.Is(err, ocibundle.ErrNoPlatform) || !strings.Contains(err.Error(), idx.Digest.String()) || !strings.Contains(err.Error(), "riscv64") {
		t.Errorf("Fetch --arch riscv64 = %v, want ErrNoPlatform naming %s and riscv64", err, idx.Digest)
	}
	single := ocibundle.Ref{Layout: m.ref.Layout, Digest: m.amd.Digest}
	_, err = ocibundle.Fetch(ctx, single, m.check, ocibundle.FetchOptions{Arch: "arm64"})
	if !errors.Is(err, ocibundle.ErrWrongArch) || !strings.Contains(err.Error(), m.amd.Digest.String()) || !strings.Contains(err.Error(), "amd64") || !strings.Contains(err.Error(), "arm64") {
		t.Errorf("Fetch of the amd64 manifest --arch arm64 = %v, want ErrWrongArch naming its digest and both archs", err)
	}
}

// TestIndexDeterministic: the same bundles give the same index digest,
// in whatever order they are given.
func TestIndexDeterministic(t *testing.T) {
	m := newMultiArch(t)
	target, _ := m.ref.Open()
	a, err := ocibundle.PushIndex(context.Background(), target, []ocibundle.IndexEntry{{Manifest: m.amd}, {Manifest: m.arm, Arch: "arm64"}})
	if err != nil {
		t.Fatal(err)
	}
	n := newMultiArch(t)
	target, _ = n.ref.Open()
	b, err := ocibundle.PushIndex(context.Background(), target, []ocibundle.IndexEntry{{Manifest: n.arm, Arch: "arm64"}, {Manifest: n.amd, Arch: "x86_64"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest != b.Digest {
		t.Errorf("same bundles, two index digests: %s, %s", a.Digest, b.Digest)
	}
	if _, err := ocibundle.PushIndex(context.Background(), target, []ocibundle.IndexEntry{{Manifest: n.amd}, {Manifest: n.arm}}); err == nil {
		t.Error("PushIndex accepted two amd64 manifests")
	}
}

// TestIndexHostile: what a registry could serve under a signed index.
// A tampered arm64 layer fails the arm64 fetch naming its digest while
// amd64 still fetches; an index signed by another key, or a manifest
// without its own signature, is refused: the index's signature does not
// stand in for the manifest's.
func TestIndexHostile(t *testing.T) {
	ctx := context.Background()
	t.Run("tampered arm64 layer", func(t *testing.T) {
		m := newMultiArch(t)
		ref, _ := m.index(t, m.amd, m.arm)
		f, err := ocibundle.Fetch(ctx, ref, m.check, ocibundle.FetchOptions{Arch: "arm64"})
		if err != nil {
			t.Fatal(err)
		}
		kernel := "sha256:" + entry(f.Info, bundle.KernelArm64).SHA256
		blob := filepath.Join(m.ref.Layout, "blobs", "sha256", strings.TrimPrefix(kernel, "sha256:"))
		if err := os.WriteFile(blob, []byte("arm64 kernel"[:6]+"EVIL!!"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ocibundle.Fetch(ctx, ref, m.check, ocibundle.FetchOptions{Arch: "arm64"}); err == nil || !strings.Contains(err.Error(), kernel) {
			t.Errorf("Fetch of a tampered arm64 kernel = %v, want an error naming %s", err, kernel)
		}
		if _, err := ocibundle.Fetch(ctx, ref, m.check, ocibundle.FetchOptions{Arch: "amd64"}); err != nil {
			t.Errorf("Fetch amd64 beside a tampered arm64 kernel: %v", err)
		}
	})
	t.Run("index signed by another key", func(t *testing.T) {
		m := newMultiArch(t)
		target, _ := m.ref.Open()
		for _, d := range []ocispec.Descriptor{m.amd, m.arm} {
			if err := m.key.Sign(ctx, target, m.ref, d); err != nil {
				t.Fatal(err)
			}
		}
		other := newMultiArch(t)
		m.key = other.key
		ref, idx := m.index(t)
		_, err := ocibundle.Fetch(ctx, ref, m.check, ocibundle.FetchOptions{})
		if !errors.Is(err, signing.ErrBadSignature) || !strings.Contains(err.Error(), idx.Digest.String()) {
			t.Errorf("Fetch of an index signed by another key = %v, want ErrBadSignature naming %s", err, idx.Digest)
		}
	})
	t.Run("manifest unsigned", func(t *testing.T) {
		m := newMultiArch(t)
		ref, _ := m.index(t, m.amd) // the arm64 manifest has no signature
		if _, err := ocibundle.Fetch(ctx, ref, m.check, ocibundle.FetchOptions{Arch: "amd64"}); err != nil {
			t.Fatalf("Fetch amd64: %v", err)
		}
		_, err := ocibundle.Fetch(ctx, ref, m.check, ocibundle.FetchOptions{Arch: "arm64"})
		if !errors.Is(err, signing.ErrUnsigned) || !strings.Contains(err.Error(), m.arm.Digest.String()) {
			t.Errorf("Fetch of an unsigned arm64 manifest under a signed index = %v, want ErrUnsigned naming %s", err, m.arm.Digest)
		}
	})
}

func entry(info *bundle.Info, name string) bundle.FileEntry {
	for _, e := range info.Files {
		if e.Name == name {
			return e
		}
	}
	return bundle.FileEntry{}
}
