package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestKOfN: a 2-of-2 policy (a CI key and a release key) refuses a bundle
// only CI signed, naming the missing key; once `rambox sign` adds the
// release key's signature the policy accepts it, and the real cosign
// accepts the doubly signed digest with either key alone.
func TestKOfN(t *testing.T) {
	requireE2E(t)
	c := newCLI(t) // cosign.key: the CI key
	cosign := need(t, "RAMBOX_COSIGN")
	if out, err := c.run("keygen", "--dir", "release"); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	const ci, release = "cosign.pub", "release/cosign.pub"
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			ref := c.publish(fakeBundle(t, "kofn-"+s.name), s.ref(t, "kofn-"+s.name))
			both := []string{"verify", "--key", ci, "--key", release, "--threshold", "2", ref}
			out, err := c.run(both...)
			if err == nil {
				t.Fatalf("verify 2 of 2 of a bundle only CI signed succeeded:\n%s", out)
			}
			if want := "1 of 2 required keys signed (missing: " + release + ")"; !strings.Contains(out, want) {
				t.Errorf("verify 2 of 2, CI only: %q, want it to say %q", out, want)
			}
			if out, err := c.run("verify", "--key", ci, "--key", release, "--threshold", "1", ref); err != nil {
				t.Errorf("verify 1 of 2, CI only: %v\n%s", err, out)
			}

			if out, err := c.run("sign", "--key", "release/cosign.key", ref); err != nil || out != ref {
				t.Fatalf("sign --key release/cosign.key %s = %q, %v; want the ref printed", ref, out, err)
			}
			// Signing again adds nothing and breaks nothing.
			if out, err := c.run("sign", "--key", "release/cosign.key", ref); err != nil {
				t.Fatalf("sign again: %v\n%s", err, out)
			}
			for _, args := range [][]string{
				both,
				{"verify", "--key", ci, "--key", release, ref}, // threshold: all of them
				{"verify", "--key", ci, ref},
				{"verify", "--key", release, ref},
			} {
				if out, err := c.run(args...); err != nil {
					t.Errorf("%s after the release key signed: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			if s.name != "registry" {
				return
			}
			for _, key := range []string{ci, release} {
				cmd := exec.Command(cosign, "verify", "--key", key, "--insecure-ignore-tlog=true", "--allow-http-registry", ref)
				cmd.Dir = c.dir
				// As TestPublishPull: a log key, so cosign fetches no
				// trust root from the network; the log is not used.
				cmd.Env = append(os.Environ(), "SIGSTORE_REKOR_PUBLIC_KEY="+filepath.Join(c.dir, ci), "TUF_ROOT="+t.TempDir())
				if o, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("cosign verify --key %s rejected the doubly signed %s: %v\n%s", key, ref, err, o)
				}
			}
		})
	}
}
