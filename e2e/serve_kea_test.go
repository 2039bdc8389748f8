package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/iana"

	"rambox/boot"
	"rambox/pxe"
	"rambox/serve/dhcp"
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
//   - dnsmasq-proxy: Kea the addresses, dnsmasq with `rambox
//     dnsmasq-conf`'s config the boot (proxyDHCP, no TFTP), rambox serve
//     --dhcp off the files.
func TestServeLabKea(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces and tap devices need root")
	}
	kea := keaBinary(t)
	bundleDir := need(t, "RAMBOX_TEST_BUNDLE_DIR")
	c := newCLI(t)
	_, bundleFile := c.publishToFile(t, bundleDir, "oci:"+filepath.Join(t.TempDir(), "oci")+":kea")
	inventory := writeServeInventory(t)
	n := serveNodes[1]
	for _, tc := range []struct {
		name, mode, serveDHCP string
		dnsmasq               bool
	}{
		{"addresses", "addresses", "proxy", false},
		{"full", "full", "off", false},
		{"dnsmasq-proxy", "addresses", "off", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			conf := filepath.Join(dir, "kea-dhcp4.conf")
			l := newLab(t)
			if out, err := c.run("kea-conf", "--inventory", inventory, "--mode", tc.mode, "--interface", keaIface,
				"--lease-file", filepath.Join(dir, "kea-leases4.csv"), "-o", conf); err != nil {
				t.Fatalf("kea-conf: %v\n%s", err, out)
			}
			d := startKea(t, l, kea, dir, conf)
			var dm *boot.Process
			if tc.dnsmasq {
				dconf := filepath.Join(dir, "dnsmasq.conf")
				if out, err := c.run("dnsmasq-conf", "--inventory", inventory, "--interface", l.ns.Bridge(), "-o", dconf); err != nil {
					t.Fatalf("dnsmasq-conf: %v\n%s", err, out)
				}
				var err error
				dm, err = l.ns.Start("dnsmasq", "dnsmasq", "--keep-in-foreground", "--log-facility=-", "--log-dhcp", "--user=root",
					"--pid-file="+filepath.Join(dir, "dnsmasq.pid"), "--conf-file="+dconf)
				if err != nil {
					t.Fatal(err)
				}
				if err := l.ns.WaitUDP(context.Background(), dm, 67, 20*time.Second); err != nil {
					t.Fatalf("%v\n%s", err, dm.Output())
				}
				defer func() {
					if t.Failed() {
						t.Logf("dnsmasq:\n%s", dm.Output())
					}
				}()
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
				if tc.dnsmasq && !logHas(dm.Output(), n.mac, "http://") {
					t.Errorf("dnsmasq did not hand %s its script", n.mac)
				}
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

func keaBinary(t *testing.T) string {
	t.Helper()
	kea, err := exec.LookPath("kea-dhcp4")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/kea-dhcp4"); err2 != nil {
			t.Fatalf("kea-dhcp4: %v (ci/deps.sh installs kea-dhcp4-server)", err)
		}
		kea = "/usr/sbin/kea-dhcp4"
	}
	return kea
}

// keaIface is Kea's interface, in a namespace of its own: Kea holds UDP
// port 67 (its fallback socket beside the raw one), so a proxyDHCP server
// cannot share a host with it, as on a real network, where it is another
// machine on the link.
const (
	keaIface = "kea0"
	keaAddr  = "10.43.0.2/24"
)

// startKea runs kea-dhcp4 -c conf (listening on keaIface) in a namespace
// of its own, whose kea0 is a veth port of the lab's bridge. Kea's pid and
// logger lock files default to /run: they go to dir. The veth port also
// keeps the bridge running (Kea opens no socket on an interface that is
// not, and the bridge is not until a port has carrier).
func startKea(t *testing.T, l *lab, kea, dir, conf string) *boot.Process {
	t.Helper()
	ns := fmt.Sprintf("rambox-kea-%d-%d", os.Getpid(), keaSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v\n%s", ns, err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	for _, argv := range [][]string{
		{"ip", "link", "add", keaIface, "type", "veth", "peer", "name", "kea1"},
		{"ip", "link", "set", "kea1", "master", l.ns.Bridge(), "up"},
		{"ip", "link", "set", keaIface, "netns", ns},
		{"ip", "netns", "exec", ns, "ip", "addr", "add", keaAddr, "dev", keaIface},
		{"ip", "netns", "exec", ns, "ip", "link", "set", keaIface, "up"},
		{"ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"},
	} {
		if out, err := l.in(argv...); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
		}
	}
	d, err := l.ns.Start("kea-dhcp4", "ip", "netns", "exec", ns, "env", "KEA_PIDFILE_DIR="+dir, "KEA_LOCKFILE_DIR="+dir, kea, "-c", conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.ns.WaitFor(context.Background(), d, "DHCP4_STARTED", 20*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, d.Output())
	}
	if strings.Contains(d.Output(), "DHCPSRV_NO_SOCKETS_OPEN") {
		t.Fatalf("kea-dhcp4 opened no socket:\n%s", d.Output())
	}
	return d
}

