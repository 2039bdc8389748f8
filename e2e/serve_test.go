package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"rambox/boot"
	"rambox/bundle"
	"rambox/selftest"
	"rambox/serve/bootfs"
	"rambox/serve/servetest"
	"rambox/tftproot"
)

// The serve lab: a namespace whose bridge carries serverIP, with
// `rambox serve` the only server in it (DHCP full, TFTP, HTTP).
const (
	serveSubnet = "10.43.0.0/24"
	serveServer = "10.43.0.1"
)

// serveNode is one QEMU client of the lab.
type serveNode struct {
	name, mac, ip, boot string // boot: pxelinux, ipxe or uki
}

var serveNodes = []serveNode{
	{"pxe01", "52:54:00:43:00:11", "10.43.0.11", "pxelinux"},
	{"ipxe01", "52:54:00:43:00:12", "10.43.0.12", "ipxe"},
	{"ipxe02", "52:54:00:43:00:13", "10.43.0.13", "ipxe"},
	{"ipxe03", "52:54:00:43:00:14", "10.43.0.14", "ipxe"},
	{"ipxe04", "52:54:00:43:00:15", "10.43.0.15", "ipxe"},
}

func writeServeInventory(t *testing.T) string {
	t.Helper()
	return writeNodesInventory(t, serveNodes...)
}

