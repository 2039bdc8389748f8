package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"rambox/bundle"
	"rambox/ocibundle"
	"rambox/signing"
)

// store is where a test publishes: the loopback registry or a layout.
type store struct {
	name string
	// ref returns a fresh publish target for one test case.
	ref func(t *testing.T, name string) string
	// blobPath returns the file a store keeps a blob in, for tampering.
	blobPath func(t *testing.T, ref, hex string) string
}

func stores(t *testing.T) []store {
	registry := need(t, "RAMBOX_REGISTRY_DIR")
	addr := os.Getenv("RAMBOX_REGISTRY_ADDR")
	if addr == "" {
		t.Fatal("RAMBOX_REGISTRY_ADDR is not set (just test starts the registry)")
	}
	return []store{
		{"registry",
			func(t *testing.T, name string) string { return addr + "/e2e/" + strings.ToLower(name) + ":latest" },
			func(t *testing.T, _, hex string) string {
				return filepath.Join(registry, "data/docker/registry/v2/blobs/sha256", hex[:2], hex, "data")
			}},
		{"layout",
			func(t *testing.T, name string) string { return "oci:" + filepath.Join(t.TempDir(), "oci") + ":latest" },
			func(t *testing.T, ref, hex string) string {
				r, err := ocibundle.ParseRef(ref)
				if err != nil {
					t.Fatal(err)
				}
				return filepath.Join(r.Layout, "blobs/sha256", hex)
			}},
	}
}

// fakeBundle writes a small bundle whose bytes are unique to seed (the
// registry shares blobs across repositories; tampering must not leak
// between cases).
func fakeBundle(t *testing.T, seed string) string {
	t.Helper()
	// The registry outlives a test run, and a tampered blob would poison
	// the next run's identical bundle: every run's bytes are its own.
	seed += "-" + runNonce
	dir := t.TempDir()
	files := map[string]string{
		bundle.Kernel:        "kernel of " + seed,
		bundle.Initramfs:     "initramfs of " + seed + strings.Repeat(".", 4096),
		bundle.KernelConfig:  "CONFIG_SEED_" + strings.ToUpper(hexOf(seed)[:8]) + "=y\n",
		bundle.BusyboxConfig: "CONFIG_STATIC=y\n",
	}
	for n, b := range files {
		os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644)
	}
	info := &bundle.Info{SchemaVersion: 1, Profile: "e2e", KernelCmdline: "rw ip=dhcp rambox", SourceDateEpoch: 1700000000}
	if err := info.Describe(dir, bundle.Outputs); err != nil {
		t.Fatal(err)
	}
	if err := info.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

var runNonce = fmt.Sprint(time.Now().UnixNano())

