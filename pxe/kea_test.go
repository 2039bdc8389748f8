package pxe_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/insomniacslk/dhcp/iana"

	"rambox/pxe"
	"rambox/serve/dhcp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./pxe -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./pxe -update rewrites it):\n%s", p, got)
	}
}

func load(t *testing.T, name string) *pxe.Inventory {
	t.Helper()
	inv, err := pxe.LoadInventory(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// daemon finds a DHCP server binary for a test-mode check: skipped
// without RAMBOX_E2E=1, a failure naming the package with it.
func daemon(t *testing.T, name, pkg string) string {
	t.Helper()
	if os.Getenv("RAMBOX_E2E") != "1" {
		t.Skipf("runs %s: set RAMBOX_E2E=1 (just test does)", name)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/" + name); err2 != nil {
			t.Fatalf("%s not installed (ci/deps.sh installs %s): %v", name, pkg, err)
		}
		p = "/usr/sbin/" + name
	}
	return p
}

func keaConf(t *testing.T, inv *pxe.Inventory, mode string) []byte {
	t.Helper()
	var b bytes.Buffer
	o := pxe.KeaOptions{Mode: mode, Policy: dhcp.Policy(inv.Network.Server, 8080)}
	if err := pxe.WriteKeaConf(&b, inv, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var keaCases = []struct{ inventory, mode, golden string }{
	{"nodes.yaml", pxe.KeaFull, "kea-seed-full.json"},
	{"dhcpconf.yaml", pxe.KeaFull, "kea-full.json"},
	{"dhcpconf.yaml", pxe.KeaAddresses, "kea-addresses.json"},
}

func TestKeaConfGolden(t *testing.T) {
	for _, tc := range keaCases {
		t.Run(tc.golden, func(t *testing.T) {
			golden(t, tc.golden, keaConf(t, load(t, tc.inventory), tc.mode))
		})
	}
}

// keaDoc is the part of the generated config the tests read back.
type keaDoc struct {
	Dhcp4 struct {
		ClientClasses []struct {
			Name, Test   string
			NextServer   string `json:"next-server"`
			BootFileName string `json:"boot-file-name"`
		} `json:"client-classes"`
		Subnet4 []struct {
			Subnet       string
			NextServer   string `json:"next-server"`
			Pools        []struct{ Pool string }
			Reservations []struct {
				HWAddress string `json:"hw-address"`
				IPAddress string `json:"ip-address"`
				Hostname  string
			}
		}
	}
}

func parseKea(t *testing.T, b []byte) keaDoc {
	t.Helper()
	var d keaDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("generated kea config is not JSON: %v", err)
	}
	return d
}

// The classes agree with the policy serve itself answers by: for every
// node, architecture and client kind, the one class whose test names the
// node's MAC, the architecture and the client kind carries the file
// dhcp.BootFile gives. The inventory's nodes boot ipxe and pxelinux; a
// second round makes the first one a uki node.
func TestKeaConfFollowsPolicy(t *testing.T) {
	for _, boot := range []pxe.BootMethod{"", pxe.BootUKI} {
		inv := load(t, "dhcpconf.yaml")
		if boot != "" {
			inv.Nodes[0].Boot = boot
		}
		keaFollowsPolicy(t, inv)
	}
}

func keaFollowsPolicy(t *testing.T, inv *pxe.Inventory) {
	t.Helper()
	d := parseKea(t, keaConf(t, inv, pxe.KeaFull))
	for _, n := range inv.Nodes {
		mac := "pkt4.mac == 0x" + strings.ReplaceAll(n.MAC.String(), ":", "")
		for _, arch := range []iana.Arch{iana.INTEL_X86PC, iana.EFI_X86_64, iana.EFI_BC} {
			for _, ipxe := range []bool{false, true} {
				want, ok := dhcp.BootFile(arch, ipxe, n.Boot, n.MAC, inv.Network.Server, 8080)
				if !ok {
					t.Fatalf("BootFile(%v, %v, %s) has no file", arch, ipxe, n.Boot)
				}
				archTest := fmt.Sprintf("0x%04x", uint16(arch))
				var got []string
				for _, c := range d.Dhcp4.ClientClasses {
					if strings.Contains(c.Test, mac) && strings.Contains(c.Test, archTest) && strings.HasSuffix(c.Test, "and option[77].hex == 'iPXE'") == ipxe {
						got = append(got, c.BootFileName)
						if c.NextServer != inv.Network.Server.String() {
							t.Errorf("class %s: next-server = %q, want %s", c.Name, c.NextServer, inv.Network.Server)
						}
					}
				}
				if len(got) != 1 || got[0] != want {
					t.Errorf("node %s, arch %d, iPXE %v: boot files %q, want [%q]", n.Name, arch, ipxe, got, want)
				}
			}
		}
	}
}

func TestKeaConfModes(t *testing.T) {
	inv := load(t, "dhcpconf.yaml")
	full := parseKea(t, keaConf(t, inv, pxe.KeaFull))
	addr := parseKea(t, keaConf(t, inv, pxe.KeaAddresses))
	if len(addr.Dhcp4.ClientClasses) != 0 || addr.Dhcp4.Subnet4[0].NextServer != "" {
		t.Errorf("mode addresses has %d classes and next-server %q, want none: its offers must not compete with serve's proxy", len(addr.Dhcp4.ClientClasses), addr.Dhcp4.Subnet4[0].NextServer)
	}
	if len(full.Dhcp4.ClientClasses) == 0 || full.Dhcp4.Subnet4[0].NextServer != "10.9.0.1" {
		t.Errorf("mode full has %d classes and next-server %q, want classes and 10.9.0.1", len(full.Dhcp4.ClientClasses), full.Dhcp4.Subnet4[0].NextServer)
	}
	for _, d := range []keaDoc{full, addr} {
		s := d.Dhcp4.Subnet4[0]
		if len(s.Reservations) != 2 || s.Reservations[0].HWAddress != "52:54:00:09:00:11" || s.Reservations[0].IPAddress != "10.9.0.11" || s.Reservations[0].Hostname != "ipxe01.lab" {
			t.Errorf("reservations = %+v, want ipxe01's and pxe01's", s.Reservations)
		}
		if len(s.Pools) != 1 || s.Pools[0].Pool != "10.9.0.100 - 10.9.0.199" {
			t.Errorf("pools = %+v, want 10.9.0.100 - 10.9.0.199 (unknown clients allowed)", s.Pools)
		}
	}
	// The seed's inventory has a range but denies unknown clients: no pool.
	if s := parseKea(t, keaConf(t, load(t, "nodes.yaml"), pxe.KeaFull)).Dhcp4.Subnet4[0]; len(s.Pools) != 0 {
		t.Errorf("pools = %+v for an inventory without allow_unknown, want none", s.Pools)
	}
	var b bytes.Buffer
	if err := pxe.WriteKeaConf(&b, inv, pxe.KeaOptions{Mode: "proxy", Interfaces: []string{"a b"}}); err == nil ||
		!strings.Contains(err.Error(), `mode: "proxy"`) || !strings.Contains(err.Error(), `interface: "a b"`) {
		t.Errorf("WriteKeaConf(bad options) = %v, want errors naming the mode and the interface", err)
	}
}

// TestKeaAcceptsConfig runs kea-dhcp4's own config check (-t) on every
// generated config, and on a broken one, which it must refuse.
func TestKeaAcceptsConfig(t *testing.T) {
	kea := daemon(t, "kea-dhcp4", "kea-dhcp4-server")
	check := func(body []byte) ([]byte, error) {
		dir := t.TempDir()
		p := filepath.Join(dir, "kea-dhcp4.conf")
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(kea, "-t", p)
		cmd.Env = append(os.Environ(), "KEA_LOCKFILE_DIR="+dir, "KEA_PIDFILE_DIR="+dir)
		return cmd.CombinedOutput()
	}
	for _, tc := range keaCases {
		t.Run(tc.golden, func(t *testing.T) {
			conf := keaConf(t, load(t, tc.inventory), tc.mode)
			if out, err := check(conf); err != nil {
				t.Errorf("kea-dhcp4 -t rejected the generated config: %v\n%s\n%s", err, out, conf)
			}
		})
	}
	conf := keaConf(t, load(t, "dhcpconf.yaml"), pxe.KeaFull)
	broken := bytes.Replace(conf, []byte("== 'iPXE'"), []byte("== 'iPXE"), 1)
	if bytes.Equal(broken, conf) {
		t.Fatal("the broken config is the same as the good one")
	}
	if out, err := check(broken); err == nil {
		t.Errorf("kea-dhcp4 -t accepted a config with a broken class test; the check above proves nothing:\n%s", out)
	}
}
