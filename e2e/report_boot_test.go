package e2e

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"rambox/bundle"
	"rambox/newc"
	"rambox/selftest"
	"rambox/serve/records"
	"rambox/serve/report"
)

// TestInitPostsReport boots the built bundle's kernel twice: with its
// initramfs and this checkout's /init laid over the archive's (a second
// cpio appended: the kernel unpacks both, the later file wins), so the
// post is made by the busybox the box really ships; and with an initramfs
// `rambox initramfs` packs with $RAMBOX_TEST_BUSYBOX (Debian's, built
// without wget -T, as the other boot tests use). Each report goes through
// QEMU's user network (the host is 10.0.2.2 there) to serve's real
// handler and store.
func TestInitPostsReport(t *testing.T) {
	requireE2E(t)
	bundleDir := need(t, "RAMBOX_TEST_BUNDLE_DIR")
	t.Run("bundle busybox", func(t *testing.T) {
		bootReports(t, bundleDir, overlayInit(t, filepath.Join(bundleDir, bundle.Initramfs), filepath.Join(repoRoot(t), "rootfs", "tree", "init")))
	})
	t.Run("test busybox", func(t *testing.T) {
		busybox := need(t, "RAMBOX_TEST_BUSYBOX")
		initrd := filepath.Join(t.TempDir(), "initramfs.cpio.gz")
		cmd := exec.Command(buildCLI(t), "initramfs", "--rootfs", "rootfs", "--busybox", busybox, "-o", initrd)
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("rambox initramfs: %v\n%s", err, out)
		}
		bootReports(t, bundleDir, initrd)
	})
}

// bootReports boots the bundle's kernel with initrd and checks the report
// its /init posts.
func bootReports(t *testing.T, bundleDir, initrd string) {

	store, err := records.Open(filepath.Join(t.TempDir(), "records.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0") // QEMU's slirp reaches the host's loopback as 10.0.2.2
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan records.Node, 4)
	mux := http.NewServeMux()
	mux.Handle(report.Path, report.Handler(store, func(net.HardwareAddr) string { return "qemu" }, func(n records.Node) { got <- n }))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	digest := fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(t.Name())))
	const mac = "52:54:00:12:34:56" // QEMU's default NIC address
	hw, _ := net.ParseMAC(mac)
	if err := store.Given(hw, "qemu", digest, time.Now()); err != nil {
		t.Fatal(err)
	}
	cmdline := fmt.Sprintf("console=ttyS0 ip=dhcp rambox.selftest rambox.report=http://10.0.2.2:%d%s rambox.bundle=%s", port, report.Path, digest)
	start := time.Now()
	log := qemuDirect(t, filepath.Join(bundleDir, bundle.Kernel), initrd, cmdline, 3*time.Minute)
	t.Logf("boot to power-off: %v", time.Since(start).Round(time.Millisecond))

	block, err := selftest.Parse(log)
	if err != nil {
		keepLog(t, log)
		t.Fatalf("selftest block: %v", err)
	}
	if block.Result() != selftest.Pass {
		_, why := block.Verdict()
		keepLog(t, log)
		t.Errorf("selftest result = %q, want %s (%v)", block.Result(), selftest.Pass, why)
	}
	if !bytes.Contains(selftest.Clean(log), []byte("RAMBOX-REPORT posted")) {
		keepLog(t, log)
		t.Errorf("serial log lacks RAMBOX-REPORT posted")
	}
	var n records.Node
	select {
	case n = <-got:
	default:
		keepLog(t, log)
		t.Fatal("no report arrived")
	}
	r := n.LastReport
	t.Logf("report: %+v", *r)
	if r.MAC != mac || r.IP != "10.0.2.15" || r.Digest != digest || r.Result != records.ResultPass || r.Ping != "ok" {
		t.Errorf("report = %+v, want mac %s ip 10.0.2.15 digest %s PASS ping ok", *r, mac, digest)
	}
	if r.UptimeInitMS <= 0 || r.UptimeDoneMS <= r.UptimeInitMS {
		t.Errorf("uptimes: init %d ms, done %d ms; want 0 < init < done", r.UptimeInitMS, r.UptimeDoneMS)
	}
	if box, err := block.Int("uptime_ms"); err != nil || box != r.UptimeDoneMS {
		t.Errorf("block uptime_ms = %d (%v), report uptime_done_ms = %d; want the same", box, err, r.UptimeDoneMS)
	}
	if used, _ := block.Int("mem_used_kb"); r.MemUsedKB <= 0 || r.MemUsedKB != used {
		t.Errorf("mem_used_kb = %d, block says %d; want the same, > 0", r.MemUsedKB, used)
	}
	if n.Name != "qemu" || n.Flag != "" {
		t.Errorf("node = %+v, want name qemu, no flag", n)
	}
	if len(got) != 0 {
		t.Errorf("%d more reports arrived; want one post per boot", len(got))
	}
}

// overlayInit writes base followed by a gzipped cpio holding only init.
func overlayInit(t *testing.T, base, init string) string {
	t.Helper()
	b, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(init)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.Write(b)
	zw := gzip.NewWriter(&buf)
	cw := newc.NewWriter(zw)
	if err := cw.WriteHeader(&newc.Header{Name: "init", Ino: 1, Mode: newc.TypeReg | 0o755, NLink: 1, Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	if _, err := cw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "initramfs-overlay.cpio.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
