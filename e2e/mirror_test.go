package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"oras.land/oras-go/v2/errdef"
	orasregistry "oras.land/oras-go/v2/registry"

	"rambox/bundle"
	"rambox/ocibundle"
	"rambox/provenance"
	"rambox/sbom"
)

// TestMirror publishes a signed bundle with its SBOM and provenance to the
// loopback registry, mirrors it into an OCI layout and from there into
// another repository, and pulls each mirror with the ref `rambox mirror`
// printed and the --signed-identity it named: the attachments come along,
// verified. The real cosign accepts the mirrored signature; the real oras
// lists the mirrored referrers. A tampered source is refused and leaves
// DST empty.
func TestMirror(t *testing.T) {
	requireE2E(t)
	addr := os.Getenv("RAMBOX_REGISTRY_ADDR")
	if addr == "" {
		t.Fatal("RAMBOX_REGISTRY_ADDR is not set (just test starts the registry)")
	}
	cosign := need(t, "RAMBOX_COSIGN")
	c := newCLI(t)
	repo := func(name string) string { return addr + "/e2e/mirror-" + name + "-" + runNonce }

	dir := withSBOM(t, fakeBundle(t, "mirror"))
	srcRepo := repo("src")
	src := c.publish(dir, srcRepo+":latest")

	// registry -> layout
	layout := filepath.Join(t.TempDir(), "mirror")
	inLayout, hint := c.mirror(src, "oci:"+layout+":v1")
	digest := src[strings.Index(src, "@"):]
	if want := "oci:" + layout + digest; inLayout != want {
		t.Errorf("mirror into a layout printed %q, want %q", inLayout, want)
	}
	if want := "--signed-identity " + srcRepo; !strings.Contains(hint, want) {
		t.Errorf("mirror's stderr does not say %q:\n%s", want, hint)
	}
	c.checkMirror(dir, inLayout, srcRepo)

	// layout -> registry, another repository
	dstRepo := repo("dst")
	inRegistry, hint := c.mirror(inLayout, dstRepo+":v1", "--signed-identity", srcRepo)
	if want := dstRepo + digest; inRegistry != want {
		t.Errorf("mirror into a registry printed %q, want %q", inRegistry, want)
	}
	if want := "--signed-identity " + srcRepo; !strings.Contains(hint, want) {
		t.Errorf("mirror's stderr does not say %q:\n%s", want, hint)
	}
	c.checkMirror(dir, inRegistry, srcRepo)
	if out, err := c.run("verify", dstRepo+":v1", "--allow-tag", "--key", "cosign.pub", "--signed-identity", srcRepo); err != nil {
		t.Errorf("verify of the mirror's tag v1: %v\n%s", err, out)
	}

	// The real cosign checks the digest the payload names, not the
	// repository (docker-reference): the mirrored ref verifies as it is.
	cmd := exec.Command(cosign, "verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--allow-http-registry", inRegistry)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "SIGSTORE_REKOR_PUBLIC_KEY="+filepath.Join(c.dir, "cosign.pub"), "TUF_ROOT="+t.TempDir())
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("cosign verify of the mirror %s: %v\n%s", inRegistry, err, o)
	} else if !bytes.Contains(o, []byte(`"docker-reference":"`+srcRepo+`"`)) {
		t.Errorf("cosign verify of the mirror: the payload does not name %s:\n%s", srcRepo, o)
	}

	if oras := orasCLI(t); oras != "" {
		cmd := exec.Command(oras, "discover", "--plain-http", "--format", "tree", inRegistry)
		o, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("oras discover %s: %v\n%s", inRegistry, err, o)
		}
		for _, want := range []string{sbom.MediaType, provenance.MediaType} {
			if !bytes.Contains(o, []byte(want)) {
				t.Errorf("oras discover %s lists no %s referrer:\n%s", inRegistry, want, o)
			}
		}
	}

	t.Run("tampered source", func(t *testing.T) {
		bad := withSBOM(t, fakeBundle(t, "mirror-tampered"))
		srcLayout := filepath.Join(t.TempDir(), "src")
		ref := c.publish(bad, "oci:"+srcLayout+":latest")
		kernel, err := os.ReadFile(filepath.Join(bad, bundle.Kernel))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(srcLayout, "blobs/sha256", hexOf(string(kernel))), bytes.ToUpper(kernel), 0o644)

		dstRepo := repo("tampered")
		out, err := c.run("mirror", ref, dstRepo+":v1", "--key", "cosign.pub")
		if err == nil || !strings.Contains(out, "SRC") || !strings.Contains(out, bundle.Kernel) {
			t.Errorf("mirror of a tampered source: %v\n%s\nwant a refusal naming SRC and %s", err, out, bundle.Kernel)
		}
		r, _ := ocibundle.ParseRef(dstRepo)
		target, err := r.Open()
		if err != nil {
			t.Fatal(err)
		}
		if tags, err := orasregistry.Tags(context.Background(), target.(orasregistry.TagLister)); err == nil && len(tags) > 0 {
			t.Errorf("DST %s has tags %v after a refused mirror", dstRepo, tags)
		}
		pinned, _ := ocibundle.ParseRef(ref)
		if _, err := target.Resolve(context.Background(), pinned.Digest.String()); !errors.Is(err, errdef.ErrNotFound) {
			t.Errorf("DST %s resolves the refused bundle %s: %v", dstRepo, pinned.Digest, err)
		}

		layout := filepath.Join(t.TempDir(), "dst")
		if out, err := c.run("mirror", ref, "oci:"+layout, "--key", "cosign.pub"); err == nil {
			t.Errorf("mirror of a tampered source into a layout succeeded:\n%s", out)
		}
		if _, err := os.Stat(layout); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("DST layout %s exists after a refused mirror (%v)", layout, err)
		}
	})
}

