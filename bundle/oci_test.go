package bundle

import (
	"context"
	"errors"
	"github.com/opencontainers/go-digest"
	"os"
	"path/filepath"
	"testing"
)

func TestParseRef(t *testing.T) {
	d := "sha256:ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	tests := []struct {
		in   string
		want Ref
	}{
		{"127.0.0.1:5000/rambox/bundle:v1@" + d, Ref{Repo: "127.0.0.1:5000/rambox/bundle", Tag: "v1", Digest: dg(d)}},
		{"127.0.0.1:5000/rambox/bundle@" + d, Ref{Repo: "127.0.0.1:5000/rambox/bundle", Digest: dg(d)}},
		{"registry.local/r:latest", Ref{Repo: "registry.local/r", Tag: "latest"}},
		{"oci:artifacts/oci:latest", Ref{Layout: "artifacts/oci", Tag: "latest"}},
		{"oci:/srv/oci@" + d, Ref{Layout: "/srv/oci", Digest: dg(d)}},
	}
	for _, tc := range tests {
		got, err := ParseRef(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseRef(%q) = %+v, %v, want %+v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("ParseRef(%q).String() = %q", tc.in, got.String())
		}
	}
	for _, bad := range []string{"bundle", "r/x@sha256:zz", "r/x@md5:00", "oci:"} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%q) succeeded, want an error", bad)
		}
	}
}

func writeBundle(t *testing.T, kernel string) string {
	t.Helper()
	dir := t.TempDir()
	for n, b := range map[string]string{Kernel: kernel, Initramfs: "initrd", KernelConfig: "CONFIG_NET=y\n", BusyboxConfig: "CONFIG_STATIC=y\n"} {
		os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644)
	}
	info := &Info{SchemaVersion: 1, Profile: "p", KernelCmdline: "rw ip=dhcp", SourceDateEpoch: 1700000000}
	if err := info.Describe(dir, Outputs); err != nil {
		t.Fatal(err)
	}
	if err := info.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPushSignFetch round-trips a bundle through an OCI layout: the same
// outputs give the same manifest digest in two stores, a signed bundle
// fetches with its key and not with another, and a file that no longer
// matches bundle.json is refused at publish time.
func TestPushSignFetch(t *testing.T) {
	ctx := context.Background()
	dir := writeBundle(t, "kernel")
	keys := t.TempDir()
	keyPath, pubPath, err := Keygen(keys, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Keygen(keys, []byte("pw")); err == nil {
		t.Error("Keygen overwrote an existing key")
	}
	signer, err := LoadSigner(keyPath, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigner(keyPath, []byte("wrong")); err == nil {
		t.Error("LoadSigner accepted a wrong password")
	}
	verifier, _ := LoadVerifier(pubPath)

	var digests []string
	var ref Ref
	for i := 0; i < 2; i++ {
		ref = Ref{Layout: filepath.Join(t.TempDir(), "oci")}
		target, err := ref.Open()
		if err != nil {
			t.Fatal(err)
		}
		desc, err := Push(ctx, target, dir, Meta{Revision: "r1"})
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, desc.Digest.String())
		if _, err := Sign(ctx, target, desc, ref.Identity(), signer); err != nil {
			t.Fatal(err)
		}
		ref.Digest = desc.Digest
	}
	if digests[0] != digests[1] {
		t.Errorf("same outputs, two digests: %v", digests)
	}
	f, err := Fetch(ctx, ref, KeyCheck(verifier), false)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if string(f.Files[Kernel]) != "kernel" || f.Info.Profile != "p" {
		t.Errorf("fetched %+v", f.Info)
	}

	_, otherPub, _ := Keygen(t.TempDir(), nil)
	other, _ := LoadVerifier(otherPub)
	if _, err := Fetch(ctx, ref, KeyCheck(other), false); !errors.Is(err, ErrBadSignature) {
		t.Errorf("Fetch with another key = %v, want ErrBadSignature", err)
	}
	if _, err := Fetch(ctx, Ref{Layout: ref.Layout, Tag: "x"}, KeyCheck(verifier), false); !errors.Is(err, ErrTagNotAllowed) {
		t.Errorf("Fetch by tag = %v, want ErrTagNotAllowed", err)
	}

	os.WriteFile(filepath.Join(dir, Kernel), []byte("changed after the build"), 0o644)
	target, _ := Ref{Layout: filepath.Join(t.TempDir(), "oci")}.Open()
	if _, err := Push(ctx, target, dir, Meta{}); err == nil {
		t.Error("Push accepted a bzImage that does not match bundle.json")
	}
}

func dg(s string) digest.Digest { return digest.Digest(s) }
