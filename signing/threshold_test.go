package signing

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/signature"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"

	"rambox/ocibundle"
)

// newKey is a fresh ECDSA P-256 key, cosign's kind, without the scrypt
// of an encrypted key file.
func newKey(t *testing.T) signature.SignerVerifier {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return sv
}

// newSubject makes an OCI layout in a temp dir holding one manifest to
// sign, and returns its ref, store and descriptor.
func newSubject(t *testing.T) (ocibundle.Ref, *oci.Store, ocispec.Descriptor) {
	t.Helper()
	dir := t.TempDir()
	store, err := oci.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := oras.PackManifest(context.Background(), store, oras.PackManifestVersion1_1, "application/vnd.rambox.test", oras.PackManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ocibundle.Ref{Layout: dir}, store, desc
}

func sign(t *testing.T, store *oci.Store, ref ocibundle.Ref, subject ocispec.Descriptor, key signature.Signer) {
	t.Helper()
	if err := (KeySigner{Key: key}).Sign(context.Background(), store, ref, subject); err != nil {
		t.Fatal(err)
	}
}

// sigLayers counts the signature layers stored for subject.
func sigLayers(t *testing.T, store *oci.Store, subject ocispec.Descriptor) int {
	t.Helper()
	sigs, err := readSignatures(context.Background(), store, subject)
	if err != nil {
		t.Fatal(err)
	}
	return len(sigs)
}

// TestSignAppends: a second key's signature joins the first one's in the
// .sig manifest (cosign's layout), so each key alone still verifies, and
// the same key signing again adds nothing.
func TestSignAppends(t *testing.T) {
	ctx := context.Background()
	ref, store, subject := newSubject(t)
	a, b := newKey(t), newKey(t)
	sign(t, store, ref, subject, a)
	sign(t, store, ref, subject, b)
	sign(t, store, ref, subject, a)
	if n := sigLayers(t, store, subject); n != 2 {
		t.Errorf("after signing with a, b, a: %d signature layers, want 2", n)
	}
	for name, k := range map[string]signature.Verifier{"a": a, "b": b} {
		if err := (KeyVerifier{Key: k, SignedIdentity: ref.Identity()}).Verify(ctx, store, subject); err != nil {
			t.Errorf("KeyVerifier(%s) = %v, want nil", name, err)
		}
	}
	if err := (KeyVerifier{Key: newKey(t), SignedIdentity: ref.Identity()}).Verify(ctx, store, subject); !errors.Is(err, ErrBadSignature) {
		t.Errorf("KeyVerifier(unrelated key) = %v, want ErrBadSignature", err)
	}
	// The config's diff_ids list every layer, as cosign's do.
	desc, err := store.Resolve(ctx, SignatureTag(subject.Digest))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := ocibundle.FetchLimited(ctx, store, desc, ocibundle.MaxManifestSize)
	var m ocispec.Manifest
	json.Unmarshal(raw, &m)
	cfg, _ := ocibundle.FetchLimited(ctx, store, m.Config, ocibundle.MaxManifestSize)
	var c struct {
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	json.Unmarshal(cfg, &c)
	if len(c.RootFS.DiffIDs) != len(m.Layers) {
		t.Errorf("signature config diff_ids %q for %d layers", c.RootFS.DiffIDs, len(m.Layers))
	}
}

func TestThresholdVerifier(t *testing.T) {
	ctx := context.Background()
	ci, release, other := newKey(t), newKey(t), newKey(t)
	for _, tc := range []struct {
		name      string
		signers   []signature.Signer
		identity  string // signed for; default the layout's
		keys      []signature.Verifier
		names     []string
		threshold int
		missing   string // "" means it must pass
	}{
		{"both", []signature.Signer{ci, release}, "", []signature.Verifier{ci, release}, []string{"ci.pub", "release.pub"}, 2, ""},
		{"order does not matter", []signature.Signer{release, ci}, "", []signature.Verifier{ci, release}, []string{"ci.pub", "release.pub"}, 2, ""},
		{"only ci", []signature.Signer{ci}, "", []signature.Verifier{ci, release}, []string{"ci.pub", "release.pub"}, 2, "1 of 2 required keys signed (missing: release.pub)"},
		{"only release", []signature.Signer{release}, "", []signature.Verifier{ci, release}, []string{"ci.pub", "release.pub"}, 2, "1 of 2 required keys signed (missing: ci.pub)"},
		{"unrelated key does not count", []signature.Signer{ci, other}, "", []signature.Verifier{ci, release}, []string{"ci.pub", "release.pub"}, 2, "1 of 2 required keys signed (missing: release.pub)"},
		{"same key under two names counts once", []signature.Signer{ci}, "", []signature.Verifier{ci, ci}, []string{"ci.pub", "copy-of-ci.pub"}, 2, "1 of 2 required keys signed"},
		{"1 of 2", []signature.Signer{release}, "", []signature.Verifier{ci, release}, []string{"ci.pub", "release.pub"}, 1, ""},
		{"2 of 3", []signature.Signer{ci, other}, "", []signature.Verifier{ci, release, other}, []string{"ci.pub", "release.pub", "other.pub"}, 2, ""},
		{"signed for another repository", []signature.Signer{ci, release}, "reg.example/evil", []signature.Verifier{ci, release}, []string{"ci.pub", "release.pub"}, 1, "0 of 1 required keys signed (missing: ci.pub, release.pub)"},
		{"unsigned", nil, "", []signature.Verifier{ci, release}, []string{"ci.pub", "release.pub"}, 2, "bundle has no signature"},
	} {
		ref, store, subject := newSubject(t)
		signed := ref
		if tc.identity != "" {
			signed = ocibundle.Ref{Repo: tc.identity}
		}
		for _, s := range tc.signers {
			sign(t, store, signed, subject, s)
		}
		v := ThresholdVerifier{Keys: tc.keys, Names: tc.names, Threshold: tc.threshold, SignedIdentity: ref.Identity()}
		err := v.Verify(ctx, store, subject)
		switch {
		case tc.missing == "" && err != nil:
			t.Errorf("%s: Verify = %v, want nil", tc.name, err)
		case tc.missing == "":
		case err == nil:
			t.Errorf("%s: Verify = nil, want %q", tc.name, tc.missing)
		case !strings.Contains(err.Error(), tc.missing):
			t.Errorf("%s: Verify = %q, want it to contain %q", tc.name, err, tc.missing)
		case tc.signers != nil && !errors.Is(err, ErrThreshold):
			t.Errorf("%s: Verify = %v, want ErrThreshold", tc.name, err)
		}
	}
}

// TestThresholdVerifierSameKeyTwice: two signature layers by one key (as
// another tool, without rambox's dedup, might store) are one signer.
func TestThresholdVerifierSameKeyTwice(t *testing.T) {
	ctx := context.Background()
	ref, store, subject := newSubject(t)
	ci, release := newKey(t), newKey(t)
	sign(t, store, ref, subject, ci)
	// A second, different ECDSA signature by ci, appended by hand.
	desc, err := store.Resolve(ctx, SignatureTag(subject.Digest))
	if err != nil {
		t.Fatal(err)
	}
	_, layers, err := signatureLayers(ctx, store, subject)
	if err != nil {
		t.Fatal(err)
	}
	dup := layers[0]
	sigs, _ := readSignatures(ctx, store, subject)
	second, err := ci.SignMessage(strings.NewReader(string(sigs[0].payload)))
	if err != nil {
		t.Fatal(err)
	}
	dup.Annotations = map[string]string{SignatureAnnotation: encode(second)}
	raw, _ := ocibundle.FetchLimited(ctx, store, desc, ocibundle.MaxManifestSize)
	var m ocispec.Manifest
	json.Unmarshal(raw, &m)
	m.Layers = append(m.Layers, dup)
	b, _ := json.Marshal(m)
	mdesc, err := oras.PushBytes(ctx, store, ocispec.MediaTypeImageManifest, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Tag(ctx, mdesc, SignatureTag(subject.Digest)); err != nil {
		t.Fatal(err)
	}
	if n := sigLayers(t, store, subject); n != 2 {
		t.Fatalf("%d signature layers, want 2", n)
	}
	v := ThresholdVerifier{Keys: []signature.Verifier{ci, release}, Names: []string{"ci.pub", "release.pub"}, Threshold: 2, SignedIdentity: ref.Identity()}
	if err := v.Verify(ctx, store, subject); !errors.Is(err, ErrThreshold) || !strings.Contains(err.Error(), "1 of 2") {
		t.Errorf("Verify(two signatures by ci) = %v, want 1 of 2 and ErrThreshold", err)
	}
}

func TestThresholdVerifierInvalid(t *testing.T) {
	ctx := context.Background()
	ref, store, subject := newSubject(t)
	k := newKey(t)
	for _, v := range []ThresholdVerifier{
		{Names: nil, Threshold: 1, SignedIdentity: ref.Identity()},
		{Keys: []signature.Verifier{k}, Names: []string{"a", "b"}, Threshold: 1, SignedIdentity: ref.Identity()},
		{Keys: []signature.Verifier{k}, Names: []string{"a"}, Threshold: 0, SignedIdentity: ref.Identity()},
		{Keys: []signature.Verifier{k}, Names: []string{"a"}, Threshold: 2, SignedIdentity: ref.Identity()},
		{Keys: []signature.Verifier{k}, Names: []string{"a"}, Threshold: 1},
	} {
		if err := v.Verify(ctx, store, subject); err == nil {
			t.Errorf("Verify with %d keys, %d names, threshold %d, identity %q = nil, want an error", len(v.Keys), len(v.Names), v.Threshold, v.SignedIdentity)
		}
	}
}

func encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
