package e2e

import (
	"bytes"
	"context"
	"debug/pe"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"rambox/boot"
	"rambox/bundle"
	"rambox/selftest"
	"rambox/serve"
	"rambox/serve/bootfs"
	"rambox/serve/records"
)

// ukiNode boots its bundle's UKI (boot: uki).
var ukiNode = serveNode{"uki01", "52:54:00:43:00:21", "10.43.0.21", "uki"}

// firmwareRefused is how OVMF's boot manager reports a boot option whose
// image it would not start: LoadImage of an image whose signature is
// missing or not in db fails with EFI_ACCESS_DENIED ("Access Denied"), or
// StartImage of one deferred with EFI_SECURITY_VIOLATION ("Security
// Violation"), e.g. `BdsDxe: failed to load Boot0001 "UEFI PXEv4 (MAC:...)"
// from ...: Access Denied`.
var firmwareRefused = regexp.MustCompile(`BdsDxe: failed to (load|start) Boot[0-9A-F]{4} "UEFI (PXEv4|HTTPv4)[^"]*" from .*: (Access Denied|Security Violation)`)

const kernelBanner = "Linux version"

// TestServeLabSecureBoot is issue 15 on the network: OVMF with Secure Boot
// on (the snakeoil key in PK, KEK and db) boots the signed UKI from
// `rambox serve` alone, loaded by the firmware's own UEFI PXE over TFTP
// (boot: uki gets uki/<mac>.efi; no iPXE, which is unsigned and which
// this firmware refuses). The selftest passes and says secure_boot=on.
// The UKI's command line is the signed one (the stub ignores any other
// under Secure Boot), so the bundle must carry rambox.selftest on its own
// command line: RAMBOX_TEST_SELFTEST_BUNDLE_DIR, which `just test` builds
// beside RAMBOX_TEST_BUNDLE_DIR.
//
// Then the same firmware, through the same server path, must refuse three
// UKIs made in the test from the bundle's: unsigned (sbattach --remove,
// which must give the bundle's recorded unsigned UKI), signed with a key
// not in db, and signed with one byte of its .initrd changed. serve checks
// the cosign signature of what it serves, so each variant goes out as a
// bundle of its own, published and cosign-signed with the test's key: it
// stands for whatever reaches the firmware once everything before it was
// got past (bytes swapped on the unauthenticated TFTP or HTTP wire, or a
// bundle signed by a stolen cosign key). Nothing but the firmware's db
// check stands between such bytes and the boot, which is what is tested.
// A refusal is the firmware's own message in the serial log and no
// kernel banner; the run ends when the firmware gives up.
func TestServeLabSecureBoot(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces and tap devices need root")
	}
	bundleDir := need(t, "RAMBOX_TEST_SELFTEST_BUNDLE_DIR")
	for _, f := range []string{boot.OVMFSecureBootCode, boot.OVMFSecureBootVars, boot.OVMFSnakeoilCert} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%v (ci/deps.sh installs ovmf)", err)
		}
	}
	for _, tool := range []string{"sbattach", "sbsign", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s: %v (ci/deps.sh installs sbsigntool)", tool, err)
		}
	}
	info, _, err := bundle.ReadInfo(bundleDir)
	if err != nil {
		t.Fatal(err)
	}
	if info.UKI == nil || !info.UKI.Signed || !strings.Contains(info.KernelCmdline, "rambox.selftest") {
		t.Fatalf("%s: want a signed UKI whose command line (%q) holds rambox.selftest: build it with --cmdline and --secureboot-key as just test does", bundleDir, info.KernelCmdline)
	}
	signed, err := os.ReadFile(filepath.Join(bundleDir, bundle.UKI))
	if err != nil {
		t.Fatal(err)
	}
	variants := ukiVariants(t, signed, info.UKI.UnsignedSHA256)

	c := newCLI(t)
	layout := "oci:" + filepath.Join(t.TempDir(), "oci")
	ref, bundleFile := c.publishToFile(t, bundleDir, layout+":signed")
	l := startLab(t, c, bundleFile, writeNodesInventory(t, ukiNode))
	mac, _ := net.ParseMAC(ukiNode.mac)
	given := map[string]string{} // digest -> which UKI

	// (1) The signed UKI, loaded by the firmware's PXE over TFTP; (2) by
	// UEFI HTTP Boot (the firmware's PXE off), from serve's HTTP.
	for _, tc := range []struct {
		name     string
		httpBoot bool
		bootfile string
	}{
		{"signed-pxe-tftp", false, bootfs.UKIName(mac)},
		{"signed-http-boot", true, "http://" + serveServer + ":80/" + bootfs.UKIName(mac)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l.t = t
			start := time.Now()
			res, err := boot.Run(context.Background(), boot.Options{Netns: l.ns, Firmware: boot.FirmwareOVMFSecureBoot, NICROM: boot.NICROMNone,
				HTTPBoot: tc.httpBoot, MAC: ukiNode.mac, Timeout: 120 * time.Second, Progress: testLogWriter{t}})
			if err != nil {
				if res != nil {
					keepLog(t, res.Log)
				}
				t.Fatalf("boot: %v\nserve's log:\n%s", err, l.log)
			}
			r, err := selftest.Parse(res.Log)
			if err != nil {
				keepLog(t, res.Log)
				t.Fatalf("selftest: %v", err)
			}
			if r.Result() != selftest.Pass || r.SecureBoot() != selftest.SecureBootOn || r.Fields["eth0_ip"] != ukiNode.ip {
				keepLog(t, res.Log)
				t.Errorf("selftest result=%s secure_boot=%q eth0_ip=%s, want PASS, on, %s", r.Result(), r.SecureBoot(), r.Fields["eth0_ip"], ukiNode.ip)
			}
			if !logHas(l.log.String(), "msg=dhcp", "mac="+ukiNode.mac, "bootfile="+tc.bootfile+" ") {
				t.Errorf("serve did not hand %s %s:\n%s", ukiNode.mac, tc.bootfile, l.log)
			}
			given[digestHex(ref)] = "signed"
			t.Logf("Secure Boot, signed UKI: selftest %s, secure_boot=%s in %.1fs: %s", r.Result(), r.SecureBoot(), time.Since(start).Seconds(), boot.FormatMarks(res.Marks))
		})
	}

	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			l.t = t
			dir := withUKI(t, bundleDir, v.uki)
			vref := c.publish(dir, layout+":"+v.name)
			since := len(l.log.String())
			if err := os.WriteFile(bundleFile, []byte(vref+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			l.cmd.Process.Signal(syscall.SIGHUP)
			l.waitLogSince(since, "digest=sha256:"+digestHex(vref), 60*time.Second)
			given[digestHex(vref)] = v.name
			refusal, elapsed := bootRefused(t, l)
			t.Logf("%s UKI refused by the firmware after %.1fs: %s", v.name, elapsed.Seconds(), refusal)
		})
	}

	// The node's record: every UKI it fetched counts as it being given
	// that bundle, the refused ones too (the firmware had them whole).
	l.cmd.Process.Signal(syscall.SIGTERM)
	l.cmd.Wait()
	l.cmd = &exec.Cmd{}
	store, err := records.Open(filepath.Join(l.state, serve.RecordsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h, err := store.History(mac, 0)
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	files := 0
	for _, e := range h {
		switch {
		case e.Kind == records.KindGiven:
			recorded[strings.TrimPrefix(e.Detail, "sha256:")] = true
		case e.Kind == records.KindFile && e.Detail == bootfs.UKIName(mac):
			files++
		}
	}
	for d, what := range given {
		if !recorded[d] {
			t.Errorf("%s's record has no given sha256:%s (the %s UKI); history: %v", ukiNode.name, d, what, h)
		}
	}
	if files < len(given) {
		t.Errorf("%s's record has %d fetches of %s, want at least %d", ukiNode.name, files, bootfs.UKIName(mac), len(given))
	}
}

// bootRefused boots the lab's uki node under Secure Boot until the
// firmware refuses the image its PXE loaded (firmwareRefused), and returns
// that line. The kernel banner before it, or no refusal within 120 s,
// fails the test. (The firmware would go on to its PXE over IPv6, a
// minute of DHCPv6, and HTTP Boot, which fetches the same UKI.)
func bootRefused(t *testing.T, l *lab) (string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watch := &serialWatch{re: firmwareRefused, seen: cancel}
	start := time.Now()
	res, err := boot.Run(ctx, boot.Options{Netns: l.ns, Firmware: boot.FirmwareOVMFSecureBoot, NICROM: boot.NICROMNone,
		MAC: ukiNode.mac, Timeout: 120 * time.Second, Serial: watch, Progress: testLogWriter{t}})
	if res == nil {
		t.Fatalf("boot: %v", err)
	}
	log := selftest.Clean(res.Log)
	if bytes.Contains(log, []byte(kernelBanner)) {
		keepLog(t, res.Log)
		t.Fatalf("the firmware started the kernel: %q in the serial log", kernelBanner)
	}
	line := firmwareRefused.Find(log)
	if line == nil {
		keepLog(t, res.Log)
		t.Fatalf("no refusal by the firmware (%s) within the bound (%v); serve's log:\n%s", firmwareRefused, err, l.log)
	}
	return string(line), time.Since(start)
}

// serialWatch calls seen once re matches what was written to it (escape
// sequences stripped, as firmware consoles scatter them).
type serialWatch struct {
	re   *regexp.Regexp
	buf  []byte
	seen func()
	done bool
}

func (w *serialWatch) Write(b []byte) (int, error) {
	if !w.done {
		// The last 8 KiB: a refusal line with its escape codes fits.
		w.buf = append(w.buf, b...)
		w.buf = w.buf[max(len(w.buf)-8192, 0):]
		if w.re.Match(selftest.Clean(w.buf)) {
			w.done = true
			w.seen()
		}
	}
	return len(b), nil
}

type ukiVariant struct {
	name string
	uki  []byte
}

// ukiVariants are the UKIs a Secure Boot firmware with the snakeoil db
// must refuse, made from the bundle's signed one.
func ukiVariants(t *testing.T, signed []byte, unsignedSHA256 string) []ukiVariant {
	t.Helper()
	dir := t.TempDir()
	run := func(argv ...string) {
		t.Helper()
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
		}
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	if err := os.WriteFile(p("signed.efi"), signed, 0o644); err != nil {
		t.Fatal(err)
	}
	run("sbattach", "--remove", p("signed.efi"))
	unsigned, err := os.ReadFile(p("signed.efi"))
	if err != nil {
		t.Fatal(err)
	}
	if sha(unsigned) != unsignedSHA256 {
		t.Fatalf("the UKI without its signature has sha256 %s, want bundle.json's unsignedSha256 %s", sha(unsigned), unsignedSHA256)
	}
	os.WriteFile(p("unsigned.efi"), unsigned, 0o644)
	// A key and certificate of the test's own, in no firmware's db.
	run("openssl", "req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=rambox test key not in db",
		"-keyout", p("other.key"), "-out", p("other.pem"))
	run("sbsign", "--key", p("other.key"), "--cert", p("other.pem"), "--output", p("other.efi"), p("unsigned.efi"))
	other, err := os.ReadFile(p("other.efi"))
	if err != nil {
		t.Fatal(err)
	}
	tampered, err := flipInSection(signed, ".initrd")
	if err != nil {
		t.Fatal(err)
	}
	return []ukiVariant{{"unsigned", unsigned}, {"other-key", other}, {"initrd-changed", tampered}}
}

// flipInSection is a copy of the PE image img with one byte in the middle
// of section name's raw data inverted: its signature no longer matches.
func flipInSection(img []byte, name string) ([]byte, error) {
	f, err := pe.NewFile(bytes.NewReader(img))
	if err != nil {
		return nil, fmt.Errorf("UKI: %w", err)
	}
	s := f.Section(name)
	if s == nil || s.Size == 0 {
		return nil, errors.New("UKI: no " + name + " section")
	}
	out := bytes.Clone(img)
	out[s.Offset+s.Size/2] ^= 0xff
	return out, nil
}

// withUKI is a copy of bundleDir with uki as its rambox.efi and
// bundle.json and SHA256SUMS describing the copy: another bundle.
func withUKI(t *testing.T, bundleDir string, uki []byte) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(bundleDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(bundleDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == bundle.UKI {
			b = uki
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if e.Name() != bundle.InfoFile && e.Name() != bundle.SumsFile {
			names = append(names, e.Name())
		}
	}
	info, _, err := bundle.ReadInfo(bundleDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := info.Describe(dir, names); err != nil {
		t.Fatal(err)
	}
	if err := info.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// digestHex is the hex of a pinned ref's digest.
func digestHex(ref string) string { return ref[strings.LastIndex(ref, ":")+1:] }

// TestServeLabUKIiPXE: a uki node whose client is already iPXE (QEMU's NIC
// ROM) gets its script, which on OVMF (Secure Boot off) chains to the
// UKI's digest path with the node's command line, which systemd-stub then
// runs instead of the UKI's own (the node's cmdline asks for the selftest;
// the bundle's does not), and on SeaBIOS boots bzImage + initramfs.
func TestServeLabUKIiPXE(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces and tap devices need root")
	}
	bundleDir := need(t, "RAMBOX_TEST_BUNDLE_DIR")
	info, _, err := bundle.ReadInfo(bundleDir)
	if err != nil {
		t.Fatal(err)
	}
	if info.UKI == nil || strings.Contains(info.KernelCmdline, "rambox.selftest") {
		t.Fatalf("%s: want a bundle with a UKI whose own command line (%q) has no rambox.selftest", bundleDir, info.KernelCmdline)
	}
	c := newCLI(t)
	ref, bundleFile := c.publishToFile(t, bundleDir, "oci:"+filepath.Join(t.TempDir(), "oci")+":uki-ipxe")
	l := startLab(t, c, bundleFile, writeNodesInventory(t, ukiNode))
	for _, tc := range []struct {
		firmware string
		file     string // what iPXE loads
	}{
		{boot.FirmwareOVMF, bundle.UKI},
		{boot.FirmwareSeaBIOS, bundle.Kernel},
	} {
		t.Run(tc.firmware, func(t *testing.T) {
			l.t = t
			since := len(l.log.String())
			r := l.boot(ukiNode, tc.firmware, boot.NICROMiPXE)
			if !strings.Contains(r.Fields["cmdline"], bootfs.CmdlineBundle+"sha256:"+digestHex(ref)) {
				t.Errorf("cmdline %q lacks serve's %s word: the script's command line did not reach the kernel", r.Fields["cmdline"], bootfs.CmdlineBundle)
			}
			if !logHas(l.log.String()[since:], "client="+ukiNode.ip+":", "path=/"+bootfs.BundlePath(digestHex(ref), tc.file)+" ", "status=200") {
				t.Errorf("%s did not load %s over HTTP:\n%s", tc.firmware, tc.file, l.log)
			}
		})
	}
}