var keaSeq atomic.Int32

// TestKeaConfClasses asks real kea-dhcp4, running `rambox kea-conf
// --mode full`'s config, for a lease as each kind of client (busybox
// udhcpc on a veth port of the lab's bridge, with the MAC, option 60,
// option 93 and option 77 of a PXE ROM, iPXE or the kernel) and checks the
// reserved address and the boot file against dhcp.BootFile, the policy
// serve answers by.
func TestKeaConfClasses(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces need root")
	}
	kea := keaBinary(t)
	c := cli{t: t, bin: buildCLI(t), dir: t.TempDir()}
	inventory := writeServeInventory(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "kea-dhcp4.conf")
	l := newLab(t)
	if out, err := c.run("kea-conf", "--inventory", inventory, "--mode", "full", "--interface", keaIface,
		"--lease-file", filepath.Join(dir, "kea-leases4.csv"), "-o", conf); err != nil {
		t.Fatalf("kea-conf: %v\n%s", err, out)
	}
	d := startKea(t, l, kea, dir, conf)
	for _, argv := range [][]string{
		{"ip", "link", "add", "kc0", "type", "veth", "peer", "name", "kc1"},
		{"ip", "link", "set", "kc1", "master", l.ns.Bridge(), "up"},
	} {
		if out, err := l.in(argv...); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
		}
	}
	script := filepath.Join(dir, "udhcpc.sh")
	// udhcpc calls it at each event; only "bound" has the lease.
	if err := os.WriteFile(script, []byte("#!/bin/sh\n[ \"$1\" = bound ] && echo \"lease ip=$ip siaddr=$siaddr file=$boot_file\"\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	server := netip.MustParseAddr(serveServer)
	pxeVendor := "PXEClient:Arch:00000:UNDI:002001"
	tests := []struct {
		name   string
		node   serveNode
		vendor string
		arch   iana.Arch // with option 93 when vendor is PXE
		ipxe   bool
	}{
		{"ipxe node, BIOS PXE ROM", serveNodes[1], pxeVendor, iana.INTEL_X86PC, false},
		{"ipxe node, BIOS iPXE", serveNodes[1], pxeVendor, iana.INTEL_X86PC, true},
		{"ipxe node, UEFI PXE", serveNodes[2], "PXEClient:Arch:00007:UNDI:003016", iana.EFI_X86_64, false},
		{"ipxe node, UEFI iPXE (EFI BC)", serveNodes[2], "PXEClient:Arch:00009:UNDI:003016", iana.EFI_BC, true},
		{"pxelinux node, BIOS PXE ROM", serveNodes[0], pxeVendor, iana.INTEL_X86PC, false},
		{"pxelinux node, UEFI PXE", serveNodes[0], "PXEClient:Arch:00007:UNDI:003016", iana.EFI_X86_64, false},
		{"kernel ip=dhcp", serveNodes[3], "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mac, _ := net.ParseMAC(tc.node.mac)
			want := ""
			argv := []string{"busybox", "udhcpc", "-i", "kc0", "-f", "-q", "-n", "-t", "4", "-T", "2", "-s", script}
			if tc.vendor != "" {
				var ok bool
				if want, ok = dhcp.BootFile(tc.arch, tc.ipxe, pxe.BootMethod(tc.node.boot), mac, server, 80); !ok {
					t.Fatalf("BootFile: no file for %s", tc.name)
				}
				argv = append(argv, "-V", tc.vendor, "-x", fmt.Sprintf("0x5d:%04x", uint16(tc.arch)))
			}
			if tc.ipxe {
				argv = append(argv, "-x", "0x4d:"+hex.EncodeToString([]byte("iPXE")))
			}
			for _, a := range [][]string{{"ip", "link", "set", "kc0", "down"}, {"ip", "link", "set", "kc0", "address", tc.node.mac}, {"ip", "link", "set", "kc0", "up"}} {
				if out, err := l.in(a...); err != nil {
					t.Fatalf("%s: %v\n%s", strings.Join(a, " "), err, out)
				}
			}
			out, err := l.in(argv...)
			if err != nil {
				t.Fatalf("udhcpc: %v\n%s\nkea-dhcp4:\n%s", err, out, d.Output())
			}
			lease := fmt.Sprintf("lease ip=%s siaddr=%s file=%s\n", tc.node.ip, serveServer, want)
			if !strings.Contains(string(out), lease) {
				t.Errorf("udhcpc as %s (%s) got\n%s\nwant %q", tc.node.name, tc.name, out, lease)
			}
		})
	}
	if t.Failed() {
		t.Logf("kea-dhcp4:\n%s", d.Output())
	}
}

