package pxe

import (
	"bytes"
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
	inv, nw, err := LoadInventory("testdata/nodes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if inv.Nodes[0].MAC != "08:00:07:26:c0:a5" {
		t.Errorf("MAC not normalized: %q", inv.Nodes[0].MAC)
	}
	cfgs, err := NodeConfigs("rw ip=dhcp rambox", inv, nw)
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
	base := func() Inventory {
		return Inventory{
			Server: Server{IP: "10.0.0.1", Subnet: "10.0.0.0", Netmask: "255.255.255.0"},
			Nodes:  []Node{{Name: "a", MAC: "02:00:00:00:00:01", IP: "10.0.0.10"}},
		}
	}
	tests := []struct {
		name   string
		change func(*Inventory)
		want   string
	}{
		{"bad mac", func(i *Inventory) { i.Nodes[0].MAC = "02:00:00:00:01" }, `node "a": mac: "02:00:00:00:01" is not a MAC`},
		{"bad ip", func(i *Inventory) { i.Nodes[0].IP = "10.0.0.300" }, `node "a": ip: "10.0.0.300" is not an IPv4`},
		{"outside subnet", func(i *Inventory) { i.Nodes[0].IP = "10.0.1.10" }, `node "a": ip: 10.0.1.10 is outside the subnet 10.0.0.0/24`},
		{"duplicate ip", func(i *Inventory) {
			i.Nodes = append(i.Nodes, Node{Name: "b", MAC: "02:00:00:00:00:02", IP: "10.0.0.10"})
		}, `node "b": ip: 10.0.0.10 is also node "a"'s`},
		{"duplicate mac", func(i *Inventory) {
			i.Nodes = append(i.Nodes, Node{Name: "b", MAC: "02:00:00:00:00:01", IP: "10.0.0.11"})
		}, `node "b": mac: 02:00:00:00:00:01 is also node "a"'s`},
		{"missing name", func(i *Inventory) { i.Nodes[0].Name = "" }, "node #1: name: missing"},
		{"bad netmask", func(i *Inventory) { i.Server.Netmask = "255.0.255.0" }, "server: netmask: 255.0.255.0 is not a contiguous netmask"},
		{"host bits", func(i *Inventory) { i.Server.Subnet = "10.0.0.5" }, "server: subnet: 10.0.0.5 has host bits set"},
		{"server's ip", func(i *Inventory) { i.Nodes[0].IP = "10.0.0.1" }, `node "a": ip: 10.0.0.1 is the server's own address`},
		{"range order", func(i *Inventory) { i.Server.Range = []string{"10.0.0.20", "10.0.0.10"} }, "server: range: 10.0.0.20 comes after 10.0.0.10"},
		{"no nodes", func(i *Inventory) { i.Nodes = nil }, "nodes: none listed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := base()
			if _, err := inv.Validate(); err != nil {
				t.Fatalf("base inventory invalid: %v", err)
			}
			tc.change(&inv)
			_, err := inv.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestInventoryUnknownField(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nodes.yaml")
	os.WriteFile(p, []byte("server: {ip: 10.0.0.1, subnet: 10.0.0.0, netmask: 255.255.255.0}\nnodes:\n  - {name: a, mac: 02:00:00:00:00:01, ip: 10.0.0.2, hostnme: x}\n"), 0o644)
	if _, _, err := LoadInventory(p); err == nil || !strings.Contains(err.Error(), "hostnme") {
		t.Errorf("LoadInventory = %v, want an error naming the unknown field hostnme", err)
	}
}

// TestDhcpdAcceptsConfig runs ISC dhcpd's own syntax check on the
// generated file.
func TestDhcpdAcceptsConfig(t *testing.T) {
	dhcpd, err := exec.LookPath("dhcpd")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/dhcpd"); err2 != nil {
			t.Fatalf("dhcpd not installed (just deps installs isc-dhcp-server): %v", err)
		}
		dhcpd = "/usr/sbin/dhcpd"
	}
	inv, nw, err := LoadInventory("testdata/nodes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var conf bytes.Buffer
	if err := WriteDhcpdConf(&conf, inv, nw); err != nil {
		t.Fatal(err)
	}
	if i, j := strings.Index(conf.String(), "\n  next-server 192.168.24.202;"), strings.Index(conf.String(), "class \"pxeclients\""); i < 0 || i > j {
		t.Errorf("dhcpd.conf does not give every client of the subnet the boot server (next-server before the PXE class)")
	}
	for _, want := range []string{"option space PXE;", `filename "pxelinux.0";`, "next-server 192.168.24.202;", "hardware ethernet 08:00:07:26:c0:a5;", "fixed-address 192.168.24.203;", "deny unknown clients;", "range 192.168.24.210 192.168.24.220;"} {
		if !strings.Contains(conf.String(), want) {
			t.Errorf("dhcpd.conf lacks %q", want)
		}
	}
	check := func(body []byte) ([]byte, error) {
		p := filepath.Join(t.TempDir(), "dhcpd.conf")
		os.WriteFile(p, body, 0o644)
		return exec.Command(dhcpd, "-t", "-cf", p).CombinedOutput()
	}
	if out, err := check(conf.Bytes()); err != nil {
		t.Errorf("dhcpd -t rejected the generated config: %v\n%s\n%s", err, out, conf.String())
	}
	// The check can fail: a broken config must be refused.
	if _, err := check(bytes.Replace(conf.Bytes(), []byte("next-server 192.168.24.202;"), []byte("next-server;"), 1)); err == nil {
		t.Error("dhcpd -t accepted a broken config; the check above proves nothing")
	}
}