func hexOf(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// snapshot lists every path, link target and file digest under dir.
func snapshot(t *testing.T, dir string) string {
	var lines []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			lines = append(lines, rel+" -> "+target)
		case d.Type().IsRegular():
			b, _ := os.ReadFile(p)
			lines = append(lines, rel+" "+hexOf(string(b)))
		default:
			lines = append(lines, rel+"/")
		}
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

type cli struct {
	t   *testing.T
	bin string
	dir string // working directory: holds cosign.key and cosign.pub
}

func (c cli) run(args ...string) (string, error) {
	out, err := c.runSplit(args...)
	if err != nil {
		return strings.TrimSpace(out.stdout + out.stderr), err
	}
	return strings.TrimSpace(out.stdout), nil
}

// split is a command's stdout and stderr, apart.
type split struct{ stdout, stderr string }

// runSplit runs the CLI as run does, keeping stderr apart from stdout.
func (c cli) runSplit(args ...string) (split, error) {
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=e2e")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return split{out.String(), errb.String()}, err
}

func (c cli) publish(bundleDir, to string) string {
	c.t.Helper()
	ref, err := c.run("publish", "--bundle", bundleDir, "--to", to, "--key", "cosign.key", "--revision", "e2e", "--source-url", "e2e")
	if err != nil {
		c.t.Fatalf("publish: %v\n%s", err, ref)
	}
	return ref
}

func newCLI(t *testing.T) cli {
	c := cli{t: t, bin: buildCLI(t), dir: t.TempDir()}
	if out, err := c.run("keygen"); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	return c
}

// TestPublishPull: publish is deterministic, pull by digest lays out the
// TFTP root byte for byte, the real cosign accepts the signature, and
// rollback returns to the previous bundle.
func TestPublishPull(t *testing.T) {
	requireE2E(t)
	c := newCLI(t)
	cosign := need(t, "RAMBOX_COSIGN")
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			to := s.ref(t, "pull-"+s.name)
			a := fakeBundle(t, "A-"+s.name)
			refA := c.publish(a, to)
			if again := c.publish(a, to); again != refA {
				t.Errorf("publishing the same outputs twice gave %s then %s", refA, again)
			}
			if !strings.Contains(refA, "@sha256:") {
				t.Fatalf("publish printed %q, want a pinned ref", refA)
			}
			root := filepath.Join(t.TempDir(), "tftp")
			out, err := c.run("pull", refA, "--key", "cosign.pub", "--tftp-root", root,
				"--inventory", filepath.Join(repoRoot(t), "pxe/testdata/nodes.yaml"))
			if err != nil {
				t.Fatalf("pull: %v\n%s", err, out)
			}
			for _, f := range []string{bundle.Kernel, bundle.Initramfs, bundle.KernelConfig} {
				want, _ := os.ReadFile(filepath.Join(a, f))
				got, err := os.ReadFile(filepath.Join(root, "current", f))
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s in the TFTP root differs from the bundle (%v)", f, err)
				}
			}
			for _, f := range []string{"pxelinux.0", "ldlinux.c32", "pxelinux.cfg/C0A818CB", "pxelinux.cfg/C0A818CC", "bzImage", "initramfs.cpio.gz"} {
				if _, err := os.Stat(filepath.Join(root, f)); err != nil {
					t.Errorf("TFTP root lacks %s: %v", f, err)
				}
			}
			cfg, _ := os.ReadFile(filepath.Join(root, "pxelinux.cfg/C0A818CB"))
			if !strings.Contains(string(cfg), "APPEND initrd=initramfs.cpio.gz rw ip=dhcp rambox") {
				t.Errorf("pxelinux.cfg/C0A818CB:\n%s", cfg)
			}
			if s.name == "registry" {
				cmd := exec.Command(cosign, "verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", "--allow-http-registry", refA)
				cmd.Dir = c.dir
				// A key for the transparency log, so cosign does not try
				// to fetch trust roots from the network; the log is not used.
				cmd.Env = append(os.Environ(), "SIGSTORE_REKOR_PUBLIC_KEY="+filepath.Join(c.dir, "cosign.pub"), "TUF_ROOT="+t.TempDir())
				if o, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("cosign verify rejected rambox's signature: %v\n%s", err, o)
				}
			}

			b := fakeBundle(t, "B-"+s.name)
			refB := c.publish(b, to)
			if out, err := c.run("pull", refB, "--key", "cosign.pub", "--tftp-root", root); err != nil {
				t.Fatalf("pull B: %v\n%s", err, out)
			}
			digestOf := func(ref string) string { return ref[strings.LastIndex(ref, ":")+1:] }
			if cur, _ := os.Readlink(filepath.Join(root, "current")); !strings.HasSuffix(cur, digestOf(refB)) {
				t.Errorf("current -> %s after pulling B", cur)
			}
			if out, err := c.run("rollback", "--tftp-root", root); err != nil {
				t.Fatalf("rollback: %v\n%s", err, out)
			}
			if cur, _ := os.Readlink(filepath.Join(root, "current")); !strings.HasSuffix(cur, digestOf(refA)) {
				t.Errorf("current -> %s after rollback, want A", cur)
			}
		})
	}
}

