package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rambox/selftest"
)

// TestPXEChain is the whole product on one bundle: the build (CI's
// linux-6.1, from `just test`) is published signed to the loopback
// registry, pulled by digest with an inventory into a TFTP root, and
// PXE-booted in QEMU through dhcpd + tftpd-hpa in a network namespace, with
// virtio-net and with e1000. The box must get the inventory's address by
// the kernel's DHCP, reach the server, run from RAM and say so.
func TestPXEChain(t *testing.T) {
	requireE2E(t)
	bundleDir := need(t, "RAMBOX_TEST_BUNDLE_DIR")
	addr := os.Getenv("RAMBOX_REGISTRY_ADDR")
	if addr == "" {
		t.Fatal("RAMBOX_REGISTRY_ADDR is not set (just test starts the registry)")
	}
	c := newCLI(t)
	ref := c.publish(bundleDir, addr+"/e2e/pxe-chain:latest")
	inventory := filepath.Join(repoRoot(t), "ci/demo/nodes.yaml")
	root := filepath.Join(t.TempDir(), "tftp")
	if out, err := c.run("pull", ref, "--key", "cosign.pub", "--tftp-root", root, "--inventory", inventory); err != nil {
		t.Fatalf("pull: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(root, "pxelinux.cfg", "0A2A000A")); err != nil {
		t.Fatalf("pull did not write the node's hex-IP config: %v", err)
	}
	for _, nic := range []string{"virtio", "e1000"} {
		t.Run(nic, func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "serial.log")
			out, err := c.run("boot", "--tftp-root", root, "--net", "netns", "--inventory", inventory,
				"--nic", nic, "--append-extra", "rambox.selftest", "--log", log)
			serial, _ := os.ReadFile(log)
			if err != nil {
				keepLog(t, serial)
				t.Fatalf("boot: %v\n%s", err, out)
			}
			r, err := selftest.Parse(serial)
			if err != nil {
				keepLog(t, serial)
				t.Fatalf("selftest: %v", err)
			}
			f := r.Fields
			for k, want := range map[string]string{"eth0_ip": "10.42.0.10", "ipconfig_proto": "DHCP", "ipconfig_server": "10.42.0.1", "ping": "ok", "ping_target": "10.42.0.1"} {
				if f[k] != want {
					t.Errorf("%s = %q, want %q", k, f[k], want)
				}
			}
			if !strings.Contains(f["cmdline"], "ip=dhcp") {
				t.Errorf("cmdline %q lacks the bundle's ip=dhcp", f["cmdline"])
			}
			if err := r.CheckRAMRoot("rambox"); err != nil {
				t.Error(err)
			}
			if t.Failed() {
				keepLog(t, serial)
			}
			t.Logf("%s: mem_used_kb=%s rootfs_kb=%s uptime_ms=%s", nic, f["mem_used_kb"], f["rootfs_kb"], f["uptime_ms"])
		})
	}
}
