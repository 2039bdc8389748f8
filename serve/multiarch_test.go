package serve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rambox/bundle"
	"rambox/bundle/bundletest"
	"rambox/ocibundle"
	"rambox/publish"
	"rambox/signing"
)

// TestObtainIndex: a group whose bundle is a multi-arch index obtains
// each arch's bundle from it. A tampered arm64 kernel fails only the
// arm64 side, naming the layer's digest; the amd64 side is served, kept
// as the last good bundle under the index's digest, and re-verified from
// the state directory when the registry is gone.
func TestObtainIndex(t *testing.T) {
	ctx := context.Background()
	key, pub := newKey(t)
	signer, err := signing.LoadSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	arm := bundletest.WriteArm64(t, "arm64 kernel", "rw ip=dhcp rambox")
	res, err := publish.Run(ctx, publish.Options{
		Bundles: []string{bundletest.Write(t, "amd64 kernel", "rw ip=dhcp rambox"), arm},
		To:      ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci"), Tag: "latest"},
		Signer:  signing.KeySigner{Key: signer}, BuilderID: "urn:test"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(t, res.Ref, pub)
	info, _, err := bundle.ReadInfo(arm)
	if err != nil {
		t.Fatal(err)
	}
	var kernel string
	for _, f := range info.Files {
		if f.Name == bundle.KernelArm64 {
			kernel = f.SHA256
		}
	}
	if err := os.WriteFile(filepath.Join(res.Ref.Layout, "blobs", "sha256", kernel), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := obtain(ctx, cfg, groupOf(cfg), "arm64", false); err == nil || !strings.Contains(err.Error(), kernel) {
		t.Errorf("obtain arm64 with a tampered kernel = %v, want an error naming sha256:%s", err, kernel)
	}
	got, err := obtain(ctx, cfg, groupOf(cfg), "amd64", false)
	if err != nil || got.SaveErr != nil {
		t.Fatalf("obtain amd64: %v (save: %v)", err, got.SaveErr)
	}
	if digestOf(got.Verified) != res.Ref.Digest || got.Bundle.Manifest.Digest != res.Manifests[0].Ref.Digest || string(got.Bundle.Files[bundle.Kernel]) != "amd64 kernel" {
		t.Errorf("obtain amd64: index %s manifest %s, want %s and %s", digestOf(got.Verified), got.Bundle.Manifest.Digest, res.Ref.Digest, res.Manifests[0].Ref.Digest)
	}
	if err := os.RemoveAll(res.Ref.Layout); err != nil {
		t.Fatal(err)
	}
	last, err := obtain(ctx, cfg, groupOf(cfg), "amd64", true)
	if err != nil || last.PullErr == nil || digestOf(last.Verified) != res.Ref.Digest || last.Bundle.Manifest.Digest != res.Manifests[0].Ref.Digest {
		t.Errorf("obtain amd64 without the registry: %v (pull: %v); want the last good index %s", err, last.PullErr, res.Ref.Digest)
	}
}
