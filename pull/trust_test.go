package pull_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"rambox/bundle/bundletest"
	"rambox/publish"
	"rambox/pull"
	"rambox/signing"
)

func TestTrustValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		trust pull.Trust
		want  string // "" means valid
	}{
		{"one key", pull.Trust{Key: "a.pub"}, ""},
		{"keyless", pull.Trust{CertIdentity: "i", CertIssuer: "https://o"}, ""},
		{"keyless over the default key", pull.Trust{Key: "cosign.pub", CertIdentity: "i", CertIssuer: "https://o"}, ""},
		{"2 of 2", pull.Trust{Keys: []string{"a.pub", "b.pub"}, Threshold: 2}, ""},
		{"all by default", pull.Trust{Keys: []string{"a.pub", "b.pub"}}, ""},
		{"threshold 1 with one key", pull.Trust{Key: "a.pub", Threshold: 1}, ""},
		{"nothing", pull.Trust{}, "--key: no public key"},
		{"issuer alone", pull.Trust{CertIssuer: "https://o"}, "--certificate-identity and --certificate-oidc-issuer go together"},
		{"key and keys", pull.Trust{Key: "a.pub", Keys: []string{"b.pub", "c.pub"}}, `--key: a.pub and the k-of-n keys ["b.pub" "c.pub"] are both given`},
		{"keys and keyless", pull.Trust{Keys: []string{"b.pub", "c.pub"}, CertIdentity: "i", CertIssuer: "https://o"}, "--key: k-of-n keys and --certificate-identity are both given"},
		{"threshold too high", pull.Trust{Keys: []string{"a.pub", "b.pub"}, Threshold: 3}, "--threshold: 3, want 1 to 2"},
		{"threshold negative", pull.Trust{Keys: []string{"a.pub", "b.pub"}, Threshold: -1}, "--threshold: -1"},
		{"threshold with one key", pull.Trust{Key: "a.pub", Threshold: 2}, "--threshold: 2, but only one --key"},
		{"key twice", pull.Trust{Keys: []string{"a.pub", "a.pub"}}, "--key: a.pub given twice"},
	} {
		err := tc.trust.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Validate(%+v) = %v, want nil", tc.name, tc.trust, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: Validate(%+v) = %v, want %q", tc.name, tc.trust, err, tc.want)
		}
	}
}

// TestVerifyKOfN: a bundle CI signed is refused by a 2-of-2 policy, naming
// the missing key, until the release key co-signs it (bundle and
// attachments); then both keys, and each alone, accept it.
func TestVerifyKOfN(t *testing.T) {
	ctx := context.Background()
	ref, ciPub := published(t, "rw")
	releaseKey := filepath.Join(t.TempDir(), "release.key")
	releasePub, err := signing.Keygen(releaseKey, signing.Password{Set: true})
	if err != nil {
		t.Fatal(err)
	}
	both := pull.Trust{Keys: []string{ciPub, releasePub}, Threshold: 2}
	_, err = pull.Verify(ctx, pull.VerifyOptions{Ref: ref, Trust: both})
	if !errors.Is(err, signing.ErrThreshold) || !strings.Contains(err.Error(), "1 of 2 required keys signed (missing: "+releasePub+")") {
		t.Fatalf("Verify(signed by ci only, 2 of 2) = %v, want ErrThreshold naming %s", err, releasePub)
	}
	if _, err := pull.Verify(ctx, pull.VerifyOptions{Ref: ref, Trust: pull.Trust{Keys: both.Keys, Threshold: 1}}); err != nil {
		t.Errorf("Verify(signed by ci only, 1 of 2) = %v", err)
	}

	signer, err := signing.LoadSigner(releaseKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := publish.Sign(ctx, ref, signing.KeySigner{Key: signer})
	if err != nil {
		t.Fatal(err)
	}
	if len(signed) != 2 || signed[0].Digest != ref.Digest {
		t.Errorf("publish.Sign(%s) signed %v, want the bundle and its provenance", ref, signed)
	}
	v, err := pull.Verify(ctx, pull.VerifyOptions{Ref: ref, Trust: both})
	if err != nil {
		t.Fatalf("Verify(co-signed, 2 of 2) = %v", err)
	}
	if len(v.Attached) != 1 {
		t.Errorf("Verify(co-signed) attached %d documents, want 1", len(v.Attached))
	}
	for _, pub := range both.Keys {
		if _, err := pull.Verify(ctx, pull.VerifyOptions{Ref: ref, Trust: pull.Trust{Key: pub}}); err != nil {
			t.Errorf("Verify(co-signed, --key %s) = %v", pub, err)
		}
	}
	// Signing by tag is refused: what the release key vouches for must be
	// the digest it was shown.
	byTag := ref
	byTag.Digest, byTag.Tag = "", "latest"
	if _, err := publish.Sign(ctx, byTag, signing.KeySigner{Key: signer}); err == nil || !strings.Contains(err.Error(), "no digest") {
		t.Errorf("publish.Sign(%s) = %v, want no digest", byTag, err)
	}
}

// TestVerifyKOfNIndex: co-signing a multi-arch index signs each manifest
// it lists (and their attachments) too, so a 2-of-2 policy, which checks
// the index's and the platform manifest's signatures, accepts both
// platforms after it and neither before.
func TestVerifyKOfNIndex(t *testing.T) {
	ctx := context.Background()
	ref, ciPub := publishedDirs(t, bundletest.Write(t, "amd64 kernel", "rw"), bundletest.WriteArm64(t, "arm64 kernel", "rw"))
	releaseKey := filepath.Join(t.TempDir(), "release.key")
	releasePub, err := signing.Keygen(releaseKey, signing.Password{Set: true})
	if err != nil {
		t.Fatal(err)
	}
	both := pull.Trust{Keys: []string{ciPub, releasePub}, Threshold: 2}
	for _, arch := range []string{"amd64", "arm64"} {
		if _, err := pull.Verify(ctx, pull.VerifyOptions{Ref: ref, Trust: both, Arch: arch}); !errors.Is(err, signing.ErrThreshold) {
			t.Errorf("Verify --arch %s (signed by ci only, 2 of 2) = %v, want ErrThreshold", arch, err)
		}
	}
	signer, err := signing.LoadSigner(releaseKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := publish.Sign(ctx, ref, signing.KeySigner{Key: signer})
	if err != nil {
		t.Fatal(err)
	}
	if len(signed) != 5 || signed[0].Digest != ref.Digest {
		t.Errorf("publish.Sign(%s) signed %d manifests, want 5: the index, two bundles, their provenances", ref, len(signed))
	}
	for _, arch := range []string{"amd64", "arm64"} {
		if _, err := pull.Verify(ctx, pull.VerifyOptions{Ref: ref, Trust: both, Arch: arch}); err != nil {
			t.Errorf("Verify --arch %s (co-signed, 2 of 2) = %v", arch, err)
		}
	}
}
