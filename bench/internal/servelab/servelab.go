// Package servelab is the benches' serve lab, as e2e/serve_test.go runs it
// (a compact copy of its lab: the test's helpers hang off *testing.T):
// `rambox serve` alone (DHCP full, TFTP, HTTP) in a network namespace of
// its own, and one SeaBIOS + iPXE ROM node per way of booting.
package servelab

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"rambox/bench/internal/syncbuf"
	"rambox/boot"
)

// Way is one way of booting: a node of the lab's inventory, by its boot:
// and arch: fields (arch zero: amd64), and the client's firmware and NIC
// ROM (zero: SeaBIOS with QEMU's iPXE ROM).
type Way struct{ Name, MAC, Boot, Firmware, NICROM, Arch string }

// Ways are the boots the benches measure, the two on subnet 10.NET.0.0/24:
// through the HTTP script (boot: ipxe) and pxelinux over TFTP.
func Ways(net int) []Way {
	return []Way{
		{Name: "http", MAC: fmt.Sprintf("52:54:00:%d:00:12", net), Boot: "ipxe"},
		{Name: "tftp", MAC: fmt.Sprintf("52:54:00:%d:00:11", net), Boot: "pxelinux"},
	}
}

// UKIWays are the UKI boots on subnet 10.NET.0.0/24: a boot: uki node
// whose UEFI firmware's own PXE loads the bundle's UKI over TFTP, with
// Secure Boot on (the snakeoil db, which must have signed the UKI) and off
// (plain OVMF): the same UKI, path and command line.
func UKIWays(net int) []Way {
	return []Way{
		{"uki-secureboot", fmt.Sprintf("52:54:00:%d:00:21", net), "uki", boot.FirmwareOVMFSecureBoot, boot.NICROMNone, ""},
		{"uki-plain", fmt.Sprintf("52:54:00:%d:00:22", net), "uki", boot.FirmwareOVMF, boot.NICROMNone, ""},
	}
}

// Arm64Ways is the arm64 boot on subnet 10.NET.0.0/24: an arch: arm64
// node whose AAVMF PXE loads GRUB, its grub.cfg, then the bundle's Image
// and initramfs, all over TFTP. The bundle must be an arm64 one.
func Arm64Ways(net int) []Way {
	return []Way{{"arm64-grub", fmt.Sprintf("52:54:00:%d:00:31", net), "grub", boot.FirmwareAAVMF, boot.NICROMNone, "arm64"}}
}

// Lab is serve running in its namespace.
type Lab struct {
	ns  *boot.Netns
	cmd *exec.Cmd
	dir string
	Log *syncbuf.Buffer // serve's output
}

// Start starts serve on the bundle named in bundleFile (signed by key)
// in a new namespace whose bridge is 10.NET.0.1, with one node per way
// (n0, n1... at .11, .12...), each booting with rambox.selftest and extra
// on its command line, and waits until it serves. Close ends it.
func Start(bin, key, bundleFile string, net int, ways []Way, extra string) (l *Lab, err error) {
	l = &Lab{Log: &syncbuf.Buffer{}}
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	if l.dir, err = os.MkdirTemp("", "servelab"); err != nil {
		return l, err
	}
	server := fmt.Sprintf("10.%d.0.1", net)
	inv := fmt.Sprintf("server:\n  ip: %s\n  subnet: 10.%d.0.0\n  netmask: 255.255.255.0\nnodes:\n", server, net)
	for i, w := range ways {
		arch := w.Arch
		if arch == "" {
			arch = "amd64"
		}
		inv += fmt.Sprintf("  - name: n%d\n    mac: %s\n    ip: 10.%d.0.%d\n    hostname: n%d.lab\n    boot: %s\n    arch: %s\n    cmdline: %s\n",
			i, w.MAC, net, 11+i, i, w.Boot, arch, strings.TrimSpace("rambox.selftest "+extra))
	}
	inventory := filepath.Join(l.dir, "nodes.yaml")
	if err := os.WriteFile(inventory, []byte(inv), 0o644); err != nil {
		return l, err
	}
	if l.ns, err = boot.NewNetns(context.Background(), boot.NetnsOptions{Server: netip.MustParsePrefix(server + "/24"), Progress: io.Discard}); err != nil {
		return l, err
	}
	argv := l.ns.Command(bin, "serve", "--bundle-file", bundleFile, "--key", key, "--inventory", inventory,
		"--state", filepath.Join(l.dir, "state"), "--interface", l.ns.Bridge(), "--dhcp", "full",
		"--http", server+":80", "--tftp", server+":69")
	l.cmd = exec.Command(argv[0], argv[1:]...)
	l.cmd.Stdout, l.cmd.Stderr = l.Log, l.Log
	if err := l.cmd.Start(); err != nil {
		l.cmd = nil
		return l, err
	}
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(l.Log.String(), "msg=serving"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return l, fmt.Errorf("serve did not log msg=serving within 60s:\n%s", l.Log)
		}
	}
	return l, nil
}

// Boot boots way w's node once, to the end of its selftest.
func (l *Lab) Boot(w Way) (*boot.Result, error) {
	res, err := boot.Run(context.Background(), boot.Options{Netns: l.ns, Firmware: w.Firmware, NICROM: w.NICROM, MAC: w.MAC,
		Timeout: 180 * time.Second, Progress: io.Discard})
	if err != nil {
		return res, fmt.Errorf("boot %s: %w\nserve's log:\n%s", w.Name, err, l.Log)
	}
	return res, nil
}

// Close stops serve, then removes the namespace and the lab's files.
func (l *Lab) Close() {
	if l.cmd != nil {
		l.cmd.Process.Signal(syscall.SIGTERM)
		l.cmd.Wait()
	}
	if l.ns != nil {
		l.ns.Close()
	}
	if l.dir != "" {
		os.RemoveAll(l.dir)
	}
}