// mirror runs `rambox mirror SRC DST --key cosign.pub ARGS...` and returns
// its one stdout line and its stderr.
func (c cli) mirror(src, dst string, args ...string) (ref, hint string) {
	c.t.Helper()
	cmd := exec.Command(c.bin, append([]string{"mirror", src, dst, "--key", "cosign.pub"}, args...)...)
	cmd.Dir = c.dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("mirror %s %s: %v\n%s%s", src, dst, err, out.String(), errb.String())
	}
	if lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"); len(lines) != 1 {
		c.t.Errorf("mirror %s %s printed %d lines on stdout, want the ref alone:\n%s", src, dst, len(lines), out.String())
	}
	return strings.TrimSpace(out.String()), errb.String()
}

// checkMirror pulls ref with --signed-identity identity and checks the
// TFTP root holds the bundle built in dir and the verified attachments
// are its SBOM and a provenance; without --signed-identity the mirror is
// refused, as its signatures name the original repository.
func (c cli) checkMirror(dir, ref, identity string) {
	t := c.t
	t.Helper()
	root := filepath.Join(t.TempDir(), "tftp")
	if out, err := c.run("pull", ref, "--key", "cosign.pub", "--signed-identity", identity, "--tftp-root", root); err != nil {
		t.Fatalf("pull %s --signed-identity %s: %v\n%s", ref, identity, err, out)
	}
	for _, f := range []string{bundle.Kernel, bundle.Initramfs} {
		want, _ := os.ReadFile(filepath.Join(dir, f))
		if got, err := os.ReadFile(filepath.Join(root, "current", f)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("pull %s: %s differs from the bundle's (%v)", ref, f, err)
		}
	}
	attached := t.TempDir()
	if out, err := c.run("verify", ref, "--key", "cosign.pub", "--signed-identity", identity, "--attachments", attached); err != nil {
		t.Fatalf("verify %s --attachments: %v\n%s", ref, err, out)
	}
	want, _ := os.ReadFile(filepath.Join(dir, sbom.File))
	if got, err := os.ReadFile(filepath.Join(attached, sbom.File)); err != nil || !bytes.Equal(got, want) {
		t.Errorf("mirror %s: the attached SBOM differs from the bundle's (%v)", ref, err)
	}
	if _, err := os.Stat(filepath.Join(attached, provenance.File)); err != nil {
		t.Errorf("mirror %s: no provenance attached: %v", ref, err)
	}
	if out, err := c.run("verify", ref, "--key", "cosign.pub"); err == nil || !strings.Contains(out, "signed for") {
		t.Errorf("verify %s without --signed-identity: %v\n%s\nwant a refusal naming the signed repository", ref, err, out)
	}
}

// withSBOM adds an SBOM to the bundle in dir (as a build writes one), so
// publish attaches it beside the provenance.
func withSBOM(t *testing.T, dir string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, sbom.File), []byte(`{"spdxVersion":"SPDX-2.3","name":"`+filepath.Base(dir)+`-`+runNonce+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	info, _, err := bundle.ReadInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := info.Describe(dir, append(append([]string{}, bundle.Outputs...), sbom.File)); err != nil {
		t.Fatal(err)
	}
	if err := info.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// orasCLI is the real oras CLI ($RAMBOX_ORAS, else oras on PATH). Outside
// CI a missing one skips the checks that need it; in CI it is an error.
func orasCLI(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("RAMBOX_ORAS"); p != "" {
		return p
	}
	if p, err := exec.LookPath("oras"); err == nil {
		return p
	}
	t.Fatal("the oras CLI is not installed: set RAMBOX_ORAS (just test runs ci/oras.sh) or put oras on PATH")
	return ""
}