// TestTamperCorpus: every way a bundle can be wrong is refused, with the
// TFTP root (holding a good bundle) left exactly as it was.
func TestTamperCorpus(t *testing.T) {
	requireE2E(t)
	c := newCLI(t)
	otherKey := t.TempDir()
	if out, err := c.run("keygen", "--dir", otherKey); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	ctx := context.Background()
	for _, s := range stores(t) {
		type tamper struct {
			name string
			// prepare publishes and damages a bundle; returns the ref to pull
			// and the public key to pull with.
			prepare func(t *testing.T, to string) (ref, key string)
			want    string
		}
		blob := func(t *testing.T, ref, file, bundleDir string) string {
			b, _ := os.ReadFile(filepath.Join(bundleDir, file))
			return s.blobPath(t, ref, hexOf(string(b)))
		}
		manifestBlob := func(t *testing.T, ref string) string {
			return s.blobPath(t, ref, ref[strings.LastIndex(ref, ":")+1:])
		}
		cases := []tamper{
			{"unsigned", func(t *testing.T, to string) (string, string) {
				r, _ := ocibundle.ParseRef(to)
				target, _ := r.Open()
				d, err := ocibundle.Push(ctx, target, fakeBundle(t, "unsigned-"+s.name), ocibundle.Meta{})
				if err != nil {
					t.Fatal(err)
				}
				r.Digest = d.Digest
				return r.Pinned().String(), "cosign.pub"
			}, "bundle has no signature"},
			{"wrong key", func(t *testing.T, to string) (string, string) {
				return c.publish(fakeBundle(t, "wrongkey-"+s.name), to), filepath.Join(otherKey, "cosign.pub")
			}, "no signature verifies with this key"},
			{"signature of another digest", func(t *testing.T, to string) (string, string) {
				refA := c.publish(fakeBundle(t, "sigA-"+s.name), to)
				refB := c.publish(fakeBundle(t, "sigB-"+s.name), to)
				ra, _ := ocibundle.ParseRef(refA)
				rb, _ := ocibundle.ParseRef(refB)
				target, _ := ra.Open()
				sigB, err := target.Resolve(ctx, signing.SignatureTag(rb.Digest))
				if err != nil {
					t.Fatal(err)
				}
				if err := target.Tag(ctx, sigB, signing.SignatureTag(ra.Digest)); err != nil {
					t.Fatal(err)
				}
				return refA, "cosign.pub"
			}, "signature is for another digest"},
			{"layer blob replaced", func(t *testing.T, to string) (string, string) {
				dir := fakeBundle(t, "replaced-"+s.name)
				ref := c.publish(dir, to)
				p := blob(t, ref, bundle.Kernel, dir)
				b, _ := os.ReadFile(p)
				os.WriteFile(p, bytes.ToUpper(b), 0o644)
				return ref, "cosign.pub"
			}, bundle.Kernel},
			{"manifest edited", func(t *testing.T, to string) (string, string) {
				ref := c.publish(fakeBundle(t, "edited-"+s.name), to)
				p := manifestBlob(t, ref)
				b, _ := os.ReadFile(p)
				os.WriteFile(p, bytes.Replace(b, []byte("2023-11-14T22:13:20Z"), []byte("2023-11-14T22:13:21Z"), 1), 0o644)
				return ref, "cosign.pub"
			}, "digest"},
			{"truncated blob", func(t *testing.T, to string) (string, string) {
				dir := fakeBundle(t, "truncated-"+s.name)
				ref := c.publish(dir, to)
				p := blob(t, ref, bundle.Initramfs, dir)
				b, _ := os.ReadFile(p)
				os.WriteFile(p, b[:len(b)/2], 0o644)
				return ref, "cosign.pub"
			}, bundle.Initramfs},
			{"tag moved", func(t *testing.T, to string) (string, string) {
				refA := c.publish(fakeBundle(t, "movedA-"+s.name), to)
				c.publish(fakeBundle(t, "movedB-"+s.name), to) // takes the tag
				tag := to[strings.LastIndex(to, ":"):]
				return strings.Replace(refA, "@", tag+"@", 1), "cosign.pub"
			}, "tag points at another digest"},
		}
		for _, tc := range cases {
			t.Run(s.name+"/"+tc.name, func(t *testing.T) {
				to := s.ref(t, "tamper-"+s.name+"-"+strings.ReplaceAll(tc.name, " ", "-"))
				good := c.publish(fakeBundle(t, "good-"+tc.name+s.name), to)
				root := filepath.Join(t.TempDir(), "tftp")
				if out, err := c.run("pull", good, "--key", "cosign.pub", "--tftp-root", root); err != nil {
					t.Fatalf("pull of the good bundle: %v\n%s", err, out)
				}
				before := snapshot(t, root)
				ref, key := tc.prepare(t, to)
				out, err := c.run("pull", ref, "--key", key, "--tftp-root", root)
				if err == nil {
					t.Fatalf("pull of a tampered bundle (%s) succeeded:\n%s", tc.name, out)
				}
				if !strings.Contains(out, tc.want) {
					t.Errorf("error does not mention %q:\n%s", tc.want, out)
				}
				if after := snapshot(t, root); after != before {
					t.Errorf("the TFTP root changed although the pull failed:\nbefore:\n%s\nafter:\n%s", before, after)
				}
			})
		}
	}
}