// TestServeLabKeaUnknown boots a client not in the inventory (which
// allows unknown clients) with Kea in mode full: Kea leases it the pool's
// one address, and its iPXE expands ${netX/mac} in the script URL from
// Kea's unknown-client class to its own MAC, which serve answers with the
// default script. The default command line has no selftest, so the proof
// is serve's HTTP log: the script by the client's MAC, then the kernel
// fetched from the pool address.
func TestServeLabKeaUnknown(t *testing.T) {
	requireE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces and tap devices need root")
	}
	kea := keaBinary(t)
	bundleDir := need(t, "RAMBOX_TEST_BUNDLE_DIR")
	c := newCLI(t)
	_, bundleFile := c.publishToFile(t, bundleDir, "oci:"+filepath.Join(t.TempDir(), "oci")+":kea")
	const mac, poolIP = "52:54:00:43:00:99", "10.43.0.100"
	inventory := filepath.Join(t.TempDir(), "nodes.yaml")
	inv := "server:\n  ip: " + serveServer + "\n  subnet: 10.43.0.0\n  netmask: 255.255.255.0\n  range: [" + poolIP + ", " + poolIP + "]\n  allow_unknown: true\n" +
		"nodes:\n  - {name: ipxe01, mac: 52:54:00:43:00:12, ip: 10.43.0.12}\n"
	if err := os.WriteFile(inventory, []byte(inv), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "kea-dhcp4.conf")
	l := newLab(t)
	if out, err := c.run("kea-conf", "--inventory", inventory, "--mode", "full", "--interface", keaIface,
		"--lease-file", filepath.Join(dir, "kea-leases4.csv"), "-o", conf); err != nil {
		t.Fatalf("kea-conf: %v\n%s", err, out)
	}
	d := startKea(t, l, kea, dir, conf)
	l.start(c, bundleFile, inventory, "off")
	// No selftest ends this boot: it runs until the timeout.
	boot.Run(context.Background(), boot.Options{Netns: l.ns, Firmware: boot.FirmwareSeaBIOS, NICROM: boot.NICROMiPXE, MAC: mac,
		Timeout: 30 * time.Second, Progress: testLogWriter{t}})
	slog := l.log.String()
	if !logHas(slog, "msg=http", "path=/ipxe/"+mac+".ipxe", "status=200") {
		t.Errorf("serve did not hand the unknown client its script by MAC:\n%s", slog)
	}
	if !logHas(slog, "msg=http", "client="+poolIP+":", "bzImage", "status=200") {
		t.Errorf("the unknown client did not fetch the kernel from the pool address %s:\n%s", poolIP, slog)
	}
	if !logHas(d.Output(), "DHCP4_LEASE_ALLOC", mac, poolIP) {
		t.Errorf("kea did not lease %s to %s:\n%s", poolIP, mac, d.Output())
	}
}
