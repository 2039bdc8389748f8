package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rambox/boot"
)

// TestServeLabKea is issue 12's Kea proof: real kea-dhcp4 on the lab's
// bridge with the config `rambox kea-conf` writes, and one SeaBIOS client
// with QEMU's iPXE ROM booting the bundle to a passing selftest at its
// reserved address.
//
//   - addresses: Kea hands out the addresses only (--mode addresses),
//     rambox serve --dhcp proxy the boot.
//   - full: Kea hands out addresses and the boot file by its classes
//     (option 93, option 77, the node's MAC), rambox serve --dhcp off
//     serves the files.
func TestServeLabKea(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces and tap devices need root")
	}
	kea, err := exec.LookPath("kea-dhcp4")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/kea-dhcp4"); err2 != nil {
			t.Fatalf("kea-dhcp4: %v (ci/deps.sh installs kea-dhcp4-server)", err)
		}
		kea = "/usr/sbin/kea-dhcp4"
	}
	bundleDir := need(t, "RAMBOX_TEST_BUNDLE_DIR")
	c := newCLI(t)
	ref := c.publish(bundleDir, "oci:"+filepath.Join(t.TempDir(), "oci")+":kea")
	bundleFile := filepath.Join(t.TempDir(), "bundle")
	if err := os.WriteFile(bundleFile, []byte(ref+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inventory := writeServeInventory(t)
	n := serveNodes[1]
	for _, tc := range []struct{ mode, serveDHCP string }{{"addresses", "proxy"}, {"full", "off"}} {
		t.Run(tc.mode, func(t *testing.T) {
			dir := t.TempDir()
			conf := filepath.Join(dir, "kea-dhcp4.conf")
			l := newLab(t)
			if out, err := c.run("kea-conf", "--inventory", inventory, "--mode", tc.mode, "--interface", l.ns.Bridge(),
				"--lease-file", filepath.Join(dir, "kea-leases4.csv"), "-o", conf); err != nil {
				t.Fatalf("kea-conf: %v\n%s", err, out)
			}
			// Kea's pid and logger lock files default to /run: keep
			// them in the test's directory.
			d, err := l.ns.Start("kea-dhcp4", "env", "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir, kea, "-c", conf)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.ns.WaitFor(context.Background(), d, "DHCP4_STARTED", 20*time.Second); err != nil {
				t.Fatalf("%v\n%s", err, d.Output())
			}
			l.start(c, bundleFile, inventory, tc.serveDHCP)
			l.boot(n, boot.FirmwareSeaBIOS, boot.NICROMiPXE)
			klog := d.Output()
			if !logHas(klog, "DHCP4_LEASE_ALLOC", n.mac, n.ip) {
				t.Errorf("kea did not log allocating %s to %s", n.ip, n.mac)
			}
			slog := l.log.String()
			switch tc.serveDHCP {
			case "proxy":
				if !logHas(slog, "msg=dhcp", "mac="+n.mac, "bootfile=http://") {
					t.Errorf("serve's proxy did not hand %s its script:\n%s", n.mac, slog)
				}
			case "off":
				if strings.Contains(slog, "msg=dhcp ") {
					t.Errorf("serve --dhcp off answered DHCP:\n%s", slog)
				}
			}
			if t.Failed() {
				b, _ := os.ReadFile(conf)
				t.Logf("kea-dhcp4:\n%s\nconfig:\n%s", klog, b)
			}
		})
	}
}