// TestAttachments publishes the bundle `just test` built (which carries
// the build's SBOM) to both stores and reads its referrers back with
// `rambox verify --attachments`: the SBOM is the build's byte for byte,
// the provenance names the pinned manifest and every file, and both are
// signed with the bundle's key (bundle.TestAttach covers other keys and
// unsigned referrers).
func TestAttachments(t *testing.T) {
	requireE2E(t)
	built := need(t, "RAMBOX_TEST_BUNDLE_DIR")
	c := newCLI(t)
	for _, s := range stores(t) {
		t.Run(s.name, func(t *testing.T) {
			ref := c.publish(built, s.ref(t, "attach-"+t.Name()))
			dir := t.TempDir()
			out, err := c.run("verify", ref, "--key", "cosign.pub", "--attachments", dir)
			if err != nil {
				t.Fatalf("verify: %v\n%s", err, out)
			}
			want, err := os.ReadFile(filepath.Join(built, "sbom.spdx.json"))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := os.ReadFile(filepath.Join(dir, "sbom.spdx.json")); err != nil || !bytes.Equal(got, want) {
				t.Errorf("attached SBOM differs from the build's (%v)", err)
			}
			for _, w := range []string{`"name": "linux"`, `"name": "busybox"`, `"name": "toolchain-rootfs"`, `"versionInfo": "1.35.0"`} {
				if !bytes.Contains(want, []byte(w)) {
					t.Errorf("the build's SBOM lacks %s", w)
				}
			}
			prov, err := os.ReadFile(filepath.Join(dir, "provenance.slsa.json"))
			if err != nil {
				t.Fatal(err)
			}
			r, _ := ocibundle.ParseRef(ref)
			for _, w := range []string{`"https://slsa.dev/provenance/v1"`, `"` + r.Digest.Encoded() + `"`, `"name": "bzImage"`, `"name": "sbom.spdx.json"`} {
				if !bytes.Contains(prov, []byte(w)) {
					t.Errorf("provenance lacks %s:\n%s", w, prov)
				}
			}
		})
	}
}

// TestKeylessFailsClosed: trusting a keyless identity hands the check to
// the real cosign CLI; a bundle signed with a key only (and no network to
// the Sigstore services) is refused and the TFTP root is not touched.
// Keyless signing is refused for an OCI layout.
func TestKeylessFailsClosed(t *testing.T) {
	requireE2E(t)
	need(t, "RAMBOX_COSIGN")
	c := newCLI(t)
	s := stores(t)[0]
	ref := c.publish(fakeBundle(t, "keyless"), s.ref(t, "keyless"))
	root := t.TempDir()
	out, err := c.run("pull", ref, "--certificate-identity", "https://example.org/wf.yml@refs/heads/main",
		"--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "--tftp-root", root)
	if err == nil || !strings.Contains(out, "cosign verify") {
		t.Errorf("pull trusting a keyless identity of a key-signed bundle: %v\n%s", err, out)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("TFTP root written after a refused pull: %v", entries)
	}
	out, err = c.run("publish", "--bundle", fakeBundle(t, "keyless-oci"), "--to", "oci:"+t.TempDir()+":x", "--keyless")
	if err == nil || !strings.Contains(out, "keyless in a registry") {
		t.Errorf("keyless publish to a layout: %v\n%s", err, out)
	}
}
