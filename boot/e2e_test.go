package boot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"rambox/bundle"
	"rambox/pxe"
	"rambox/selftest"
	"rambox/tftproot"
)

// requireBootE2E gates the tests that boot QEMU: RAMBOX_E2E=1, and a
// built bundle (bzImage, initramfs.cpio.gz, bundle.json; a kernel with
// virtio-net, e1000 and IP_PNP_DHCP, such as the linux-2.6.39 profile's)
// in RAMBOX_TEST_BUNDLE_DIR.
func requireBootE2E(t *testing.T) string {
	t.Helper()
	if os.Getenv("RAMBOX_E2E") != "1" {
		t.Skip("end-to-end test: set RAMBOX_E2E=1 (just test does)")
	}
	dir := os.Getenv("RAMBOX_TEST_BUNDLE_DIR")
	if dir == "" {
		t.Fatal("RAMBOX_TEST_BUNDLE_DIR is not set: point it at a built bundle (just test builds linux-6.1 for it)")
	}
	return dir
}

// readBundle reads a built bundle directory as if it had been fetched.
func readBundle(t *testing.T, bundleDir string) *bundle.Fetched {
	t.Helper()
	f := &bundle.Fetched{Files: map[string][]byte{}}
	var err error
	if f.InfoJSON, err = os.ReadFile(filepath.Join(bundleDir, bundle.InfoFile)); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(f.InfoJSON, &f.Info); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{bundle.Kernel, bundle.Initramfs, bundle.KernelConfig} {
		if f.Files[n], err = os.ReadFile(filepath.Join(bundleDir, n)); err != nil {
			t.Fatal(err)
		}
	}
	f.Manifest = ocispec.Descriptor{Digest: digest.FromBytes(f.InfoJSON)}
	return f
}

// layOut installs the bundle in dir as a TFTP root, as `rambox pull
// --inventory --default` would, with words added to its command line.
func layOut(t *testing.T, bundleDir string, extra string) (root string, info *bundle.Info) {
	t.Helper()
	f := readBundle(t, bundleDir)
	inv, err := pxe.LoadInventory(inventory)
	if err != nil {
		t.Fatal(err)
	}
	cmdline := strings.TrimSpace(f.Info.KernelCmdline + " " + extra)
	o := tftproot.Options{DefaultConfig: pxelinuxConfig(t, cmdline)}
	if o.NodeConfigs, err = pxe.NodeConfigs(cmdline, inv); err != nil {
		t.Fatal(err)
	}
	root = t.TempDir()
	if _, err := tftproot.Install(root, f, o); err != nil {
		t.Fatal(err)
	}
	return root, f.Info
}

// TestBootSelftest PXE-boots a real bundle with each server side and
// NIC, checks the selftest block the box prints, and that nothing is left
// running or configured afterwards.
func TestBootSelftest(t *testing.T) {
	bundleDir := requireBootE2E(t)
	root, info := layOut(t, bundleDir, "rambox.selftest")
	plain, _ := layOut(t, bundleDir, "") // for --append-extra
	t.Cleanup(func() { checkNothingLeft(t) })

	tests := []struct {
		net, nic string
		root     string
		extra    []string
	}{
		{NetUser, "virtio", root, nil},
		{NetUser, "e1000", root, nil},
		{NetNetns, "virtio", root, nil},
		{NetNetns, "e1000", root, nil},
		{NetNetns, "virtio", plain, []string{"rambox.selftest"}},
	}
	for _, tc := range tests {
		name := tc.net + "-" + tc.nic
		if tc.extra != nil {
			name += "-append-extra"
		}
		t.Run(name, func(t *testing.T) {
			if tc.net == NetNetns && os.Geteuid() != 0 {
				t.Fatal("--net netns needs root (network namespaces, tap devices)")
			}
			o := Options{TFTPRoot: tc.root, NIC: tc.nic, Net: tc.net, Inventory: inventory, AppendExtra: tc.extra,
				Timeout: 180 * time.Second, Progress: testWriter{t}}
			wantIP, err := o.ClientIP()
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), o)
			if res != nil {
				t.Logf("QEMU ran %.1fs: %s", res.Elapsed.Seconds(), FormatMarks(res.Marks))
			}
			if err != nil {
				keepLog(t, res)
				t.Fatal(err)
			}
			checkSelftest(t, res, info, wantIP)
		})
	}
}

// checkSelftest checks the selftest block of a boot of the bundle with
// rambox.selftest added to its command line: the box got wantIP by DHCP,
// reached its server and runs from RAM. On failure the log is kept.
func checkSelftest(t *testing.T, res *Result, info *bundle.Info, wantIP netip.Addr) {
	t.Helper()
	r, err := selftest.Parse(res.Log)
	if err != nil {
		keepLog(t, res)
		t.Fatal(err)
	}
	f := r.Fields
	t.Logf("selftest: kernel=%s eth0_ip=%s ipconfig_proto=%s ping=%s mem_used_kb=%s uptime_ms=%s",
		f["kernel"], f["eth0_ip"], f["ipconfig_proto"], f["ping"], f["mem_used_kb"], f["uptime_ms"])
	if !strings.Contains(f["cmdline"], info.KernelCmdline) || !strings.Contains(f["cmdline"], "rambox.selftest") {
		t.Errorf("cmdline = %q, want the bundle's %q and rambox.selftest", f["cmdline"], info.KernelCmdline)
	}
	for k, want := range map[string]string{"eth0_ip": wantIP.String(), "ipconfig_proto": "DHCP", "ping": "ok"} {
		if f[k] != want {
			t.Errorf("selftest %s = %q, want %q", k, f[k], want)
		}
	}
	if err := r.CheckRAMRoot("rambox"); err != nil {
		t.Error(err)
	}
	if t.Failed() {
		keepLog(t, res)
	}
}

// TestBootTimeoutTearsDown kills a boot that cannot finish in time and
// checks the namespace and servers are gone.
func TestBootTimeoutTearsDown(t *testing.T) {
	bundleDir := requireBootE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("--net netns needs root")
	}
	root, _ := layOut(t, bundleDir, "rambox.selftest")
	t.Cleanup(func() { checkNothingLeft(t) })
	start := time.Now()
	res, err := Run(context.Background(), Options{TFTPRoot: root, Net: NetNetns, Inventory: inventory, Timeout: 2 * time.Second, Progress: testWriter{t}})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Run = %v, want ErrTimeout", err)
	}
	if res == nil || len(res.Log) == 0 {
		t.Error("a timed-out run returned no log")
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("a 2s timeout took %v to return", d)
	}
}

// checkNothingLeft fails when a namespace of this process or a child
// process is still there.
func checkNothingLeft(t *testing.T) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Errorf("ip netns list: %v", err)
	}
	prefix := fmt.Sprintf("rambox-boot-%d-", os.Getpid())
	if strings.Contains(string(out), prefix) {
		t.Errorf("namespaces left behind:\n%s", out)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(b)
		rest := s[strings.LastIndexByte(s, ')')+1:]
		if f := strings.Fields(rest); len(f) > 1 && f[1] == fmt.Sprint(os.Getpid()) {
			t.Errorf("child process left running: %s", strings.TrimSpace(s[:strings.LastIndexByte(s, ')')+1]))
		}
	}
}

func keepLog(t *testing.T, res *Result) {
	t.Helper()
	if res == nil {
		return
	}
	dir := os.Getenv("RAMBOX_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	os.MkdirAll(dir, 0o755)
	p := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".serial.log")
	if err := os.WriteFile(p, res.Log, 0o644); err == nil {
		t.Logf("serial log kept at %s", p)
	}
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
