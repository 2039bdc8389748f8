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

// publishTestIndex publishes fake amd64 and arm64 bundles, signed, as one
// index into an OCI layout, and returns the result, a Config serving it,
// and tamperArm64, which overwrites the arm64 kernel's blob in the layout
// and returns that blob's hex digest.
func publishTestIndex(t *testing.T) (res publish.Result, cfg Config, tamperArm64 func() string) {
	t.Helper()
	key, pub := newKey(t)
	signer, err := signing.LoadSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	arm := bundletest.WriteArm64(t, "arm64 kernel", "rw ip=dhcp rambox")
	res, err = publish.Run(context.Background(), publish.Options{
		Bundles: []string{bundletest.Write(t, "amd64 kernel", "rw ip=dhcp rambox"), arm},
		To:      ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci"), Tag: "latest"},
		Signer:  signing.KeySigner{Key: signer}, BuilderID: "urn:test"})
	if err != nil {
		t.Fatal(err)
	}
	tamperArm64 = func() string {
		t.Helper()
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
		return kernel
	}
	return res, config(t, res.Ref, pub), tamperArm64
}

// TestObtainIndex: a group whose bundle is a multi-arch index obtains
// each arch's bundle from it. A tampered arm64 kernel fails only the
// arm64 side, naming the layer's digest; the amd64 side is served, kept
// as the last good bundle under the index's digest, and re-verified from
// the state directory when the registry is gone.
func TestObtainIndex(t *testing.T) {
	ctx := context.Background()
	res, cfg, tamperArm64 := publishTestIndex(t)
	kernel := tamperArm64()
	if _, err := obtain(ctx, cfg, groupOf(cfg), "arm64", nil, false); err == nil || !strings.Contains(err.Error(), kernel) {
		t.Errorf("obtain arm64 with a tampered kernel = %v, want an error naming sha256:%s", err, kernel)
	}
	got, err := obtain(ctx, cfg, groupOf(cfg), "amd64", nil, false)
	if err != nil || got.SaveErr != nil {
		t.Fatalf("obtain amd64: %v (save: %v)", err, got.SaveErr)
	}
	if digestOf(got.pulled) != res.Ref.Digest || got.Bundle.Manifest.Digest != res.Manifests[0].Ref.Digest || string(got.Bundle.Files[bundle.Kernel]) != "amd64 kernel" {
		t.Errorf("obtain amd64: index %s manifest %s, want %s and %s", digestOf(got.pulled), got.Bundle.Manifest.Digest, res.Ref.Digest, res.Manifests[0].Ref.Digest)
	}
	if err := os.RemoveAll(res.Ref.Layout); err != nil {
		t.Fatal(err)
	}
	last, err := obtain(ctx, cfg, groupOf(cfg), "amd64", nil, true)
	if err != nil || last.PullErr == nil || digestOf(last.pulled) != res.Ref.Digest || last.Bundle.Manifest.Digest != res.Manifests[0].Ref.Digest {
		t.Errorf("obtain amd64 without the registry: %v (pull: %v); want the last good index %s", err, last.PullErr, res.Ref.Digest)
	}
}

// TestObtainIndexOthers: the default group's pull of a multi-arch index
// (its nodes amd64) also verifies the arm64 manifest, for unknown arm64
// clients; both are kept as the last good bundle and re-verified from
// the state directory without the registry. A tampered arm64 kernel
// leaves the arm64 side out, naming the layer, and the amd64 side is
// served.
func TestObtainIndexOthers(t *testing.T) {
	ctx := context.Background()
	res, cfg, tamperArm64 := publishTestIndex(t)
	also := []string{"arm64"}
	check := func(what string, got obtained) {
		t.Helper()
		o := got.others["arm64"]
		if o == nil || got.OthersErr != nil {
			t.Fatalf("%s: no arm64 manifest beside amd64 (%v)", what, got.OthersErr)
		}
		if got.Bundle.Manifest.Digest != res.Manifests[0].Ref.Digest || o.Bundle.Manifest.Digest != res.Manifests[1].Ref.Digest || string(o.Bundle.Files[bundle.KernelArm64]) != "arm64 kernel" {
			t.Errorf("%s: manifests %s and %s, want %s and %s", what, got.Bundle.Manifest.Digest, o.Bundle.Manifest.Digest, res.Manifests[0].Ref.Digest, res.Manifests[1].Ref.Digest)
		}
	}
	got, err := obtain(ctx, cfg, groupOf(cfg), "amd64", also, false)
	if err != nil || got.SaveErr != nil {
		t.Fatalf("obtain amd64 and arm64: %v (save: %v)", err, got.SaveErr)
	}
	check("pulled", got)

	// The last good bundle holds both manifests.
	gone := res.Ref.Layout + ".gone"
	if err := os.Rename(res.Ref.Layout, gone); err != nil {
		t.Fatal(err)
	}
	last, err := obtain(ctx, cfg, groupOf(cfg), "amd64", also, true)
	if err != nil || last.PullErr == nil {
		t.Fatalf("obtain without the registry: %v (pull: %v); want the last good bundle", err, last.PullErr)
	}
	check("last good", last)
	// (Opening the missing layout made an empty one.)
	if err := os.RemoveAll(res.Ref.Layout); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(gone, res.Ref.Layout); err != nil {
		t.Fatal(err)
	}

	kernel := tamperArm64()
	got, err = obtain(ctx, cfg, groupOf(cfg), "amd64", also, false)
	if err != nil {
		t.Fatalf("obtain with a tampered arm64 kernel: %v; want amd64 served", err)
	}
	if got.others["arm64"] != nil || got.OthersErr == nil || !strings.Contains(got.OthersErr.Error(), kernel) {
		t.Errorf("obtain with a tampered arm64 kernel: arm64 %v, others' error %v; want it left out, naming sha256:%s", got.others["arm64"] != nil, got.OthersErr, kernel)
	}
	if got.Bundle.Manifest.Digest != res.Manifests[0].Ref.Digest {
		t.Errorf("obtain with a tampered arm64 kernel: amd64 manifest %s, want %s", got.Bundle.Manifest.Digest, res.Manifests[0].Ref.Digest)
	}
}
