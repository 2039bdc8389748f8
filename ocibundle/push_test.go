package ocibundle_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"rambox/bundle"
	"rambox/bundle/bundletest"
	"rambox/ocibundle"
	"rambox/signing"
)

func TestParseRef(t *testing.T) {
	d := "sha256:ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	tests := []struct {
		in   string
		want ocibundle.Ref
	}{
		{"127.0.0.1:5000/rambox/bundle:v1@" + d, ocibundle.Ref{Repo: "127.0.0.1:5000/rambox/bundle", Tag: "v1", Digest: dg(d)}},
		{"127.0.0.1:5000/rambox/bundle@" + d, ocibundle.Ref{Repo: "127.0.0.1:5000/rambox/bundle", Digest: dg(d)}},
		{"registry.local/r:latest", ocibundle.Ref{Repo: "registry.local/r", Tag: "latest"}},
		{"oci:artifacts/oci:latest", ocibundle.Ref{Layout: "artifacts/oci", Tag: "latest"}},
		{"oci:/srv/oci@" + d, ocibundle.Ref{Layout: "/srv/oci", Digest: dg(d)}},
	}
	for _, tc := range tests {
		got, err := ocibundle.ParseRef(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseRef(%q) = %+v, %v, want %+v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("ParseRef(%q).String() = %q", tc.in, got.String())
		}
	}
	for _, bad := range []string{"bundle", "r/x@sha256:zz", "r/x@md5:00", "oci:"} {
		if _, err := ocibundle.ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%q) succeeded, want an error", bad)
		}
	}
}

// TestPushSignFetch round-trips a bundle through an OCI layout: the same
// outputs give the same manifest digest in two stores, a signed bundle
// fetches with its key and not with another, and a file that no longer
// matches bundle.json is refused at publish time.
func TestPushSignFetch(t *testing.T) {
	ctx := context.Background()
	dir := bundletest.Write(t, "kernel", "rw ip=dhcp")
	keys := t.TempDir()
	keyPath := filepath.Join(keys, "cosign.key")
	pubPath, err := signing.Keygen(keyPath, signing.Password{Value: []byte("pw"), Set: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signing.Keygen(keyPath, signing.Password{Value: []byte("pw"), Set: true}); err == nil {
		t.Error("Keygen overwrote an existing key")
	}
	signer, err := signing.LoadSigner(keyPath, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := signing.LoadSigner(keyPath, []byte("wrong")); err == nil {
		t.Error("LoadSigner accepted a wrong password")
	}
	verifier, _ := signing.LoadVerifier(pubPath)

	var digests []string
	var ref ocibundle.Ref
	for i := 0; i < 2; i++ {
		ref = ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci")}
		target, err := ref.Open()
		if err != nil {
			t.Fatal(err)
		}
		desc, err := ocibundle.Push(ctx, target, dir, ocibundle.Meta{Revision: "r1"})
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, desc.Digest.String())
		if err := (signing.KeySigner{Key: signer}).Sign(ctx, target, ref, desc); err != nil {
			t.Fatal(err)
		}
		ref.Digest = desc.Digest
	}
	if digests[0] != digests[1] {
		t.Errorf("same outputs, two digests: %v", digests)
	}
	f, err := ocibundle.Fetch(ctx, ref, signing.KeyVerifier{Key: verifier, SignedIdentity: ref.Identity()}, ocibundle.FetchOptions{})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if string(f.Files[bundle.Kernel]) != "kernel" || f.Info.Profile != "p" {
		t.Errorf("fetched %+v", f.Info)
	}

	otherPub, _ := signing.Keygen(filepath.Join(t.TempDir(), "cosign.key"), signing.Password{Set: true})
	other, _ := signing.LoadVerifier(otherPub)
	if _, err := ocibundle.Fetch(ctx, ref, signing.KeyVerifier{Key: other, SignedIdentity: ref.Identity()}, ocibundle.FetchOptions{}); !errors.Is(err, signing.ErrBadSignature) {
		t.Errorf("Fetch with another key = %v, want ErrBadSignature", err)
	}
	if _, err := ocibundle.Fetch(ctx, ocibundle.Ref{Layout: ref.Layout, Tag: "x"}, signing.KeyVerifier{Key: verifier, SignedIdentity: ref.Identity()}, ocibundle.FetchOptions{}); !errors.Is(err, ocibundle.ErrTagNotAllowed) {
		t.Errorf("Fetch by tag = %v, want ErrTagNotAllowed", err)
	}

	os.WriteFile(filepath.Join(dir, bundle.Kernel), []byte("changed after the build"), 0o644)
	target, _ := ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci")}.Open()
	if _, err := ocibundle.Push(ctx, target, dir, ocibundle.Meta{}); err == nil {
		t.Error("Push accepted a bzImage that does not match bundle.json")
	}
}

func dg(s string) digest.Digest { return digest.Digest(s) }

// TestPushRefusesBadCmdline: a kernel command line that would inject a
// pxelinux directive is refused at publish time too, not only at pull.
func TestPushRefusesBadCmdline(t *testing.T) {
	target, err := ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci")}.Open()
	if err != nil {
		t.Fatal(err)
	}
	dir := bundletest.Write(t, "kernel", "rw\nLABEL evil")
	if _, err := ocibundle.Push(context.Background(), target, dir, ocibundle.Meta{}); !errors.Is(err, bundle.ErrBadCmdline) {
		t.Errorf("Push of kernelCmdline %q = %v, want ErrBadCmdline", "rw\nLABEL evil", err)
	}
}

// TestPushFetchArm64: an arm64 bundle (bundle.json arch) publishes its
// kernel layer as Image, and fetches back with it; the same bundle with
// its kernel under the x86 name is refused before anything is pushed.
func TestPushFetchArm64(t *testing.T) {
	ctx := context.Background()
	dir := bundletest.Write(t, "arm64 kernel", "rw")
	info, _, err := bundle.ReadInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	info.Arch = "arm64"
	if err := info.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	target, err := ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci")}.Open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ocibundle.Push(ctx, target, dir, ocibundle.Meta{}); err == nil || !strings.Contains(err.Error(), bundle.KernelArm64) {
		t.Errorf("Push of an arm64 bundle holding bzImage = %v, want an error naming %s", err, bundle.KernelArm64)
	}

	dir = bundletest.WriteArm64(t, "arm64 kernel", "rw")
	keyPath := filepath.Join(t.TempDir(), "cosign.key")
	pubPath, err := signing.Keygen(keyPath, signing.Password{Set: true})
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := signing.LoadSigner(keyPath, nil)
	verifier, _ := signing.LoadVerifier(pubPath)
	ref := ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci")}
	target, _ = ref.Open()
	desc, err := ocibundle.Push(ctx, target, dir, ocibundle.Meta{})
	if err != nil {
		t.Fatalf("Push of an arm64 bundle: %v", err)
	}
	if err := (signing.KeySigner{Key: signer}).Sign(ctx, target, ref, desc); err != nil {
		t.Fatal(err)
	}
	ref.Digest = desc.Digest
	f, err := ocibundle.Fetch(ctx, ref, signing.KeyVerifier{Key: verifier, SignedIdentity: ref.Identity()}, ocibundle.FetchOptions{Arch: "arm64"})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if string(f.Files[bundle.KernelArm64]) != "arm64 kernel" || f.Info.Arch != "arm64" {
		t.Errorf("fetched arch %q, files %v", f.Info.Arch, keys(f.Files))
	}
	if _, ok := f.Files[bundle.Kernel]; ok {
		t.Errorf("arm64 bundle fetched with a %s", bundle.Kernel)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
