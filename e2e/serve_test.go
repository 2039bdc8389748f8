package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"rambox/boot"
	"rambox/bundle"
	"rambox/selftest"
	"rambox/serve/bootfs"
	"rambox/serve/servetest"
)

// The serve lab: a namespace whose bridge carries serverIP, with
// `rambox serve` the only server in it (DHCP full, TFTP, HTTP).
const (
	serveSubnet = "10.43.0.0/24"
	serveServer = "10.43.0.1"
)

// serveNode is one QEMU client of the lab.
type serveNode struct {
	name, mac, ip, boot string // boot: pxelinux or ipxe
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
	s := "server:\n  ip: " + serveServer + "\n  subnet: 10.43.0.0\n  netmask: 255.255.255.0\nnodes:\n"
	for _, n := range serveNodes {
		s += fmt.Sprintf("  - name: %s\n    mac: %s\n    ip: %s\n    hostname: %s.lab\n    boot: %s\n    cmdline: rambox.selftest\n", n.name, n.mac, n.ip, n.name, n.boot)
	}
	p := filepath.Join(t.TempDir(), "nodes.yaml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// lab is a running `rambox serve` alone in a namespace of the test's own.
type lab struct {
	t     *testing.T
	ns    *boot.Netns
	cmd   *exec.Cmd
	log   *servetest.Log
	state string
}

// startLab makes the namespace and starts serve in it on the bundle named
// in bundleFile (re-read on SIGHUP).
func startLab(t *testing.T, c cli, bundleFile, inventory string) *lab {
	t.Helper()
	ctx := context.Background()
	ns, err := boot.NewNetns(ctx, boot.NetnsOptions{Server: netip.MustParsePrefix(serveServer + "/24"), Progress: testLogWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	l := &lab{t: t, ns: ns, log: &servetest.Log{}, state: t.TempDir()}
	t.Cleanup(func() {
		if l.cmd.Process != nil {
			l.cmd.Process.Signal(syscall.SIGTERM)
			l.cmd.Wait()
		}
		if err := ns.Close(); err != nil {
			t.Error(err)
		}
	})
	argv := ns.Command(c.bin, "serve", "--bundle-file", bundleFile, "--key", filepath.Join(c.dir, "cosign.pub"),
		"--inventory", inventory, "--state", l.state, "--interface", ns.Bridge(), "--dhcp", "full",
		"--http", serveServer+":80", "--tftp", serveServer+":69")
	l.cmd = exec.Command(argv[0], argv[1:]...)
	l.cmd.Stdout, l.cmd.Stderr = l.log, l.log
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l.waitLog("msg=serving", 60*time.Second)
	return l
}

func (l *lab) waitLog(text string, limit time.Duration) {
	l.t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(l.log.String(), text) {
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
	start := time.Now()
	res, err := boot.Run(context.Background(), boot.Options{Netns: l.ns, Firmware: firmware, NICROM: rom, MAC: n.mac,
		Timeout: 180 * time.Second, Progress: testLogWriter{l.t}})
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
	l.t.Logf("%s (%s, NIC ROM %s): selftest PASS in %.1fs: %s", n.name, firmware, rom, time.Since(start).Seconds(), boot.FormatMarks(res.Marks))
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
	ref := c.publish(bundleDir, "oci:"+layout+":one")
	bundleFile := filepath.Join(t.TempDir(), "bundle")
	if err := os.WriteFile(bundleFile, []byte(ref+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
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
		l.boot(serveNodes[0], boot.FirmwareSeaBIOS, boot.NICROMiPXE)
		if strings.Contains(l.log.String(), "client="+serveNodes[0].ip+":") {
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
}
