package pxe

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestHexIP(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.168.24.203", "C0A818CB"},
		{"10.10.24.203", "0A0A18CB"},
		{"0.0.0.1", "00000001"},
		{"255.255.255.255", "FFFFFFFF"},
	}
	for _, tc := range tests {
		got, err := HexIP(netip.MustParseAddr(tc.in))
		if err != nil || got != tc.want {
			t.Errorf("HexIP(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := HexIP(netip.MustParseAddr("::1")); err == nil {
		t.Error("HexIP(::1) succeeded, want an error")
	}
}

func TestConfigNames(t *testing.T) {
	got, _ := ConfigNames("08-00-07-26-c0-a5", netip.MustParseAddr("192.168.24.203"))
	want := "01-08-00-07-26-c0-a5 C0A818CB C0A818C C0A818 C0A81 C0A8 C0A C0 C default"
	if strings.Join(got, " ") != want {
		t.Errorf("ConfigNames = %q, want %q", strings.Join(got, " "), want)
	}
}

func TestInventoryAndConfigs(t *testing.T) {
	inv, err := LoadInventory("testdata/nodes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := inv.Nodes[0]
	if n.MAC.String() != "08:00:07:26:c0:a5" || n.IP != netip.MustParseAddr("192.168.24.203") {
		t.Errorf("node %s: mac %q, ip %s, want 08:00:07:26:c0:a5 (normalized), 192.168.24.203", n.Name, n.MAC, n.IP)
	}
	if nw := inv.Network; nw.Prefix != netip.MustParsePrefix("192.168.24.0/24") || nw.Router != netip.MustParseAddr("192.168.24.1") || nw.RangeLast != netip.MustParseAddr("192.168.24.220") {
		t.Errorf("network = %+v, want 192.168.24.0/24, router .1, range up to .220", nw)
	}
	cfgs, err := NodeConfigs("rw ip=dhcp rambox", inv)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"C0A818CB": "DEFAULT rambox\nLABEL rambox\n  KERNEL bzImage\n  APPEND initrd=initramfs.cpio.gz rw ip=dhcp rambox\n",
		"C0A818CC": "DEFAULT rambox\nLABEL rambox\n  KERNEL bzImage\n  APPEND initrd=initramfs.cpio.gz rw rambox ip=192.168.24.204:192.168.24.202:192.168.24.1:255.255.255.0:rambox02:eth0:off shell\n",
	}
	for name, body := range want {
		if cfgs[name] != body {
			t.Errorf("pxelinux.cfg/%s =\n%s\nwant\n%s", name, cfgs[name], body)
		}
	}
	if len(cfgs) != len(want) {
		t.Errorf("%d configs, want %d", len(cfgs), len(want))
	}
}

func TestInventoryErrors(t *testing.T) {
	base := func() inventoryFile {
		return inventoryFile{
			Server: serverFile{IP: "10.0.0.1", Subnet: "10.0.0.0", Netmask: "255.255.255.0", Router: "10.0.0.254", Range: []string{"10.0.0.100", "10.0.0.200"}},
			Nodes:  []nodeFile{{Name: "a", MAC: "02:00:00:00:00:01", IP: "10.0.0.10"}},
		}
	}
	tests := []struct {
		name   string
		change func(*inventoryFile)
		want   string
	}{
		{"bad mac", func(i *inventoryFile) { i.Nodes[0].MAC = "02:00:00:00:01" }, `node "a": mac: "02:00:00:00:01" is not a MAC`},
		{"dashed mac", func(i *inventoryFile) { i.Nodes[0].MAC = "02-00-00-00-00-01" }, `node "a": mac: "02-00-00-00-00-01" is not a MAC`},
		{"bad ip", func(i *inventoryFile) { i.Nodes[0].IP = "10.0.0.300" }, `node "a": ip: "10.0.0.300" is not an IPv4`},
		{"outside subnet", func(i *inventoryFile) { i.Nodes[0].IP = "10.0.1.10" }, `node "a": ip: 10.0.1.10 is outside the subnet 10.0.0.0/24`},
		{"duplicate ip", func(i *inventoryFile) {
			i.Nodes = append(i.Nodes, nodeFile{Name: "b", MAC: "02:00:00:00:00:02", IP: "10.0.0.10"})
		}, `node "b": ip: 10.0.0.10 is also node "a"'s`},
		{"duplicate mac", func(i *inventoryFile) {
			i.Nodes = append(i.Nodes, nodeFile{Name: "b", MAC: "02:00:00:00:00:01", IP: "10.0.0.11"})
		}, `node "b": mac: 02:00:00:00:00:01 is also node "a"'s`},
		{"duplicate mac, other case", func(i *inventoryFile) {
			i.Nodes = append(i.Nodes, nodeFile{Name: "b", MAC: "02:00:00:00:00:0A", IP: "10.0.0.11"}, nodeFile{Name: "c", MAC: "02:00:00:00:00:0a", IP: "10.0.0.12"})
		}, `node "c": mac: 02:00:00:00:00:0a is also node "b"'s`},
		{"missing name", func(i *inventoryFile) { i.Nodes[0].Name = "" }, "node #1: name: missing"},
		{"bad netmask", func(i *inventoryFile) { i.Server.Netmask = "255.0.255.0" }, "server: netmask: 255.0.255.0 is not a contiguous netmask"},
		{"host bits", func(i *inventoryFile) { i.Server.Subnet = "10.0.0.5" }, "server: subnet: 10.0.0.5 has host bits set"},
		{"server's ip", func(i *inventoryFile) { i.Nodes[0].IP = "10.0.0.1" }, `node "a": ip: 10.0.0.1 is the server's own address`},
		{"node ip is the network", func(i *inventoryFile) { i.Nodes[0].IP = "10.0.0.0" }, `node "a": ip: 10.0.0.0 is the network address of 10.0.0.0/24`},
		{"node ip is the broadcast", func(i *inventoryFile) { i.Nodes[0].IP = "10.0.0.255" }, `node "a": ip: 10.0.0.255 is the broadcast address of 10.0.0.0/24`},
		{"node ip is the router", func(i *inventoryFile) { i.Nodes[0].IP = "10.0.0.254" }, `node "a": ip: 10.0.0.254 is the router's address`},
		{"node ip in the range", func(i *inventoryFile) { i.Nodes[0].IP = "10.0.0.150" }, `node "a": ip: 10.0.0.150 is inside the dynamic range 10.0.0.100-10.0.0.200`},
		{"node ip at the range's end", func(i *inventoryFile) { i.Nodes[0].IP = "10.0.0.200" }, `node "a": ip: 10.0.0.200 is inside the dynamic range`},
		{"broadcast of a /20", func(i *inventoryFile) {
			i.Server.Netmask = "255.255.240.0"
			i.Nodes[0].IP = "10.0.15.255"
		}, `node "a": ip: 10.0.15.255 is the broadcast address of 10.0.0.0/20`},
		{"server ip is the network", func(i *inventoryFile) { i.Server.IP = "10.0.0.0" }, "server: ip: 10.0.0.0 is the network address of 10.0.0.0/24"},
		{"server ip is the broadcast", func(i *inventoryFile) { i.Server.IP = "10.0.0.255" }, "server: ip: 10.0.0.255 is the broadcast address of 10.0.0.0/24"},
		{"server ip in the range", func(i *inventoryFile) { i.Server.IP = "10.0.0.100" }, "server: ip: 10.0.0.100 is inside the dynamic range"},
		{"router is the broadcast", func(i *inventoryFile) { i.Server.Router = "10.0.0.255" }, "server: router: 10.0.0.255 is the broadcast address"},
		{"range starts at the network", func(i *inventoryFile) { i.Server.Range = []string{"10.0.0.0", "10.0.0.5"} }, "server: range: 10.0.0.0 is the network address"},
		{"range order", func(i *inventoryFile) { i.Server.Range = []string{"10.0.0.20", "10.0.0.10"} }, "server: range: 10.0.0.20 comes after 10.0.0.10"},
		{"allow_unknown without a range", func(i *inventoryFile) {
			i.Server.Range = nil
			i.Server.AllowUnknown = true
		}, "server: allow_unknown: true, but there is no range"},
		{"no nodes", func(i *inventoryFile) { i.Nodes = nil }, "nodes: none listed"},
		{"bad boot", func(i *inventoryFile) { i.Nodes[0].Boot = "grub" }, `node "a": boot: "grub" is not "pxelinux", "ipxe" or "uki" (for arch amd64)`},
		{"bad arch", func(i *inventoryFile) { i.Nodes[0].Arch = "riscv64" }, `node "a": arch: "riscv64" is not "amd64" or "arm64"`},
		{"arm64 with ipxe", func(i *inventoryFile) {
			i.Nodes[0].Arch = "arm64"
			i.Nodes[0].Boot = "ipxe"
		}, `node "a": boot: "ipxe": an arm64 node boots only "grub"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := base()
			if _, err := inv.validate(); err != nil {
				t.Fatalf("base inventory invalid: %v", err)
			}
			tc.change(&inv)
			_, err := inv.validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

// A node's boot method defaults to iPXE (GRUB for arm64), its arch to
// amd64; both are kept as written.
func TestInventoryBoot(t *testing.T) {
	f := inventoryFile{
		Server: serverFile{IP: "10.0.0.1", Subnet: "10.0.0.0", Netmask: "255.255.255.0"},
		Nodes: []nodeFile{
			{Name: "a", MAC: "02:00:00:00:00:01", IP: "10.0.0.10"},
			{Name: "b", MAC: "02:00:00:00:00:02", IP: "10.0.0.11", Boot: "pxelinux"},
			{Name: "c", MAC: "02:00:00:00:00:03", IP: "10.0.0.12", Boot: "ipxe"},
			{Name: "d", MAC: "02:00:00:00:00:04", IP: "10.0.0.13", Arch: "arm64"},
			{Name: "e", MAC: "02:00:00:00:00:05", IP: "10.0.0.14", Arch: "arm64", Boot: "grub"},
			{Name: "f", MAC: "02:00:00:00:00:06", IP: "10.0.0.15", Arch: "amd64", Boot: "uki"},
		},
	}
	inv, err := f.validate()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		boot BootMethod
		arch string
	}{{BootIPXE, ArchAMD64}, {BootPxelinux, ArchAMD64}, {BootIPXE, ArchAMD64}, {BootGRUB, ArchARM64}, {BootGRUB, ArchARM64}, {BootUKI, ArchAMD64}} {
		if n := inv.Nodes[i]; n.Boot != want.boot || n.Arch != want.arch {
			t.Errorf("node %s with boot %q, arch %q: Boot = %q, Arch = %q, want %q, %q", n.Name, f.Nodes[i].Boot, f.Nodes[i].Arch, n.Boot, n.Arch, want.boot, want.arch)
		}
	}
}

// A /31 has no network or broadcast address (RFC 3021): both are hosts.
func TestInventoryPointToPoint(t *testing.T) {
	f := inventoryFile{
		Server: serverFile{IP: "10.0.0.0", Subnet: "10.0.0.0", Netmask: "255.255.255.254"},
		Nodes:  []nodeFile{{Name: "a", MAC: "02:00:00:00:00:01", IP: "10.0.0.1"}},
	}
	if _, err := f.validate(); err != nil {
		t.Errorf("validate(/31) = %v, want nil", err)
	}
}

func TestPxelinuxConfigRefusesControls(t *testing.T) {
	for _, cmdline := range []string{"rw\nLABEL evil\n  KERNEL x", "rw\r\nAPPEND x", "rw\x00", "rw\tip=dhcp", "rw\x7f", "rw \u0085"} {
		got, err := PxelinuxConfig(cmdline)
		if !errors.Is(err, ErrCmdlineControl) || !strings.Contains(err.Error(), fmt.Sprintf("kernel command line %q", cmdline)) {
			t.Errorf("PxelinuxConfig(%q) = %q, %v, want an error naming the command line", cmdline, got, err)
		}
	}
	if _, err := PxelinuxConfig(`rw ip=dhcp rambox foo="a b" é`); err != nil {
		t.Errorf("PxelinuxConfig(plain words) = %v", err)
	}
	inv, err := LoadInventory("testdata/nodes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NodeConfigs("rw\x01", inv); !errors.Is(err, ErrCmdlineControl) || !strings.Contains(err.Error(), `node "rambox01"`) {
		t.Errorf("NodeConfigs(control character) = %v, want an error naming the node", err)
	}
}

func TestInventoryUnknownField(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nodes.yaml")
	os.WriteFile(p, []byte("server: {ip: 10.0.0.1, subnet: 10.0.0.0, netmask: 255.255.255.0}\nnodes:\n  - {name: a, mac: 02:00:00:00:00:01, ip: 10.0.0.2, hostnme: x}\n"), 0o644)
	if _, err := LoadInventory(p); err == nil || !strings.Contains(err.Error(), "hostnme") {
		t.Errorf("LoadInventory = %v, want an error naming the unknown field hostnme", err)
	}
}

// TestDhcpdAcceptsConfig runs ISC dhcpd's own syntax check on the
// generated file, for an inventory with a dynamic range and one without.
func TestDhcpdAcceptsConfig(t *testing.T) {
	dhcpd, err := exec.LookPath("dhcpd")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/dhcpd"); err2 != nil {
			t.Fatalf("dhcpd not installed (just deps installs isc-dhcp-server): %v", err)
		}
		dhcpd = "/usr/sbin/dhcpd"
	}
	check := func(body []byte) ([]byte, error) {
		p := filepath.Join(t.TempDir(), "dhcpd.conf")
		os.WriteFile(p, body, 0o644)
		return exec.Command(dhcpd, "-t", "-cf", p).CombinedOutput()
	}
	seed, err := os.ReadFile("testdata/nodes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const rangeLine = "  range: [192.168.24.210, 192.168.24.220]\n"
	if !bytes.Contains(seed, []byte(rangeLine)) {
		t.Fatalf("testdata/nodes.yaml no longer has %q; update the test", rangeLine)
	}
	common := []string{"option space PXE;", `filename "pxelinux.0";`, "next-server 192.168.24.202;", "hardware ethernet 08:00:07:26:c0:a5;", "fixed-address 192.168.24.203;"}
	tests := []struct {
		name         string
		yaml         []byte
		want, absent []string
	}{
		{"with range", seed, append(common, "range 192.168.24.210 192.168.24.220;", "deny unknown clients;"), nil},
		{"without range", bytes.Replace(seed, []byte(rangeLine), nil, 1), common, []string{"pool", "range", "unknown clients"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "nodes.yaml")
			os.WriteFile(p, tc.yaml, 0o644)
			inv, err := LoadInventory(p)
			if err != nil {
				t.Fatal(err)
			}
			var conf bytes.Buffer
			if err := WriteDhcpdConf(&conf, inv); err != nil {
				t.Fatal(err)
			}
			c := conf.String()
			if i, j := strings.Index(c, "\n  next-server 192.168.24.202;"), strings.Index(c, "class \"pxeclients\""); i < 0 || i > j {
				t.Errorf("dhcpd.conf does not give every client of the subnet the boot server (next-server before the PXE class)")
			}
			for _, want := range tc.want {
				if !strings.Contains(c, want) {
					t.Errorf("dhcpd.conf lacks %q", want)
				}
			}
			for _, no := range tc.absent {
				if strings.Contains(c, no) {
					t.Errorf("dhcpd.conf has %q:\n%s", no, c)
				}
			}
			if out, err := check(conf.Bytes()); err != nil {
				t.Errorf("dhcpd -t rejected the generated config: %v\n%s\n%s", err, out, c)
			}
			// The check can fail: a broken config must be refused.
			if _, err := check(bytes.Replace(conf.Bytes(), []byte("next-server 192.168.24.202;"), []byte("next-server;"), 1)); err == nil {
				t.Error("dhcpd -t accepted a broken config; the check above proves nothing")
			}
		})
	}
}
