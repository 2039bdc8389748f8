package stages

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"dagger.io/dagger"

	"rambox/sources"
)

// TestUKIReproducibleAndSigned builds the UKI of the test bundle twice,
// each with its own cache-bust (so both really run), and wants the same
// bytes; then signs it with OVMF's snakeoil db key and wants sbverify to
// accept it and `sbattach --remove` to give back the unsigned bytes (the
// sign step itself checks both, and so does this test, on the host).
// Needs the engine, the toolchain and RAMBOX_TEST_BUNDLE_DIR.
func TestUKIReproducibleAndSigned(t *testing.T) {
	if os.Getenv("RAMBOX_E2E") != "1" {
		t.Skip("needs the Dagger engine: set RAMBOX_E2E=1 (just test does)")
	}
	dir := os.Getenv("RAMBOX_TEST_BUNDLE_DIR")
	rootfs := filepath.Join(sources.DefaultCache().Dir, "toolchain", "bookworm")
	stub, err := os.ReadFile(filepath.Join(rootfs, UKIStub))
	if err != nil || dir == "" {
		t.Fatalf("stub %v, RAMBOX_TEST_BUNDLE_DIR %q (just test sets both up)", err, dir)
	}
	tmp := t.TempDir()
	key := filepath.Join(tmp, "db.key")
	const cert = "/usr/share/ovmf/PkKek-1-snakeoil.pem"
	if out, err := exec.Command("openssl", "pkey", "-in", "/usr/share/ovmf/PkKek-1-snakeoil.key", "-passin", "pass:snakeoil", "-out", key).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	ctx := context.Background()
	c, err := dagger.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	in := UKIInput{Osrel: "ID=rambox\n", Cmdline: "rw rambox"}
	var sections []UKISection
	for _, name := range UKIContents {
		n := map[string]int64{UKIOsrel: int64(len(in.Osrel)), UKICmdline: int64(len(in.Cmdline))}[name]
		if f := map[string]string{UKILinux: "bzImage", UKIInitrd: "initramfs.cpio.gz"}[name]; f != "" {
			fi, err := os.Stat(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			n = fi.Size()
		}
		sections = append(sections, UKISection{Name: name, Size: n})
	}
	if in.Layout, err = LayoutUKI(stub, sections); err != nil {
		t.Fatal(err)
	}
	r := Repro{SourceDateEpoch: 1700000000}
	kernel, initrd := c.Host().File(filepath.Join(dir, "bzImage")), c.Host().File(filepath.Join(dir, "initramfs.cpio.gz"))
	var built [2]string
	var uki *dagger.File
	for i, bust := range []string{"uki-test-a", "uki-test-b"} {
		tc := ToolchainContainer(c, Toolchain{RootfsDir: rootfs, CacheBust: bust + t.Name()})
		uki = UKI(c, tc, kernel, initrd, in, r)
		built[i] = filepath.Join(tmp, bust+".efi")
		if _, err := uki.Export(ctx, built[i]); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := os.ReadFile(built[0])
	b, _ := os.ReadFile(built[1])
	if !bytes.Equal(a, b) {
		t.Fatalf("two builds of the UKI differ: %s, %s", built[0], built[1])
	}
	keyPEM, _ := os.ReadFile(key)
	certPEM, _ := os.ReadFile(cert)
	tc := ToolchainContainer(c, Toolchain{RootfsDir: rootfs})
	signed := UKISign(c, tc, uki, c.SetSecret("uki-test-key", string(keyPEM)),
		c.Directory().WithNewFile("db.pem", string(certPEM)).File("db.pem"), r)
	signedPath := filepath.Join(tmp, "signed.efi")
	if _, err := signed.Export(ctx, signedPath); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("sbverify", "--cert", cert, signedPath).CombinedOutput(); err != nil {
		t.Fatalf("sbverify --cert %s: %v\n%s", cert, err, out)
	}
	if out, err := exec.Command("sbattach", "--remove", signedPath).CombinedOutput(); err != nil {
		t.Fatalf("sbattach --remove: %v\n%s", err, out)
	}
	if stripped, _ := os.ReadFile(signedPath); !bytes.Equal(stripped, a) {
		t.Errorf("the signed UKI without its signature is not the unsigned UKI")
	}
}
