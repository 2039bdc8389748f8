package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"rambox/boot"
	"rambox/bundle"
	"rambox/selftest"
	"rambox/serve/servetest"
	"rambox/tftproot"
)

// The mixed rack: an amd64 node and an arm64 node, each in a group of its
// own, both groups pinned to one multi-arch index; the x86 group is the
// default one, so unknown clients boot its index too, by their
// architecture. The pool is one address.
var (
	rackAMD64 = serveNode{"ipxe01", "52:54:00:43:00:12", "10.43.0.12", "ipxe"}
	rackARM64 = serveNode{"arm01", "52:54:00:43:00:21", "10.43.0.21", "grub"}
	// rackUnknown is an arm64 client not in the inventory.
	rackUnknown = serveNode{"stranger", "52:54:00:43:00:99", "10.43.0.200", ""}
)

// writeRack writes the rack's inventory and a serve.yaml pinning both
// groups to ref, and returns serve.yaml's path.
func writeRack(t *testing.T, c cli, ref string) string {
	t.Helper()
	dir := t.TempDir()
	inv := "server:\n  ip: " + serveServer + "\n  subnet: 10.43.0.0\n  netmask: 255.255.255.0\n" +
		"  range: [" + rackUnknown.ip + ", " + rackUnknown.ip + "]\n  allow_unknown: true\nnodes:\n"
	for _, n := range []struct {
		serveNode
		arch string
	}{{rackAMD64, "amd64"}, {rackARM64, "arm64"}} {
		inv += fmt.Sprintf("  - {name: %s, mac: %q, ip: %s, hostname: %s.lab, boot: %s, arch: %s, cmdline: rambox.selftest}\n", n.name, n.mac, n.ip, n.name, n.boot, n.arch)
	}
	pub := filepath.Join(c.dir, "cosign.pub")
	y := fmt.Sprintf("inventory: nodes.yaml\ngroups:\n  - name: x86\n    default: true\n    bundle: %s\n    nodes: [%s]\n    trust: {key: %s}\n  - name: arm\n    bundle: %s\n    nodes: [%s]\n    trust: {key: %s}\n",
		ref, rackAMD64.name, pub, ref, rackARM64.name, pub)
	for name, s := range map[string]string{"nodes.yaml": inv, "serve.yaml": y} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "serve.yaml")
}

// publishIndex publishes the amd64 and arm64 bundles as one index into
// the OCI layout dir and returns the index's pinned ref and each
// platform's manifest digest.
func publishIndex(t *testing.T, c cli, amd, arm, dir string) (ref string, manifests map[string]string) {
	t.Helper()
	out, err := c.runSplit("publish", "--bundle", amd, "--bundle", arm, "--to", "oci:"+dir+":rack", "--key", "cosign.key", "--revision", "e2e", "--source-url", "e2e")
	if err != nil {
		t.Fatalf("publish: %v\n%s", err, out.stderr)
	}
	manifests = map[string]string{}
	for _, line := range strings.Split(out.stderr, "\n") {
		// "rambox publish: DIR as linux/ARCH: REF@DIGEST"
		if _, rest, ok := strings.Cut(line, " as linux/"); ok {
			arch, r, _ := strings.Cut(rest, ": ")
			manifests[arch] = r[strings.LastIndex(r, "@")+1:]
		}
	}
	if manifests["amd64"] == "" || manifests["arm64"] == "" {
		t.Fatalf("publish did not name both platforms' manifests:\n%s", out.stderr)
	}
	return strings.TrimSpace(out.stdout), manifests
}

