package boot

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rambox/pxe"
)

const inventory = "../pxe/testdata/nodes.yaml"

// pxelinuxConfig is pxe.PxelinuxConfig for a command line the test knows
// to be plain words.
func pxelinuxConfig(t *testing.T, cmdline string) string {
	t.Helper()
	cfg, err := pxe.PxelinuxConfig(cmdline)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fakeRoot makes a TFTP root shaped like tftproot's: the served names are
// symlinks into current/, which points into bundles/.
func fakeRoot(t *testing.T, configs map[string]string) string {
	t.Helper()
	root := t.TempDir()
	b := filepath.Join(root, "bundles", "abc")
	os.MkdirAll(filepath.Join(b, "pxelinux.cfg"), 0o755)
	for _, f := range requiredFiles {
		os.WriteFile(filepath.Join(b, f), []byte("file "+f), 0o644)
	}
	for name, body := range configs {
		os.WriteFile(filepath.Join(b, "pxelinux.cfg", name), []byte(body), 0o644)
	}
	os.Symlink("bundles/abc", filepath.Join(root, "current"))
	for _, f := range append(requiredFiles, "pxelinux.cfg") {
		os.Symlink(filepath.Join("current", f), filepath.Join(root, f))
	}
	return root
}

func TestValidate(t *testing.T) {
	both := fakeRoot(t, map[string]string{"default": pxelinuxConfig(t, "rw"), "C0A818CB": pxelinuxConfig(t, "rw")})
	nodeOnly := fakeRoot(t, map[string]string{"C0A818CB": pxelinuxConfig(t, "rw")})
	ns := &Netns{name: "ns1"}
	tests := []struct {
		name string
		o    Options
		want []string // substrings of the error; none: valid
	}{
		{"user defaults", Options{TFTPRoot: both}, nil},
		{"netns", Options{TFTPRoot: both, Net: NetNetns, Inventory: inventory, NIC: "e1000"}, nil},
		{"netns second node by MAC", Options{TFTPRoot: both, Net: NetNetns, Inventory: inventory, MAC: "08:00:07:26:C0:A6"}, nil},
		{"no root", Options{}, []string{"--tftp-root: required"}},
		{"missing files", Options{TFTPRoot: t.TempDir()}, []string{"--tftp-root: ", "has no pxelinux.0", "has no ldlinux.c32", "has no bzImage", "has no initramfs.cpio.gz"}},
		{"every problem at once", Options{TFTPRoot: both, NIC: "rtl8139", Net: "tap", MAC: "08:00:07:26:c0", Timeout: -time.Second, MemoryMB: 8, AppendExtra: []string{"a\nb"}},
			[]string{`--nic: "rtl8139" is not virtio or e1000`, `--net: "tap" is not user or netns`, `--mac: "08:00:07:26:c0" is not a MAC`, "--timeout: -1s is negative", "--memory: 8 MiB", "--append-extra: "}},
		{"firmware and NIC ROM", Options{TFTPRoot: both, Firmware: "coreboot", NICROM: "pxe"},
			[]string{`--firmware: "coreboot" is not seabios, ovmf, ovmf-secureboot or aavmf`, `--nic-rom: "pxe" is not ipxe or none`}},
		{"no NIC ROM under SeaBIOS", Options{TFTPRoot: both, NICROM: NICROMNone}, []string{"--nic-rom: none leaves SeaBIOS without any network boot code"}},
		{"no NIC ROM with e1000", Options{Netns: ns, Firmware: FirmwareOVMF, NICROM: NICROMNone, NIC: "e1000"}, []string{"--nic-rom: none with --nic e1000: OVMF has a driver for virtio only"}},
		{"iPXE ROM under AAVMF", Options{Netns: ns, Firmware: FirmwareAAVMF, NICROM: NICROMiPXE}, []string{"--nic-rom: ipxe with --firmware aavmf: QEMU's iPXE ROMs are x86 code"}},
		{"AAVMF without a server", Options{TFTPRoot: both, Firmware: FirmwareAAVMF}, []string{"--firmware: aavmf boots EFI programs"}},
		{"ovmf on rambox boot's own servers", Options{TFTPRoot: both, Firmware: FirmwareOVMF}, []string{"--firmware: ovmf boots EFI programs"}},
		{"caller's namespace, ovmf, no NIC ROM", Options{Netns: ns, Firmware: FirmwareOVMF, NICROM: NICROMNone}, nil},
		{"caller's namespace, ovmf with Secure Boot", Options{Netns: ns, Firmware: FirmwareOVMFSecureBoot, NICROM: NICROMNone}, nil},
		{"ovmf with Secure Boot on rambox boot's own servers", Options{TFTPRoot: both, Firmware: FirmwareOVMFSecureBoot}, []string{"--firmware: ovmf-secureboot boots EFI programs"}},
		{"caller's namespace, unknown MAC", Options{Netns: ns, Inventory: inventory, MAC: "02:00:00:00:00:01"}, nil},
		{"caller's namespace serves itself", Options{Netns: ns, TFTPRoot: both, Net: NetUser, AppendExtra: []string{"w"}},
			[]string{"--tftp-root: set with a namespace of the caller's", "--append-extra: needs rambox boot's own TFTP server", "--net: user with a namespace of the caller's"}},
		{"netns needs inventory", Options{TFTPRoot: both, Net: NetNetns}, []string{"--inventory: required with --net netns"}},
		{"bad inventory", Options{TFTPRoot: both, Inventory: "nonexistent.yaml"}, []string{"--inventory: open nonexistent.yaml"}},
		{"unknown MAC", Options{TFTPRoot: both, Net: NetNetns, Inventory: inventory, MAC: "02:00:00:00:00:01"}, []string{"--mac: 02:00:00:00:00:01 is no node's", "dhcpd would not answer"}},
		{"user mode finds no config", Options{TFTPRoot: nodeOnly}, []string{"--tftp-root: pxelinux.cfg/ has none of the files", "01-52-54-00-12-34-56, 0A00020F"}},
		{"netns finds its node's config", Options{TFTPRoot: nodeOnly, Net: NetNetns, Inventory: inventory}, nil},
		{"netns second node has none", Options{TFTPRoot: nodeOnly, Net: NetNetns, Inventory: inventory, MAC: "08:00:07:26:c0:a6"}, []string{"address 192.168.24.204 asks for"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v\nwant it to contain %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; len(tc.want) > 1 && n < len(tc.want)-1 {
				t.Errorf("%d problems reported, want each on a line of its own:\n%v", n, err)
			}
		})
	}
}

func TestClientIP(t *testing.T) {
	root := fakeRoot(t, map[string]string{"default": pxelinuxConfig(t, "rw")})
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{TFTPRoot: root}, "10.0.2.15"},
		{Options{TFTPRoot: root, Inventory: inventory}, "10.0.2.15"},
		{Options{TFTPRoot: root, Net: NetNetns, Inventory: inventory}, "192.168.24.203"},
		{Options{TFTPRoot: root, Net: NetNetns, Inventory: inventory, MAC: "08:00:07:26:c0:a6"}, "192.168.24.204"},
	} {
		got, err := tc.o.ClientIP()
		if err != nil || got.String() != tc.want {
			t.Errorf("ClientIP(%+v) = %v, %v, want %s", tc.o, got, err, tc.want)
		}
	}
}