// writeNodesInventory is the lab's inventory with nodes, each asking for
// the selftest on its command line.
func writeNodesInventory(t *testing.T, nodes ...serveNode) string {
	t.Helper()
	s := "server:\n  ip: " + serveServer + "\n  subnet: 10.43.0.0\n  netmask: 255.255.255.0\nnodes:\n"
	for _, n := range nodes {
		s += fmt.Sprintf("  - name: %s\n    mac: %s\n    ip: %s\n    hostname: %s.lab\n    boot: %s\n    cmdline: rambox.selftest\n", n.name, n.mac, n.ip, n.name, n.boot)
	}
	p := filepath.Join(t.TempDir(), "nodes.yaml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// publishToFile publishes bundleDir to `to` and writes the pinned ref
// into a file of its own: serve's --bundle-file, which a test rewrites to
// switch bundles.
func (c cli) publishToFile(t *testing.T, bundleDir, to string) (ref, file string) {
	t.Helper()
	ref = c.publish(bundleDir, to)
	file = filepath.Join(t.TempDir(), "bundle")
	if err := os.WriteFile(file, []byte(ref+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return ref, file
}

// lab is a running `rambox serve` alone in a namespace of the test's own.
type lab struct {
	t     *testing.T
	ns    *boot.Netns
	cmd   *exec.Cmd
	log   *servetest.Log
	state string
}

// newLab makes the namespace; start starts serve in it.
func newLab(t *testing.T) *lab {
	t.Helper()
	ns, err := boot.NewNetns(context.Background(), boot.NetnsOptions{Server: netip.MustParsePrefix(serveServer + "/24"), Progress: testLogWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	l := &lab{t: t, ns: ns, log: &servetest.Log{}, state: t.TempDir(), cmd: &exec.Cmd{}}
	t.Cleanup(func() {
		if l.cmd.Process != nil {
			l.cmd.Process.Signal(syscall.SIGTERM)
			l.cmd.Wait()
		}
		if err := ns.Close(); err != nil {
			t.Error(err)
		}
	})
	return l
}

// startLab makes the namespace and starts serve in it, DHCP full, on the
// bundle named in bundleFile (re-read on SIGHUP).
func startLab(t *testing.T, c cli, bundleFile, inventory string) *lab {
	t.Helper()
	l := newLab(t)
	l.start(c, bundleFile, inventory, "full")
	return l
}

func (l *lab) start(c cli, bundleFile, inventory, dhcp string) {
	l.t.Helper()
	l.serve(c, dhcp, "--bundle-file", bundleFile, "--key", filepath.Join(c.dir, "cosign.pub"), "--inventory", inventory)
}

// serve starts `rambox serve` in the namespace with what it serves
// (desired) and DHCP in mode dhcp, and waits until it serves.
func (l *lab) serve(c cli, dhcp string, desired ...string) {
	t := l.t
	t.Helper()
	argv := l.ns.Command(append(append([]string{c.bin, "serve"}, desired...), "--state", l.state, "--interface", l.ns.Bridge(), "--dhcp", dhcp,
		"--http", serveServer+":80", "--tftp", serveServer+":69")...)
	l.cmd = exec.Command(argv[0], argv[1:]...)
	l.cmd.Stdout, l.cmd.Stderr = l.log, l.log
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l.waitLog("msg=serving", 60*time.Second)
}

func (l *lab) waitLog(text string, limit time.Duration) {
	l.t.Helper()
	l.waitLogSince(0, text, limit)
}

// waitLogSince waits for text in the log past its first since bytes.
func (l *lab) waitLogSince(since int, text string, limit time.Duration) {
	l.t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(l.log.String()[since:], text) {
			return
		}
	}
	l.t.Fatalf("serve did not log %q within %s:\n%s", text, limit, l.log)
}

// in runs argv inside the namespace (a client beside the QEMU ones).
func (l *lab) in(argv ...string) ([]byte, error) {
	a := l.ns.Command(argv...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, a[0], a[1:]...).CombinedOutput()
}

// boot boots node n with the given firmware and NIC ROM and checks its
// selftest: the node's address, a RAM root.
func (l *lab) boot(n serveNode, firmware, rom string) *selftest.Report {
	l.t.Helper()
	return l.bootRetrying(n, firmware, rom, "")
}

// bootRetrying is boot, except that a first boot that fails with known
// in its serial log (a third party's known race, not ours) is logged and
// tried once more; "" retries nothing.
func (l *lab) bootRetrying(n serveNode, firmware, rom, known string) *selftest.Report {
	l.t.Helper()
	start := time.Now()
	opts := boot.Options{Netns: l.ns, Firmware: firmware, NICROM: rom, MAC: n.mac, Timeout: 180 * time.Second, Progress: testLogWriter{l.t}}
	res, err := boot.Run(context.Background(), opts)
	if err != nil && known != "" && res != nil && strings.Contains(string(res.Log), known) {
		keepLog(l.t, res.Log)
		l.t.Logf("boot %s: %q in the serial log, a known race outside rambox; booting it once more", n.name, known)
		start = time.Now()
		res, err = boot.Run(context.Background(), opts)
	}
	if err != nil {
		if res != nil {
			keepLog(l.t, res.Log)
		}
		l.t.Fatalf("boot %s: %v\nserve's log:\n%s", n.name, err, l.log)
	}
	r, err := selftest.Parse(res.Log)
	if err != nil {
		keepLog(l.t, res.Log)
		l.t.Fatalf("%s: selftest: %v", n.name, err)
	}
	if r.Fields["eth0_ip"] != n.ip {
		l.t.Errorf("%s: eth0_ip = %q, want %q", n.name, r.Fields["eth0_ip"], n.ip)
	}
	if err := r.CheckRAMRoot("rambox"); err != nil {
		l.t.Errorf("%s: %v", n.name, err)
	}
	verdict := "PASS"
	if l.t.Failed() {
		verdict = "FAIL"
		keepLog(l.t, res.Log)
	}
	l.t.Logf("%s (%s, NIC ROM %s): selftest %s in %.1fs: %s", n.name, firmware, rom, verdict, time.Since(start).Seconds(), boot.FormatMarks(res.Marks))
	return r
}

// logHas reports whether one line of log holds every one of words.
func logHas(log string, words ...string) bool {
	for _, line := range strings.Split(log, "\n") {
		all := true
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			return true
		}
	}
	return false
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// TestServeLab is issue 11's proof with `rambox serve` alone in a
// namespace: no dhcpd, tftpd or dnsmasq.
func TestServeLab(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces and tap devices need root")
	}
	bundleDir := need(t, "RAMBOX_TEST_BUNDLE_DIR")
	for _, tool := range []string{"curl", "qemu-system-x86_64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s: %v (ci/deps.sh installs it)", tool, err)
		}
	}
	c := newCLI(t)
	layout := filepath.Join(t.TempDir(), "oci")
	ref, bundleFile := c.publishToFile(t, bundleDir, "oci:"+layout+":one")
	l := startLab(t, c, bundleFile, writeServeInventory(t))
	digest := ref[strings.LastIndex(ref, ":")+1:]
	kernel, err := os.ReadFile(filepath.Join(bundleDir, bundle.Kernel))
	if err != nil {
		t.Fatal(err)
	}

	// (5) Every file of the state directory's copy is overwritten after
	// verification: what goes out must still be the verified bytes.
	blobs, _ := filepath.Glob(filepath.Join(l.state, "last-good", "blobs", "sha256", "*"))
	if len(blobs) == 0 {
		t.Fatalf("no last good copy in %s", l.state)
	}
	for _, b := range blobs {
		if err := os.WriteFile(b, []byte("edited after verification"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kernelPath := bootfs.BundlePath(digest, bundle.Kernel)
	for _, u := range []string{"http://" + serveServer + "/" + kernelPath, "tftp://" + serveServer + "/" + kernelPath} {
		got, err := l.in("curl", "-sS", "--fail", "--max-time", "60", u)
		if err != nil || sha(got) != sha(kernel) {
			t.Errorf("(5) %s after the state was edited: %v, sha256 %s, want the verified %s", u, err, sha(got), sha(kernel))
		}
	}

	// (6) A real TFTP client (curl) is refused what is not in the view.
	if err := os.Symlink("/etc/passwd", filepath.Join(l.state, "passwd")); err != nil {
		t.Fatal(err)
	}
	up := filepath.Join(t.TempDir(), "up")
	os.WriteFile(up, []byte("write attempt"), 0o644)
	for name, argv := range map[string][]string{
		"../":          {"curl", "-sS", "--fail", "--path-as-is", "tftp://" + serveServer + "/../etc/passwd"},
		"absolute":     {"curl", "-sS", "--fail", "tftp://" + serveServer + "//etc/passwd"},
		"symlink":      {"curl", "-sS", "--fail", "tftp://" + serveServer + "/passwd"},
		"symlink deep": {"curl", "-sS", "--fail", "tftp://" + serveServer + "/last-good/../passwd"},
		"WRQ":          {"curl", "-sS", "--fail", "-T", up, "tftp://" + serveServer + "/" + kernelPath},
	} {
		if out, err := l.in(argv...); err == nil {
			t.Errorf("(6) %s: %s succeeded: %q", name, strings.Join(argv, " "), out)
		}
	}

	// (1) SeaBIOS + virtio-net, node boot: pxelinux -> pxelinux over TFTP.
	t.Run("1-seabios-pxelinux-tftp", func(t *testing.T) {
		l.t = t
		if r := l.boot(serveNodes[0], boot.FirmwareSeaBIOS, boot.NICROMiPXE); r.SecureBoot() != selftest.SecureBootUnknown {
			t.Errorf("SeaBIOS: selftest secure_boot=%q, want %q (no EFI, no word from the kernel)", r.SecureBoot(), selftest.SecureBootUnknown)
		}
		if logHas(l.log.String(), "client="+serveNodes[0].ip+":", "method=GET") {
			t.Errorf("%s (boot: pxelinux) used HTTP; want TFTP all the way:\n%s", serveNodes[0].name, l.log)
		}
	})
	// (2) SeaBIOS with QEMU's iPXE ROM -> the HTTP script.
	t.Run("2-seabios-ipxe-http", func(t *testing.T) {
		l.t = t
		l.boot(serveNodes[1], boot.FirmwareSeaBIOS, boot.NICROMiPXE)
		for _, f := range []string{bundle.Kernel, bundle.Initramfs} {
			if want := "client=" + serveNodes[1].ip + ":"; !logHas(l.log.String(), want, "path=/"+bootfs.BundlePath(digest, f)+" ", "status=200") {
				t.Errorf("serve's transfer log has no HTTP GET of %s by %s:\n%s", f, serveNodes[1].ip, l.log)
			}
		}
	})

	// (7) A switch to a new digest while 4 QEMU clients boot over HTTP
	// (iPXE ROM -> script): two have their script when the switch is
	// asked for, two start with it. Every client's kernel, initramfs and
	// command line (rambox.bundle=) are one bundle's, never a mix, and
	// every one boots: the previous bundle stays served to those whose
	// script named it.
	t.Run("7-switch-while-4-boot", func(t *testing.T) {
		l.t = t
		two := c.publish(regenerated(t, bundleDir, "rambox.gen=2"), "oci:"+layout+":two")
		digestTwo := two[strings.LastIndex(two, ":")+1:]
		clients := serveNodes[1:5]
		reports := make([]*selftest.Report, len(clients))
		var wg sync.WaitGroup
		bootAt := func(i int) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				reports[i] = l.boot(clients[i], boot.FirmwareSeaBIOS, boot.NICROMiPXE)
			}()
		}
		since := len(l.log.String()) // the earlier cases fetched scripts too
		bootAt(0)
		bootAt(1)
		for _, n := range clients[:2] {
			m, _ := net.ParseMAC(n.mac)
			l.waitLogSince(since, "path=/"+bootfs.ScriptName(m)+" ", 120*time.Second)
		}
		if err := os.WriteFile(bundleFile, []byte(two+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		l.cmd.Process.Signal(syscall.SIGHUP)
		bootAt(2)
		bootAt(3)
		wg.Wait()
		l.waitLog("digest="+"sha256:"+digestTwo, 30*time.Second)
		log := l.log.String()
		seen := map[string]bool{}
		for i, n := range clients {
			if reports[i] == nil {
				continue // l.boot failed the test already
			}
			named := ""
			for _, w := range strings.Fields(reports[i].Fields["cmdline"]) {
				if h, ok := strings.CutPrefix(w, bootfs.CmdlineBundle+"sha256:"); ok {
					named = h
				}
			}
			seen[named] = true
			for _, f := range []string{bundle.Kernel, bundle.Initramfs} {
				if !logHas(log, "client="+n.ip+":", "path=/"+bootfs.BundlePath(named, f)+" ", "status=200") {
					t.Errorf("%s booted with rambox.bundle=sha256:%s but did not load that bundle's %s (a mix, or another bundle):\n%s", n.name, named, f, log)
				}
			}
		}
		for _, i := range []int{0, 1} {
			if r := reports[i]; r != nil && !strings.Contains(r.Fields["cmdline"], digest) {
				t.Errorf("%s had its script before the switch, but booted %q, want the first bundle %s", clients[i].name, r.Fields["cmdline"], digest)
			}
		}
		m, _ := net.ParseMAC(clients[0].mac)
		if script, err := l.in("curl", "-sS", "--fail", "http://"+serveServer+"/"+bootfs.ScriptName(m)); err != nil || !strings.Contains(string(script), digestTwo) {
			t.Errorf("script after the switch: %v: %s, want it to name %s", err, script, digestTwo)
		}
		t.Logf("clients booted the bundles %v (first %s, second %s)", seen, digest, digestTwo)
	})
}

// digestOf is the bundle digest (hex) in a served URL .../bundles/HEX/FILE.
func digestOf(u string) string {
	parts := strings.Split(u, "/")
	if len(parts) < 3 {
		return "?" + u
	}
	return parts[len(parts)-2]
}

// regenerated is a copy of bundleDir (its outputs, SBOM and all) whose
// bundle.json has extra on the kernel command line: another bundle
// (another digest), the same kernel and initramfs bytes.
func regenerated(t *testing.T, bundleDir, extra string) string {
	t.Helper()
	dir := t.TempDir()
	files, err := os.ReadDir(bundleDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range files {
		f := e.Name()
		b, err := os.ReadFile(filepath.Join(bundleDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	info, _, err := bundle.ReadInfo(bundleDir)
	if err != nil {
		t.Fatal(err)
	}
	info.KernelCmdline += " " + extra
	if err := info.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestServeLabUEFI is case (3): OVMF without a NIC ROM, so the firmware's
// own UEFI PXE asks (architecture 7) and gets ipxe.efi over TFTP; iPXE
// then gets the HTTP script and loads the kernel, an EFI stub, and the
// initramfs over HTTP. The bundle must be linux-6.1 as `just test` builds
// it now (CONFIG_EFI_STUB).
func TestServeLabUEFI(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces and tap devices need root")
	}
	bundleDir := need(t, "RAMBOX_TEST_BUNDLE_DIR")
	for _, f := range []string{boot.OVMFCode, boot.OVMFVars, filepath.Join("/usr/lib/ipxe", tftproot.IPXEEFIFile)} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%v (ci/deps.sh installs ovmf and ipxe)", err)
		}
	}
	if k, err := os.ReadFile(filepath.Join(bundleDir, bundle.Kernel)); err != nil || len(k) < 2 || string(k[:2]) != "MZ" {
		t.Fatalf("%s/%s: no PE header (%v): UEFI clients need a kernel with CONFIG_EFI_STUB, as the linux-6.1 profile now builds it", bundleDir, bundle.Kernel, err)
	}
	c := newCLI(t)
	ref, bundleFile := c.publishToFile(t, bundleDir, "oci:"+filepath.Join(t.TempDir(), "oci")+":uefi")
	l := startLab(t, c, bundleFile, writeServeInventory(t))
	n := serveNodes[1]
	if r := l.boot(n, boot.FirmwareOVMF, boot.NICROMNone); r.SecureBoot() != selftest.SecureBootOff {
		t.Errorf("OVMF without Secure Boot: selftest secure_boot=%q, want %q", r.SecureBoot(), selftest.SecureBootOff)
	}
	log := l.log.String()
	if !logHas(log, "msg=dhcp", "mac="+n.mac, "bootfile="+tftproot.IPXEEFIFile) {
		t.Errorf("serve did not hand %s %s:\n%s", n.mac, tftproot.IPXEEFIFile, log)
	}
	digest := ref[strings.LastIndex(ref, ":")+1:]
	if !logHas(log, "client="+n.ip+":", "path=/"+bootfs.BundlePath(digest, bundle.Kernel)+" ", "status=200") {
		t.Errorf("%s did not load the kernel over HTTP:\n%s", n.name, log)
	}
}

// TestServeLabSyslinuxEFI: OVMF without a NIC ROM and a node whose boot
// is pxelinux. The firmware's own UEFI PXE asks (architecture 7) and gets
// syslinux.efi over TFTP, which loads ldlinux.e64, the node's
// pxelinux.cfg/ config, the kernel and the initramfs over TFTP too.
// syslinux.efi boots kernels without EFI stub (linux-2.6.39, built
// relocatable) as well: point RAMBOX_TEST_BUNDLE_DIR at one to check.
func TestServeLabSyslinuxEFI(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces and tap devices need root")
	}
	bundleDir := need(t, "RAMBOX_TEST_BUNDLE_DIR")
	for _, f := range append([]string{boot.OVMFCode, boot.OVMFVars}, bootfs.DefaultLoaderDirs...) {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%v (ci/deps.sh installs ovmf, pxelinux, syslinux-efi and ipxe)", err)
		}
	}
	c := newCLI(t)
	_, bundleFile := c.publishToFile(t, bundleDir, "oci:"+filepath.Join(t.TempDir(), "oci")+":syslinux-efi")
	l := startLab(t, c, bundleFile, writeServeInventory(t))
	n := serveNodes[0]
	// Debian's syslinux.efi (6.04) calls ExitBootServices once and gives
	// up when the memory map changed since it read it (an OVMF network
	// event is enough), instead of reading it again and retrying as the
	// UEFI spec expects: rare, seen once in a cold CI run, after the
	// kernel and initramfs had loaded from serve.
	l.bootRetrying(n, boot.FirmwareOVMF, boot.NICROMNone, "Failed to exit boot services")
	log := l.log.String()
	if !logHas(log, "msg=dhcp", "mac="+n.mac, "bootfile="+tftproot.SyslinuxEFIFile) {
		t.Errorf("serve did not hand %s %s:\n%s", n.mac, tftproot.SyslinuxEFIFile, log)
	}
	if logHas(log, "client="+n.ip+":", "method=GET") { // its boot report is an HTTP POST
		t.Errorf("%s (boot: pxelinux) used HTTP; want TFTP all the way:\n%s", n.name, log)
	}
}

// TestServeLabProxy is case (4): ISC dhcpd hands out the addresses (no
// PXE options at all), serve in proxy mode only the boot file; a SeaBIOS
// client with QEMU's iPXE ROM boots through the HTTP script.
func TestServeLabProxy(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces and tap devices need root")
	}
	if _, err := exec.LookPath("dhcpd"); err != nil {
		t.Fatalf("dhcpd: %v (ci/deps.sh installs isc-dhcp-server)", err)
	}
	bundleDir := need(t, "RAMBOX_TEST_BUNDLE_DIR")
	c := newCLI(t)
	_, bundleFile := c.publishToFile(t, bundleDir, "oci:"+filepath.Join(t.TempDir(), "oci")+":proxy")
	n := serveNodes[1]
	dir := t.TempDir()
	conf := "ddns-update-style none;\nsubnet 10.43.0.0 netmask 255.255.255.0 {\n  default-lease-time 600;\n  max-lease-time 600;\n" +
		"  host " + n.name + " { hardware ethernet " + n.mac + "; fixed-address " + n.ip + "; }\n}\n"
	for name, body := range map[string]string{"dhcpd.conf": conf, "dhcpd.leases": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l := newLab(t)
	dhcpd, err := l.ns.Start("dhcpd", "dhcpd", "-d", "-4", "-cf", filepath.Join(dir, "dhcpd.conf"), "-lf", filepath.Join(dir, "dhcpd.leases"),
		"-pf", filepath.Join(dir, "dhcpd.pid"), l.ns.Bridge())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.ns.WaitUDP(context.Background(), dhcpd, 67, 20*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, dhcpd.Output())
	}
	l.start(c, bundleFile, writeServeInventory(t), "proxy")
	l.boot(n, boot.FirmwareSeaBIOS, boot.NICROMiPXE)
	log := l.log.String()
	if !logHas(log, "msg=dhcp", "mac="+n.mac, "bootfile=http://") {
		t.Errorf("serve's proxy did not hand %s its script:\n%s", n.mac, log)
	}
	if t.Failed() {
		t.Logf("dhcpd:\n%s", dhcpd.Output())
	}
}
