package publish_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"oras.land/oras-go/v2/content"

	"rambox/bundle"
	"rambox/bundle/bundletest"
	"rambox/ocibundle"
	"rambox/publish"
	"rambox/signing"
)

// TestOptionsValidate names every problem at once.
func TestOptionsValidate(t *testing.T) {
	err := publish.Options{To: ocibundle.Ref{Layout: "oci", Digest: "sha256:00"}}.Validate()
	for _, want := range []string{"Bundle", "digest", "Signer", "BuilderID"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
	err = publish.Options{Bundles: []string{"b"}, To: ocibundle.Ref{Layout: "oci"}, Signer: signing.KeylessSigner{}, BuilderID: "b"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "keyless") {
		t.Errorf("keyless into a layout: Validate() = %v, want a keyless error", err)
	}
}

// TestRunRedactsSourceURL: a token in the git origin URL (or a pin's
// URL) is in neither the signed manifest's annotations nor the provenance.
func TestRunRedactsSourceURL(t *testing.T) {
	ctx := context.Background()
	dir := bundletest.Write(t, "kernel", "rw")
	info, _, err := bundle.ReadInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	info.Sources = []bundle.Source{{Name: "linux", File: "linux.tar.xz", SHA256: "00", URLs: []string{"https://u:PINTOKEN@example.org/linux.tar.xz"}}}
	if err := info.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "cosign.key")
	if _, err := signing.Keygen(key, signing.Password{Set: true}); err != nil {
		t.Fatal(err)
	}
	signer, err := signing.LoadSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := publish.Options{Bundles: []string{dir}, To: ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci")},
		Signer: signing.KeySigner{Key: signer}, BuilderID: "urn:test",
		SourceURL: "https://user:SECRETTOKEN@example.org/rambox.git", Revision: "r"}
	res, err := publish.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	target, err := o.To.Open()
	if err != nil {
		t.Fatal(err)
	}
	desc, err := target.Resolve(ctx, res.Ref.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := content.FetchAll(ctx, target, desc)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(manifest), "https://example.org/rambox.git") {
		t.Errorf("manifest %s lacks the redacted source URL", manifest)
	}
	recorded := map[string][]byte{"manifest": manifest}
	attached, _, err := ocibundle.Attachments(ctx, target, desc, publish.AttachmentTypes, signing.KeyVerifier{Key: signer, SignedIdentity: o.To.Identity()})
	if err != nil || len(attached) != len(res.Attachments) {
		t.Fatalf("Attachments: %d, %v; want %d", len(attached), err, len(res.Attachments))
	}
	for _, a := range attached {
		recorded[a.Name] = a.Content
	}
	for name, b := range recorded {
		for _, secret := range []string{"SECRETTOKEN", "PINTOKEN"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s records %s: %s", name, secret, b)
			}
		}
	}
}