func TestQEMUArgs(t *testing.T) {
	root := fakeRoot(t, map[string]string{"default": pxelinuxConfig(t, "rw"), "C0A818CB": pxelinuxConfig(t, "rw")})
	common := "-machine accel=tcg -m 256 -nographic -no-reboot -boot n "
	ovmfDrives := "-drive if=pflash,format=raw,unit=0,readonly=on,file=" + OVMFCode + " -drive if=pflash,format=raw,unit=1,file=/run/x/OVMF_VARS_4M.fd "
	tests := []struct {
		name   string
		o      Options
		netdev func(*plan) string
		want   string
	}{
		{"user virtio", Options{TFTPRoot: root}, func(p *plan) string { return userNetdev("/srv/tftp") },
			common + "-netdev user,id=n0,tftp=/srv/tftp,bootfile=pxelinux.0 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56"},
		{"user e1000, inventory MAC, more memory", Options{TFTPRoot: root, NIC: "e1000", Inventory: inventory, MemoryMB: 512}, func(p *plan) string { return userNetdev("/a,b") },
			"-machine accel=tcg -m 512 -nographic -no-reboot -boot n -netdev user,id=n0,tftp=/a,,b,bootfile=pxelinux.0 -device e1000,netdev=n0,mac=08:00:07:26:c0:a5"},
		{"netns e1000, MAC in upper case", Options{TFTPRoot: root, NIC: "e1000", Net: NetNetns, Inventory: inventory, MAC: "08:00:07:26:C0:A5"}, func(p *plan) string { return tapNetdev(tapDev) },
			common + "-netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device e1000,netdev=n0,mac=08:00:07:26:c0:a5"},
		{"seabios explicit, iPXE ROM explicit", Options{TFTPRoot: root, Firmware: FirmwareSeaBIOS, NICROM: NICROMiPXE}, func(p *plan) string { return userNetdev("/srv/tftp") },
			common + "-netdev user,id=n0,tftp=/srv/tftp,bootfile=pxelinux.0 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56"},
		{"ovmf with QEMU's iPXE ROM", Options{Firmware: FirmwareOVMF, Netns: &Netns{name: "ns1"}, Inventory: inventory}, func(p *plan) string { return tapNetdev(tapDev) },
			"-machine accel=tcg -m 256 -nographic -no-reboot " + ovmfDrives + "-netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-pci,netdev=n0,mac=08:00:07:26:c0:a5,bootindex=1"},
		{"ovmf, no NIC ROM: the firmware's own PXE", Options{Firmware: FirmwareOVMF, NICROM: NICROMNone, Netns: &Netns{name: "ns1"}, Inventory: inventory}, func(p *plan) string { return tapNetdev(tapDev) },
			"-machine accel=tcg -m 256 -nographic -no-reboot " + ovmfDrives + "-netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-pci,netdev=n0,mac=08:00:07:26:c0:a5,bootindex=1,romfile="},
		{"ovmf with Secure Boot: q35 with SMM, flash writable from SMM only", Options{Firmware: FirmwareOVMFSecureBoot, NICROM: NICROMNone, Netns: &Netns{name: "ns1"}, Inventory: inventory}, func(p *plan) string { return tapNetdev(tapDev) },
			"-machine q35,smm=on,accel=tcg -m 256 -nographic -no-reboot -drive if=pflash,format=raw,unit=0,readonly=on,file=" + OVMFSecureBootCode + " -drive if=pflash,format=raw,unit=1,file=/run/x/OVMF_VARS_4M.fd -global driver=cfi.pflash01,property=secure,value=on -netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-pci,netdev=n0,mac=08:00:07:26:c0:a5,bootindex=1,romfile="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.o.plan()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(qemuArgs(p, tc.netdev(p), "/run/x/OVMF_VARS_4M.fd"), " "); got != tc.want {
				t.Errorf("qemuArgs =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestServerCommands(t *testing.T) {
	inv, err := pxe.LoadInventory(inventory)
	if err != nil {
		t.Fatal(err)
	}
	server := netip.PrefixFrom(inv.Network.Server, inv.Network.Prefix.Bits())
	join := func(cmds [][]string) string {
		var lines []string
		for _, c := range cmds {
			lines = append(lines, strings.Join(c, " "))
		}
		return strings.Join(lines, "\n")
	}
	withRA := join(setupCommands("ns1", server, true))
	for _, want := range []string{
		"ip netns add ns1",
		"ip -n ns1 link add br0 type bridge forward_delay 0",
		"ip -n ns1 addr add 192.168.24.202/24 dev br0",
		"ip -n ns1 -6 addr add fd00:72:62::1/64 dev br0 nodad",
		"ip -n ns1 tuntap add dev tap0 mode tap",
		"ip -n ns1 link set tap0 master br0",
	} {
		if !strings.Contains(withRA, want) {
			t.Errorf("setup lacks %q:\n%s", want, withRA)
		}
	}
	if !strings.HasPrefix(withRA, "ip netns add ns1\n") {
		t.Errorf("the namespace must come first:\n%s", withRA)
	}
	if noRA := join(setupCommands("ns1", server, false)); strings.Contains(noRA, "fd00:") {
		t.Errorf("without RA, no IPv6 address:\n%s", noRA)
	}
	for _, tc := range []struct{ got, want string }{
		{strings.Join(dhcpdArgv("/d/c", "/d/l", "/d/p"), " "), "dhcpd -d -4 -cf /d/c -lf /d/l -pf /d/p br0"},
		{strings.Join(tftpdArgv("192.168.24.202", "/srv/tftp"), " "), "in.tftpd --foreground --secure --user root --address 192.168.24.202:69 /srv/tftp"},
		{strings.Join(netnsExec("ns1", []string{"qemu", "-x"}), " "), "ip netns exec ns1 qemu -x"},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %s\nwant %s", tc.got, tc.want)
		}
	}
	ra := strings.Join(dnsmasqArgv("/d"), " ")
	for _, want := range []string{"--keep-in-foreground", "--port=0", "--conf-file=/dev/null", "--enable-ra", "--dhcp-range=::,constructor:br0,ra-only", "--interface=br0", "--pid-file=/d/dnsmasq.pid"} {
		if !strings.Contains(ra, want) {
			t.Errorf("dnsmasq lacks %s: %s", want, ra)
		}
	}
}

func TestAppendWords(t *testing.T) {
	tests := []struct {
		name, in string
		words    []string
		want     string
		n        int
	}{
		{"one label", pxelinuxConfig(t, "rw ip=dhcp"), []string{"rambox.selftest"},
			"DEFAULT rambox\nLABEL rambox\n  KERNEL bzImage\n  APPEND initrd=initramfs.cpio.gz rw ip=dhcp rambox.selftest\n", 1},
		{"two labels, lower case, CRLF, trailing blanks", "label a\r\n  append x  \r\nlabel b\r\nAPPEND y", []string{"p", "q=1"},
			"label a\r\n  append x p q=1\r\nlabel b\r\nAPPEND y p q=1", 2},
		{"no APPEND", "DEFAULT x\nLABEL x\n  KERNEL k\n", []string{"w"}, "DEFAULT x\nLABEL x\n  KERNEL k\n", 0},
		{"APPENDIX is not APPEND", "  appendix x\n", []string{"w"}, "  appendix x\n", 0},
		{"no words", "APPEND x\n", nil, "APPEND x\n", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, n := appendWords(tc.in, tc.words)
			if got != tc.want || n != tc.n {
				t.Errorf("appendWords = %q, %d\nwant          %q, %d", got, n, tc.want, tc.n)
			}
		})
	}
}

func TestMakeView(t *testing.T) {
	cfg := pxelinuxConfig(t, "rw ip=dhcp")
	root := fakeRoot(t, map[string]string{"default": cfg, "C0A818CB": cfg})
	view, err := makeView(root, []string{"rambox.selftest", "shell"})
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(view)
	for _, f := range requiredFiles {
		fi, err := os.Lstat(filepath.Join(view, f))
		if err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s in the view: %v, %v; want a regular file (tftpd chroots: no links out)", f, fi, err)
		}
	}
	for _, name := range []string{"default", "C0A818CB"} {
		b, _ := os.ReadFile(filepath.Join(view, "pxelinux.cfg", name))
		if !strings.Contains(string(b), "APPEND initrd=initramfs.cpio.gz rw ip=dhcp rambox.selftest shell\n") {
			t.Errorf("view's pxelinux.cfg/%s =\n%s", name, b)
		}
		if b, _ := os.ReadFile(filepath.Join(root, "pxelinux.cfg", name)); string(b) != cfg {
			t.Errorf("the TFTP root's own pxelinux.cfg/%s changed:\n%s", name, b)
		}
	}
	for _, skipped := range []string{"bundles", "current"} {
		if _, err := os.Lstat(filepath.Join(view, skipped)); err == nil {
			t.Errorf("view holds %s", skipped)
		}
	}
	if fi, _ := os.Stat(view); fi.Mode().Perm() != 0o755 {
		t.Errorf("view mode %v, want 0755", fi.Mode().Perm())
	}

	noAppend := fakeRoot(t, map[string]string{"default": "DEFAULT x\n"})
	if dir, err := makeView(noAppend, []string{"w"}); err == nil || !strings.Contains(err.Error(), "no APPEND line") {
		t.Errorf("makeView without APPEND lines = %v, want an error", err)
	} else if dir != "" {
		t.Errorf("a failed makeView left %s", dir)
	}
}

func TestRecorder(t *testing.T) {
	var tee bytes.Buffer
	r := newRecorder(&tee)
	chunks := []string{"SeaBIOS\r\niPXE initial", "ising devices...ok\r\n\x1b[0mConfiguring (net0)... ok\r\nFilename: pxelinux.0\r\nPXELI", "NUX 6.04\r\nLinux version 2.6.39\r\n",
		"rambox: /init ready\r\nRAMBOX-SELFTEST-BEGIN\r\nRAMBOX-SELFTEST-", "END\r\n"}
	for _, c := range chunks {
		r.Write([]byte(c))
	}
	log, marks, _ := r.result()
	if string(log) != strings.Join(chunks, "") || tee.String() != string(log) {
		t.Errorf("log or its copy differs from what was written")
	}
	var names []string
	for _, m := range marks {
		names = append(names, m.Name)
	}
	if got, want := strings.Join(names, " "), "pxe-rom pxe-dhcp pxe-configured pxelinux kernel init selftest-end"; got != want {
		t.Errorf("marks %q, want %q", got, want)
	}
	if got := FormatMarks([]Mark{{"a", 1500 * time.Millisecond}, {"b", 2 * time.Second}}); got != "a 1.5s, b 2.0s" {
		t.Errorf("FormatMarks = %q", got)
	}
}

// TestRecorderOVMF feeds serial logs of OVMF clients to the recorder in
// small writes. EFI iPXE prints no "initialising devices" line; OVMF's
// own PXE announces itself; a UEFI text console (syslinux.efi's, here)
// moves the cursor before every character it prints.
func TestRecorderOVMF(t *testing.T) {
	// What syslinux.efi wrote for "Cannot relocate": ESC[row;colH twice per character.
	perChar := func(text string) []byte {
		var b []byte
		for i, c := range text {
			b = fmt.Appendf(b, "\x1b[19;%02dH\x1b[19;%02dH%c", i+1, i+1, c)
		}
		return b
	}
	golden := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name  string
		log   []byte
		chunk int
		want  string
	}{
		{"QEMU's iPXE ROM, EFI stub kernel", golden("ovmf-ipxe-rom.serial.log"), 37, "pxe-rom pxe-dhcp pxe-configured kernel init selftest-end"},
		{"OVMF's own PXE, syslinux.efi", golden("ovmf-native-pxe-syslinux-efi.serial.log"), 37, "firmware-pxe"},
		{"a long marker one character at a time", append(perChar("iPXE -- Open Source Network Boot Firmware --"), "\r\n"...), 1, "pxe-rom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder(nil)
			for log := tc.log; len(log) > 0; {
				n := min(tc.chunk, len(log))
				r.Write(log[:n])
				log = log[n:]
			}
			_, marks, _ := r.result()
			var names []string
			for _, m := range marks {
				names = append(names, m.Name)
			}
			if got := strings.Join(names, " "); got != tc.want {
				t.Errorf("marks %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewNetnsRejectsServer(t *testing.T) {
	for _, server := range []netip.Prefix{{}, netip.MustParsePrefix("fd00::1/64")} {
		if n, err := NewNetns(context.Background(), NetnsOptions{Server: server}); err == nil || !strings.Contains(err.Error(), "want an IPv4 address") {
			if n != nil {
				n.Close()
			}
			t.Errorf("NewNetns(%v) = %v, want an error naming the server address", server, err)
		}
	}
}
