package ocibundle_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"rambox/bundle/bundletest"
	"rambox/ocibundle"
	"rambox/signing"
)

// TestAttach stores two signed attachments and one unsigned one as
// referrers of a bundle in an OCI layout, reopens the layout from disk and
// lists them: the signed ones come back byte for byte, the unsigned one
// (or any with another key) is an error naming it, and attaching the same
// document twice gives one referrer.
func TestAttach(t *testing.T) {
	ctx := context.Background()
	dir := bundletest.Write(t, "kernel", "rw ip=dhcp")
	keyPath := filepath.Join(t.TempDir(), "cosign.key")
	pubPath, _ := signing.Keygen(keyPath, signing.Password{Set: true})
	signer, _ := signing.LoadSigner(keyPath, nil)
	verifier, _ := signing.LoadVerifier(pubPath)
	ref := ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci")}
	target, err := ref.Open()
	if err != nil {
		t.Fatal(err)
	}
	desc, err := ocibundle.Push(ctx, target, dir, ocibundle.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	created := time.Unix(1700000000, 0)
	types := []string{"application/spdx+json", "application/vnd.in-toto+json"}
	docs := []ocibundle.Attachment{
		{ArtifactType: "application/spdx+json", Name: "sbom.spdx.json", Content: []byte(`{"spdxVersion":"SPDX-2.3"}`)},
		{ArtifactType: "application/vnd.in-toto+json", Name: "provenance.slsa.json", Content: []byte(`{"_type":"x"}`),
			Annotations: map[string]string{ocibundle.AnnotationPredicateType: "https://slsa.dev/provenance/v1"}},
	}
	var first ocispec.Descriptor
	for i, a := range docs {
		d, err := ocibundle.Attach(ctx, target, desc, a, created)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = d
		}
		if err := (signing.KeySigner{Key: signer}).Sign(ctx, target, ref, d); err != nil {
			t.Fatal(err)
		}
	}
	if again, err := ocibundle.Attach(ctx, target, desc, docs[0], created); err != nil || again.Digest != first.Digest {
		t.Errorf("attaching the same SBOM again: %v, %v; want %s", again.Digest, err, first.Digest)
	}

	reopened, err := ref.Open()
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := ocibundle.Attachments(ctx, reopened, desc, types, signing.KeyVerifier{Key: verifier, SignedIdentity: ref.Identity()})
	if err != nil {
		t.Fatalf("Attachments: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("%d attachments, want 2", len(got))
	}
	byName := map[string]ocibundle.Attached{}
	for _, a := range got {
		byName[a.Name] = a
	}
	for _, want := range docs {
		a := byName[want.Name]
		if string(a.Content) != string(want.Content) || a.ArtifactType != want.ArtifactType {
			t.Errorf("%s came back as %q (%s)", want.Name, a.Content, a.ArtifactType)
		}
	}
	if only, _, err := ocibundle.Attachments(ctx, reopened, desc, types[:1], signing.KeyVerifier{Key: verifier, SignedIdentity: ref.Identity()}); err != nil || len(only) != 1 {
		t.Errorf("filtered by type: %d, %v", len(only), err)
	}

	otherPub, _ := signing.Keygen(filepath.Join(t.TempDir(), "cosign.key"), signing.Password{Set: true})
	other, _ := signing.LoadVerifier(otherPub)
	if _, _, err := ocibundle.Attachments(ctx, reopened, desc, types, signing.KeyVerifier{Key: other, SignedIdentity: ref.Identity()}); !errors.Is(err, signing.ErrBadSignature) {
		t.Errorf("with another key: %v, want ErrBadSignature", err)
	}
	forged, err := ocibundle.Attach(ctx, reopened, desc, ocibundle.Attachment{ArtifactType: "application/spdx+json", Name: "sbom.spdx.json", Content: []byte("forged")}, created)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ocibundle.Attachments(ctx, reopened, desc, types, signing.KeyVerifier{Key: verifier, SignedIdentity: ref.Identity()})
	if !errors.Is(err, signing.ErrUnsigned) || !strings.Contains(err.Error(), forged.Digest.String()) {
		t.Errorf("an unsigned referrer: %v, want ErrUnsigned naming %s", err, forged.Digest)
	}
}
