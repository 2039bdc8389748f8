package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"rambox/bundle"
	"rambox/bundle/bundletest"
)

// TestPublishMultiArch: `rambox publish` of an amd64 and an arm64 bundle
// into the registry makes an index the real oras CLI reads with both
// platforms, which the real cosign verifies (the index and each
// manifest); `rambox verify --arch` picks each platform's bundle and
// `rambox pull --arch arm64` lays out the arm64 one.
func TestPublishMultiArch(t *testing.T) {
	requireE2E(t)
	c := newCLI(t)
	cosign, oras := need(t, "RAMBOX_COSIGN"), orasCLI(t)
	addr := os.Getenv("RAMBOX_REGISTRY_ADDR")
	if addr == "" {
		t.Fatal("RAMBOX_REGISTRY_ADDR is not set (just test starts the registry)")
	}
	amd, arm := fakeBundle(t, "multiarch-amd64"), bundletest.WriteArm64(t, "arm64 kernel of "+runNonce, "rw")
	ref, err := c.run("publish", "--bundle", amd, "--bundle", arm, "--to", addr+"/e2e/multiarch:latest", "--key", "cosign.key", "--revision", "e2e", "--source-url", "e2e")
	if err != nil {
		t.Fatalf("publish: %v\n%s", err, ref)
	}
	out, err := exec.Command(oras, "manifest", "fetch", "--plain-http", ref).Output()
	if err != nil {
		t.Fatalf("oras manifest fetch %s: %v", ref, err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(out, &idx); err != nil || idx.MediaType != ocispec.MediaTypeImageIndex || len(idx.Manifests) != 2 {
		t.Fatalf("oras manifest fetch %s: %v\n%s", ref, err, out)
	}
	repo, _, _ := strings.Cut(ref, "@")
	signed := []string{ref}
	for i, want := range []string{"amd64", "arm64"} {
		d := idx.Manifests[i]
		if d.Platform == nil || d.Platform.OS != "linux" || d.Platform.Architecture != want {
			t.Errorf("index manifest %d: platform %+v, want linux/%s", i, d.Platform, want)
		}
		signed = append(signed, repo+"@"+d.Digest.String())
		if out, err := c.run("verify", "--key", "cosign.pub", "--arch", want, ref); err != nil || !strings.Contains(out, d.Digest.String()) {
			t.Errorf("rambox verify --arch %s %s: %v\n%s", want, ref, err, out)
		}
	}
	root := filepath.Join(t.TempDir(), "tftp")
	if out, err := c.run("pull", ref, "--key", "cosign.pub", "--arch", "arm64", "--tftp-root", root); err != nil || !strings.Contains(out, "picked from index") {
		t.Errorf("rambox pull --arch arm64 %s: %v\n%s", ref, err, out)
	}
	if got, err := os.ReadFile(filepath.Join(root, "current", bundle.KernelArm64)); err != nil || string(got) != "arm64 kernel of "+runNonce {
		t.Errorf("pull --arch arm64: %s in the TFTP root: %q, %v", bundle.KernelArm64, got, err)
	}
	for _, r := range signed {
		cmd := exec.Command(cosign, "verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--allow-http-registry", r)
		cmd.Dir = c.dir
		cmd.Env = append(os.Environ(), "SIGSTORE_REKOR_PUBLIC_KEY="+filepath.Join(c.dir, "cosign.pub"), "TUF_ROOT="+t.TempDir())
		if o, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("cosign verify %s: %v\n%s", r, err, o)
		}
	}
}
