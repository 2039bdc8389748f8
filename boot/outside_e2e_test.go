package boot

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"rambox/pxe"
	"rambox/tftproot"
)

// ipxeEFI is Debian ipxe's UEFI x86-64 iPXE, which OVMF's own PXE loads.
const ipxeEFI = "/usr/lib/ipxe/ipxe.efi"

// bootScript is the iPXE script the stand-in server hands to iPXE under
// UEFI: the bundle's kernel (an EFI stub, started as an EFI program) and
// initramfs over TFTP, names relative to the script's own URL. The EFI
// stub finds the initramfs by the initrd= word.
func bootScript(cmdline string) string {
	return fmt.Sprintf("#!ipxe\nkernel %s initrd=%s %s\ninitrd %s\nboot\n",
		tftproot.KernelFile, tftproot.InitramfsFile, cmdline, tftproot.InitramfsFile)
}

// standInServerArgv is dnsmasq as the "outside server" of a namespace
// made by NewNetns: DHCP with the node's fixed address and TFTP from
// root; pxelinux.0 for BIOS clients (arch 0, SeaBIOS with QEMU's iPXE
// ROM included), ipxe.efi for UEFI firmware's own PXE (arch 7), and the
// script to iPXE running under UEFI.
func standInServerArgv(dir, root, bridge string, nw *pxe.Network, node pxe.Node) []string {
	return []string{"dnsmasq", "--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null",
		"--port=0", "--no-resolv", "--no-hosts", "--user=root", "--group=root",
		"--interface=" + bridge, "--bind-interfaces",
		"--dhcp-range=" + nw.Prefix.Addr().String() + ",static," + nw.Netmask.String(),
		"--dhcp-host=" + node.MAC.String() + "," + node.IP.String(),
		"--enable-tftp", "--tftp-root=" + root,
		"--dhcp-match=set:efi64,option:client-arch,7",
		"--dhcp-userclass=set:ipxe,iPXE",
		"--dhcp-boot=tag:!efi64," + tftproot.BootFile,
		"--dhcp-boot=tag:efi64,tag:!ipxe," + filepath.Base(ipxeEFI),
		"--dhcp-boot=tag:efi64,tag:ipxe,boot.ipxe",
		"--pid-file=" + filepath.Join(dir, "server.pid"), "--dhcp-leasefile=" + filepath.Join(dir, "server.leases")}
}

// TestBootOutsideServer boots the bundle on a namespace without rambox
// boot's own servers (NewNetns, Options.Netns), served by dnsmasq run in
// it by the test: SeaBIOS through pxelinux over TFTP, OVMF through QEMU's
// iPXE ROM and the script, and OVMF's own UEFI PXE (no NIC ROM) loading
// ipxe.efi, then the script.
func TestBootOutsideServer(t *testing.T) {
	bundleDir := requireBootE2E(t)
	if os.Geteuid() != 0 {
		t.Fatal("network namespaces and tap devices need root")
	}
	for _, f := range []string{ipxeEFI, OVMFCode, OVMFVars} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%v (ci/deps.sh installs ipxe and ovmf)", err)
		}
	}
	// OVMF and ipxe.efi start the kernel as an EFI program.
	if k, err := os.ReadFile(filepath.Join(bundleDir, tftproot.KernelFile)); err != nil || len(k) < 2 || string(k[:2]) != "MZ" {
		t.Fatalf("%s/%s: no PE header (%v): UEFI clients need a kernel with CONFIG_EFI_STUB, such as the linux-6.1 profile's", bundleDir, tftproot.KernelFile, err)
	}
	root, info := layOut(t, bundleDir, "rambox.selftest")
	// The served tree is the test's own: it adds the UEFI loader and the
	// script beside what pull laid out.
	efi, err := os.ReadFile(ipxeEFI)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, filepath.Base(ipxeEFI)), efi, 0o644); err != nil {
		t.Fatal(err)
	}
	script := bootScript(info.KernelCmdline + " rambox.selftest")
	if err := os.WriteFile(filepath.Join(root, "boot.ipxe"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := pxe.LoadInventory(inventory)
	if err != nil {
		t.Fatal(err)
	}
	node := inv.Nodes[0]
	t.Cleanup(func() { checkNothingLeft(t) })

	for _, tc := range []struct {
		name, firmware, rom string
		wantMarks           []string
		wantSent            []string // files the server's TFTP log must show sent: the path each client took
	}{
		{"seabios-pxelinux", FirmwareSeaBIOS, NICROMiPXE, []string{"pxe-rom", "pxe-configured", "pxelinux", "kernel", "init", "selftest-end"},
			[]string{tftproot.BootFile, tftproot.LdlinuxFile}},
		{"ovmf-ipxe-rom", FirmwareOVMF, NICROMiPXE, []string{"pxe-rom", "pxe-configured", "kernel", "init", "selftest-end"},
			[]string{"boot.ipxe"}},
		{"ovmf-native-pxe", FirmwareOVMF, NICROMNone, []string{"firmware-pxe", "pxe-rom", "pxe-configured", "kernel", "init", "selftest-end"},
			[]string{filepath.Base(ipxeEFI), "boot.ipxe"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ns, err := NewNetns(ctx, NetnsOptions{Server: netip.PrefixFrom(inv.Network.Server, inv.Network.Prefix.Bits()), Progress: testWriter{t}})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := ns.Close(); err != nil {
					t.Error(err)
				}
			}()
			srv, err := ns.Start("dnsmasq (outside server)", standInServerArgv(t.TempDir(), root, ns.Bridge(), &inv.Network, node)...)
			if err != nil {
				t.Fatal(err)
			}
			if err := ns.WaitUDP(ctx, srv, 67, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			res, err := Run(ctx, Options{Netns: ns, Firmware: tc.firmware, NICROM: tc.rom, MAC: node.MAC.String(),
				Timeout: 180 * time.Second, Progress: testWriter{t}})
			if res != nil {
				t.Logf("QEMU ran %.1fs: %s", res.Elapsed.Seconds(), FormatMarks(res.Marks))
			}
			if err != nil {
				keepLog(t, res)
				t.Logf("server logs:\n%s", ns.Logs())
				t.Fatal(err)
			}
			checkSelftest(t, res, info, node.IP)
			var seen []string
			for _, m := range res.Marks {
				seen = append(seen, m.Name)
			}
			for _, m := range tc.wantMarks {
				if !slices.Contains(seen, m) {
					t.Errorf("mark %s not seen (seen: %v)", m, seen)
				}
			}
			for _, f := range tc.wantSent {
				if sent := "sent " + filepath.Join(root, f) + " "; !strings.Contains(srv.Output(), sent) {
					t.Errorf("the server never logged %q", sent)
				}
			}
			if t.Failed() {
				keepLog(t, res)
				t.Logf("server logs:\n%s", ns.Logs())
			}
		})
	}
}
