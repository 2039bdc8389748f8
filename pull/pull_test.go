package pull_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oras.land/oras-go/v2"

	"rambox/bundle"
	"rambox/bundle/bundletest"
	"rambox/ocibundle"
	"rambox/provenance"
	"rambox/publish"
	"rambox/pull"
	"rambox/sbom"
	"rambox/signing"
	"rambox/tftproot"
)

// published publishes a fake bundle with the given kernel command line to
// a fresh OCI layout, signed with a fresh key, and returns its pinned ref
// and the public key's path.
func published(t *testing.T, cmdline string) (ocibundle.Ref, string) {
	t.Helper()
	return publishedDirs(t, bundletest.Write(t, "kernel", cmdline))
}

// publishedDirs publishes bundle directories (several: as an index) to
// a fresh layout, signed with a fresh key, and returns the pinned ref and
// the public key's path.
func publishedDirs(t *testing.T, dirs ...string) (ocibundle.Ref, string) {
	t.Helper()
	key := filepath.Join(t.TempDir(), "cosign.key")
	pub, err := signing.Keygen(key, signing.Password{Set: true})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signing.LoadSigner(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := publish.Run(context.Background(), publish.Options{
		Bundles: dirs,
		To:      ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "oci"), Tag: "latest"},
		Signer:  signing.KeySigner{Key: signer}, BuilderID: "urn:test"})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return res.Ref, pub
}

// bootloaders is a directory with fake pxelinux.0 and ldlinux.c32.
func bootloaders(t *testing.T) []string {
	dir := t.TempDir()
	for _, f := range tftproot.BootloaderFiles {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("fake "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []string{dir}
}

// TestPull publishes, pulls into a TFTP root and reads back the served
// kernel and default config.
func TestPull(t *testing.T) {
	ref, pub := published(t, "rw ip=dhcp")
	root := t.TempDir()
	res, err := pull.Pull(context.Background(), pull.Options{
		VerifyOptions: pull.VerifyOptions{Ref: ref, Trust: pull.Trust{Key: pub}},
		Root:          root, BootloaderDirs: bootloaders(t)})
	if err != nil {
		t.Fatalf("Pull: %v", err)
	}
	if res.Ref != ref {
		t.Errorf("Pull(%s).Ref = %s", ref, res.Ref)
	}
	if b, err := os.ReadFile(filepath.Join(root, tftproot.KernelFile)); err != nil || string(b) != "kernel" {
		t.Errorf("served %s = %q, %v, want %q", tftproot.KernelFile, b, err, "kernel")
	}
	cfg, err := os.ReadFile(filepath.Join(root, tftproot.ConfigDir, "default"))
	if err != nil || !strings.Contains(string(cfg), "rw ip=dhcp") {
		t.Errorf("default config = %q, %v", cfg, err)
	}
	if _, err := os.Stat(filepath.Join(res.Dir, bundle.InfoFile)); err != nil {
		t.Errorf("bundle dir: %v", err)
	}
}

// TestOptionsValidate names every missing flag at once.
func TestOptionsValidate(t *testing.T) {
	err := pull.Options{}.Validate()
	for _, want := range []string{"--tftp-root", "REF", "--key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Options{}.Validate() = %v, want it to name %s", err, want)
		}
	}
	err = pull.Trust{CertIdentity: "x"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "--certificate-oidc-issuer") {
		t.Errorf("Trust{CertIdentity}.Validate() = %v, want it to name --certificate-oidc-issuer", err)
	}
}

// TestVerify publishes and verifies a bundle with its SBOM-less
// attachments: the provenance comes back.
func TestVerify(t *testing.T) {
	ref, pub := published(t, "rw")
	v, err := pull.Verify(context.Background(), pull.VerifyOptions{Ref: ref, Trust: pull.Trust{Key: pub}})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if len(v.Attached) != 1 || v.Attached[0].ArtifactType != provenance.MediaType {
		t.Errorf("Verify(%s) attached %+v, want the provenance", ref, v.Attached)
	}
	dir := t.TempDir()
	if err := pull.WriteAttachments(dir, v.Attached); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, v.Attached[0].Name)); err != nil {
		t.Error(err)
	}
}

// TestVerifyIgnoresForeignReferrers: a referrer rambox does not define
// (a registry scanner's report) need not be signed; it is reported, not
// trusted. An unsigned SBOM is still refused.
func TestVerifyIgnoresForeignReferrers(t *testing.T) {
	ctx := context.Background()
	ref, pub := published(t, "rw")
	target, err := ref.Open()
	if err != nil {
		t.Fatal(err)
	}
	desc, err := target.Resolve(ctx, ref.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	report, err := ocibundle.Attach(ctx, target, desc, ocibundle.Attachment{ArtifactType: "application/vnd.example.scan-report+json", Name: "scan.json", Content: []byte(`{}`)}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	o := pull.VerifyOptions{Ref: ref, Trust: pull.Trust{Key: pub}}
	v, err := pull.Verify(ctx, o)
	if err != nil {
		t.Fatalf("Verify(%s) with an unsigned scanner report attached: %v", ref, err)
	}
	if len(v.Attached) != 1 {
		t.Errorf("Verify(%s) trusted %d attachments, want the provenance only", ref, len(v.Attached))
	}
	if len(v.Ignored) != 1 || v.Ignored[0].Digest != report.Digest {
		t.Errorf("Verify(%s) ignored %v, want %s", ref, v.Ignored, report.Digest)
	}
	if _, err := ocibundle.Attach(ctx, target, desc, ocibundle.Attachment{ArtifactType: sbom.MediaType, Name: sbom.File, Content: []byte(`{}`)}, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := pull.Verify(ctx, o); !errors.Is(err, signing.ErrUnsigned) {
		t.Errorf("Verify(%s) with an unsigned SBOM = %v, want ErrUnsigned", ref, err)
	}
}

// TestPullFromMirror: a bundle copied to another store is refused, since
// its signature names the original repository, unless the puller names
// that repository with SignedIdentity (--signed-identity).
func TestPullFromMirror(t *testing.T) {
	ctx := context.Background()
	ref, pub := published(t, "rw")
	src, err := ref.Open()
	if err != nil {
		t.Fatal(err)
	}
	mirror := ocibundle.Ref{Layout: filepath.Join(t.TempDir(), "mirror"), Digest: ref.Digest}
	dst, err := mirror.Open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oras.ExtendedCopy(ctx, src, ref.Digest.String(), dst, ref.Digest.String(), oras.DefaultExtendedCopyOptions); err != nil {
		t.Fatal(err)
	}
	sig := signing.SignatureTag(ref.Digest)
	if _, err := oras.Copy(ctx, src, sig, dst, sig, oras.DefaultCopyOptions); err != nil {
		t.Fatal(err)
	}
	o := pull.Options{VerifyOptions: pull.VerifyOptions{Ref: mirror, Trust: pull.Trust{Key: pub}}, Root: t.TempDir(), BootloaderDirs: bootloaders(t)}
	if _, err := pull.Pull(ctx, o); !errors.Is(err, signing.ErrOtherIdentity) {
		t.Errorf("Pull(%s) of a bundle signed for %s = %v, want ErrOtherIdentity", mirror, ref.Identity(), err)
	}
	if entries, _ := os.ReadDir(o.Root); len(entries) != 0 {
		t.Errorf("refused pull wrote %v", entries)
	}
	o.Trust.SignedIdentity = ref.Identity()
	if _, err := pull.Pull(ctx, o); err != nil {
		t.Errorf("Pull(%s) with SignedIdentity %s: %v", mirror, ref.Identity(), err)
	}
}
