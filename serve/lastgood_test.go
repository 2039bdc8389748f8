package serve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rambox/bundle"
	"rambox/bundle/bundletest"
	"rambox/ocibundle"
	"rambox/publish"
	"rambox/pull"
	"rambox/serve/desired"
	"rambox/signing"
)

// published publishes a fake bundle whose kernel holds kernel to a fresh
// OCI layout, signed with a fresh key, and returns its pinned ref and the
// public key's path.
func published(t *testing.T, kernel string) (ocibundle.Ref, string) {
	t.Helper()
	key, pub := newKey(t)
	return publishWith(t, key, kernel), pub
}

// newKey makes a key pair and returns the private and public key's paths.
func newKey(t *testing.T) (key, pub string) {
	t.Helper()
	key = filepath.Join(t.TempDir(), "cosign.key")
	pub, err := signing.Keygen(key, signing.Password{Set: true})
	if err != nil {
		t.Fatal(err)
	}
	return key, pub
}

// publishWith publishes a fake bundle signed with key to a fresh layout.
func publishWith(t *testing.T, key, kernel string) ocibundle.Ref {
	t.Helper()
	signer, err := signing.LoadSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := publish.Run(context.Background(), publish.Options{
		Bundles: []string{bundletest.Write(t, kernel, "rw ip=dhcp rambox")},
		To:      ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci"), Tag: "latest"},
		Signer:  signing.KeySigner{Key: signer}, BuilderID: "urn:test"})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return res.Ref.Pinned()
}

func config(t *testing.T, ref ocibundle.Ref, pub string) Config {
	return Config{Bundle: ref, Trust: pull.Trust{Key: pub}, State: t.TempDir()}
}

// TestObtainFallsBackToLastGood: a start whose bundle cannot be pulled
// (its layout is gone) serves the last good bundle, re-verified from the
// state directory, and says why the pull failed.
func TestObtainFallsBackToLastGood(t *testing.T) {
	ctx := context.Background()
	ref, pub := published(t, "kernel one")
	cfg := config(t, ref, pub)
	first, err := obtain(ctx, cfg, groupOf(cfg), "", nil, true)
	if err != nil || first.PullErr != nil || first.SaveErr != nil {
		t.Fatalf("first obtain: %v (pull: %v, save: %v)", err, first.PullErr, first.SaveErr)
	}
	if err := os.RemoveAll(ref.Layout); err != nil {
		t.Fatal(err)
	}
	second, err := obtain(ctx, cfg, groupOf(cfg), "", nil, true)
	if err != nil {
		t.Fatalf("second obtain: %v", err)
	}
	if second.PullErr == nil {
		t.Errorf("second obtain: no pull error, want one (the layout is gone)")
	}
	if got, want := second.Bundle.Manifest.Digest, ref.Digest; got != want {
		t.Errorf("second obtain served %s, want the last good %s", got, want)
	}
	if got := string(second.Bundle.Files[bundle.Kernel]); got != "kernel one" {
		t.Errorf("last good kernel = %q, want %q", got, "kernel one")
	}
}

// TestObtainRefuses: without a verified bundle nothing is obtained, and
// the error names the digest and why.
func TestObtainRefuses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(t *testing.T, cfg *Config)
		want    error
	}{
		{"bad signature, no last good", func(t *testing.T, cfg *Config) {
			_, other := published(t, "other")
			cfg.Trust.Key = other
		}, signing.ErrBadSignature},
		{"last good tampered with", func(t *testing.T, cfg *Config) {
			keepThenLose(t, *cfg)
			d := cfg.Bundle.Digest
			blob := filepath.Join(cfg.State, LastGoodDir, "blobs", d.Algorithm().String(), d.Encoded())
			if err := os.WriteFile(blob, []byte(`{"tampered":true}`), 0o644); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"last good of another repository", func(t *testing.T, cfg *Config) {
			keepThenLose(t, *cfg)
			cfg.Bundle.Layout += "-elsewhere"
		}, signing.ErrOtherIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, pub := published(t, "kernel of "+tt.name)
			cfg := config(t, ref, pub)
			tt.prepare(t, &cfg)
			got, err := obtain(ctx, cfg, groupOf(cfg), "", nil, true)
			if err == nil {
				t.Fatalf("obtain served %s, want an error", got.Bundle.Manifest.Digest)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("obtain: %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), ref.Digest.Encoded()) {
				t.Errorf("obtain: %v, want it to name %s", err, ref.Digest)
			}
		})
	}
}

// keepThenLose obtains cfg's bundle (so the state keeps it) and removes
// its layout, so the next start has only the last good copy.
func keepThenLose(t *testing.T, cfg Config) {
	t.Helper()
	if _, err := obtain(context.Background(), cfg, groupOf(cfg), "", nil, true); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(cfg.Bundle.Layout); err != nil {
		t.Fatal(err)
	}
}

// TestKeepReplacesBrokenLastGood: a last good layout broken on disk (every
// blob overwritten) does not stop the next verified bundle from being kept
// as the last good one.
func TestKeepReplacesBrokenLastGood(t *testing.T) {
	ctx := context.Background()
	key, pub := newKey(t)
	one, two := publishWith(t, key, "kernel one"), publishWith(t, key, "kernel two")
	cfg := config(t, one, pub)
	if _, err := obtain(ctx, cfg, groupOf(cfg), "", nil, true); err != nil {
		t.Fatal(err)
	}
	blobs, _ := filepath.Glob(filepath.Join(cfg.State, LastGoodDir, "blobs", "sha256", "*"))
	for _, b := range blobs {
		if err := os.WriteFile(b, []byte("edited"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Bundle = two
	got, err := obtain(ctx, cfg, groupOf(cfg), "", nil, true)
	if err != nil || got.SaveErr != nil {
		t.Fatalf("obtain over a broken last good layout: %v (save: %v)", err, got.SaveErr)
	}
	if err := os.RemoveAll(two.Layout); err != nil {
		t.Fatal(err)
	}
	last, _, err := lastGood(ctx, cfg, groupOf(cfg), "", nil)
	if err != nil || last.Bundle.Manifest.Digest != two.Digest {
		t.Fatalf("last good after keeping %s: %v, want it", two.Digest, err)
	}
}

// groupOf is the one group a Config with --bundle describes.
func groupOf(cfg Config) desired.Group {
	d, err := desiredConfig(cfg)
	if err != nil {
		panic(err)
	}
	return d.Groups[0]
}