// TestServeLabArm64: one `rambox serve`, both groups pinned to one
// multi-arch index. The arm64 node PXE-boots through AAVMF (option 93 =
// 11): GRUB's netboot image over TFTP, then its grub.cfg, and the arm64
// manifest's verified Image and initramfs over TFTP; its selftest passes
// and its report names the arm64 manifest. The amd64 node boots the
// amd64 manifest of the same index from the same serve. Then a serve
// whose layout has one byte of the arm64 Image changed refuses the arm64
// manifest, naming its layer, and goes on serving amd64: the amd64 node
// boots from it again. An arm64 client not in the inventory is picked out
// by its DHCP option 93 alone: it gets GRUB, grub/default.cfg, and the
// index's arm64 manifest (the x86 group is the default one); with the
// arm64 manifest tampered, unknown arm64 clients get nothing, and serve
// says why.
func TestServeLabArm64(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces and tap devices need root")
	}
	amd, arm := need(t, "RAMBOX_TEST_BUNDLE_DIR"), need(t, "RAMBOX_TEST_ARM64_BUNDLE_DIR")
	for _, f := range []string{boot.AAVMFCode, boot.AAVMFVars, "/usr/lib/grub/arm64-efi/monolithic/" + tftproot.GrubNetArm64File} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%v (ci/deps.sh installs qemu-efi-aarch64 and unpacks grub-efi-arm64-bin)", err)
		}
	}
	c := newCLI(t)
	layout := filepath.Join(t.TempDir(), "oci")
	ref, manifests := publishIndex(t, c, amd, arm, layout)
	config := writeRack(t, c, ref)

	l := newLab(t)
	l.serve(c, "full", "--config", config)
	start := time.Now()
	r := l.boot(rackARM64, boot.FirmwareAAVMF, "")
	armTime := time.Since(start)
	if got := bootedDigest(r.Fields["cmdline"]); got != manifests["arm64"] {
		t.Errorf("arm64 node booted %q, want the index's arm64 manifest %s", got, manifests["arm64"])
	}
	if v, why := r.Verdict(); v != selftest.Pass {
		t.Errorf("arm64 node: selftest %s: %v", v, why)
	}
	r = l.boot(rackAMD64, boot.FirmwareSeaBIOS, boot.NICROMiPXE)
	if got := bootedDigest(r.Fields["cmdline"]); got != manifests["amd64"] {
		t.Errorf("amd64 node booted %q, want the index's amd64 manifest %s", got, manifests["amd64"])
	}
	if log := l.log.String(); !logHas(log, "msg=dhcp", "mac="+rackARM64.mac, "bootfile="+tftproot.GrubNetArm64File) {
		t.Errorf("serve did not hand %s %s:\n%s", rackARM64.mac, tftproot.GrubNetArm64File, log)
	}
	// Its record: given the arm64 manifest (its Image fetched by digest
	// path over TFTP), booted it (the report), PASS.
	deadline := time.Now().Add(20 * time.Second)
	for n := nodeOf(l.snapshot(), rackARM64.name); n.Given != manifests["arm64"] || n.Booted != manifests["arm64"] || n.Result != "PASS"; n = nodeOf(l.snapshot(), rackARM64.name) {
		if time.Now().After(deadline) {
			t.Fatalf("status: arm64 node given %q, booted %q, result %q; want %s, %s, PASS", n.Given, n.Booted, n.Result, manifests["arm64"], manifests["arm64"])
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("arm64 node: AAVMF power-on -> selftest done in %.1fs", armTime.Seconds())

	// The unknown arm64 client boots no selftest (its command line is the
	// bundle's): its kernel's command line names what it was given, and
	// its /init comes up on the pool address.
	serial := l.bootUntil(rackUnknown, boot.FirmwareAAVMF, "rambox: /init ready", 150*time.Second)
	if !strings.Contains(serial, "rambox.bundle="+manifests["arm64"]) {
		keepLog(t, []byte(serial))
		t.Errorf("unknown arm64 client: its kernel command line does not name the index's arm64 manifest %s", manifests["arm64"])
	}
	if !strings.Contains(serial, "addr="+rackUnknown.ip) {
		keepLog(t, []byte(serial))
		t.Errorf("unknown arm64 client: the kernel's IP-Config does not show the pool address %s", rackUnknown.ip)
	}
	if log := l.log.String(); !logHas(log, "msg=dhcp", "mac="+rackUnknown.mac, "bootfile="+tftproot.GrubNetArm64File) {
		t.Errorf("serve did not hand unknown %s %s:\n%s", rackUnknown.mac, tftproot.GrubNetArm64File, log)
	}

	// One byte of the arm64 Image changed in the layout: the arm group's
	// pull fails naming the layer, the x86 group serves.
	image := findLayer(t, arm, bundle.KernelArm64)
	blob := filepath.Join(layout, "blobs", "sha256", image)
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(blob, b, 0o644); err != nil {
		t.Fatal(err)
	}
	l.cmd.Process.Signal(syscall.SIGTERM)
	l.cmd.Wait()
	// A new serve in the same namespace, with a fresh state directory:
	// no last good bundle to fall back on.
	l.state, l.log = t.TempDir(), &servetest.Log{}
	l.serve(c, "full", "--config", config)
	l.waitLog(image, 30*time.Second)
	deadline = time.Now().Add(30 * time.Second)
	for g := groupOf(l.snapshot(), "arm"); g.Serving != "" || !strings.Contains(g.Reason, image); g = groupOf(l.snapshot(), "arm") {
		if time.Now().After(deadline) {
			t.Fatalf("arm group with a tampered Image: serving %q, reason %q; want nothing served and a reason naming layer %s", g.Serving, g.Reason, image)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The default group serves its amd64 manifest, and unknown arm64
	// clients nothing: its log line says why, naming the layer.
	l.waitLog("unknown clients of another architecture get nothing", 30*time.Second)
	if log := l.log.String(); !logHas(log, "group=x86", "unknown clients of another architecture get nothing", image) {
		t.Errorf("serve's log does not say, naming layer %s, why unknown arm64 clients get nothing:\n%s", image, log)
	}
	// A group's status names the digest its config does: the index's.
	if g := groupOf(l.snapshot(), "x86"); g.Serving != ref[strings.LastIndex(ref, "@")+1:] {
		t.Errorf("x86 group beside a tampered arm64 manifest: serving %q, want the index %s", g.Serving, ref[strings.LastIndex(ref, "@")+1:])
	}
	l.boot(rackAMD64, boot.FirmwareSeaBIOS, boot.NICROMiPXE)
}

// bootUntil boots the client n with firmware from the lab's serve until
// its serial log shows marker, and returns that log. It fails the test
// when marker does not come within timeout.
func (l *lab) bootUntil(n serveNode, firmware, marker string, timeout time.Duration) string {
	l.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	serial := &markerWriter{marker: marker, seen: cancel}
	boot.Run(ctx, boot.Options{Netns: l.ns, Firmware: firmware, MAC: n.mac, Timeout: timeout, Serial: serial, Progress: testLogWriter{l.t}})
	log := serial.String()
	if !strings.Contains(log, marker) {
		keepLog(l.t, []byte(log))
		l.t.Fatalf("boot %s: no %q within %v\nserve's log:\n%s", n.name, marker, timeout, l.log)
	}
	return log
}

// markerWriter keeps what is written and calls seen once marker is in it.
type markerWriter struct {
	mu     sync.Mutex
	buf    strings.Builder
	marker string
	seen   func()
}

func (w *markerWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.marker) {
		w.seen()
	}
	return len(p), nil
}

func (w *markerWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// findLayer is the hex sha256 of file in the bundle directory dir, as
// bundle.json records it: its layer's blob name.
func findLayer(t *testing.T, dir, file string) string {
	t.Helper()
	info, _, err := bundle.ReadInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range info.Files {
		if f.Name == file {
			return f.SHA256
		}
	}
	t.Fatalf("%s: bundle.json lists no %s", dir, file)
	return ""
}
