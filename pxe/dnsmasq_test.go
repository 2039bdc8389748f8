package pxe_test

import (
	"bytes"
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

func dnsmasqConf(t *testing.T, inv *pxe.Inventory, tftpRoot string) []byte {
	t.Helper()
	var b bytes.Buffer
	o := pxe.DnsmasqOptions{Interface: "br0", TFTPRoot: tftpRoot, Policy: dhcp.Policy(inv.Network.Server, 8080)}
	if err := pxe.WriteDnsmasqConf(&b, inv, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var dnsmasqCases = []struct{ inventory, tftpRoot, golden string }{
	{"nodes.yaml", "", "dnsmasq-seed.conf"},
	{"dhcpconf.yaml", "/srv/rambox/tftp", "dnsmasq-tftp.conf"},
}

func TestDnsmasqConfGolden(t *testing.T) {
	for _, tc := range dnsmasqCases {
		t.Run(tc.golden, func(t *testing.T) {
			golden(t, tc.golden, dnsmasqConf(t, load(t, tc.inventory), tc.tftpRoot))
		})
	}
}

// Every node, architecture and client kind has exactly one pxe-service
// line, and its file is the one dhcp.BootFile gives.
// The inventory's nodes boot ipxe and pxelinux; a second round makes the
// first one a uki node.
func TestDnsmasqConfFollowsPolicy(t *testing.T) {
	for _, boot := range []pxe.BootMethod{"", pxe.BootUKI} {
		inv := load(t, "dhcpconf.yaml")
		if boot != "" {
			inv.Nodes[0].Boot = boot
		}
		dnsmasqFollowsPolicy(t, inv)
	}
}

func dnsmasqFollowsPolicy(t *testing.T, inv *pxe.Inventory) {
	t.Helper()
	conf := string(dnsmasqConf(t, inv, ""))
	for _, n := range inv.Nodes {
		if !strings.Contains(conf, fmt.Sprintf("\ndhcp-host=%s,set:node-%s\n", n.MAC, n.Name)) {
			t.Errorf("no dhcp-host line tagging %s", n.Name)
		}
		for _, arch := range []iana.Arch{iana.INTEL_X86PC, iana.EFI_X86_64, iana.EFI_BC} {
			for _, ipxe := range []bool{false, true} {
				want, _ := dhcp.BootFile(arch, ipxe, n.Boot, n.MAC, inv.Network.Server, 8080)
				kind := "tag:!ipxe"
				if ipxe {
					kind = "tag:ipxe"
				}
				prefix := fmt.Sprintf("pxe-service=tag:node-%s,%s,%d,", n.Name, kind, arch)
				var got []string
				for _, line := range strings.Split(conf, "\n") {
					if strings.HasPrefix(line, prefix) {
						f := strings.Split(line, ",")
						got = append(got, f[len(f)-2])
					}
				}
				if len(got) != 1 || got[0] != want {
					t.Errorf("node %s, arch %d, iPXE %v: boot files %q, want [%q]", n.Name, arch, ipxe, got, want)
				}
			}
		}
	}
	if !strings.Contains(conf, "pxe-service=tag:!known,tag:ipxe,0,\"rambox\",http://10.9.0.1:8080/ipxe/${netX/mac}.ipxe,10.9.0.1\n") {
		t.Errorf("unknown iPXE clients are not sent the URL of their own script (${netX/mac}):\n%s", conf)
	}
	if strings.Contains(conf, "enable-tftp") || strings.Contains(string(dnsmasqConf(t, load(t, "nodes.yaml"), "")), "dhcp-ignore=tag:!known") == false {
		t.Errorf("without --tftp-root TFTP must be off; without allow_unknown unknown clients must be ignored")
	}
	var b bytes.Buffer
	if err := pxe.WriteDnsmasqConf(&b, inv, pxe.DnsmasqOptions{TFTPRoot: "tftp", Interface: "a,b"}); err == nil ||
		!strings.Contains(err.Error(), `tftp root: "tftp"`) || !strings.Contains(err.Error(), `interface: "a,b"`) || !strings.Contains(err.Error(), "boot policy") {
		t.Errorf("WriteDnsmasqConf(bad options) = %v, want errors naming the TFTP root, the interface and the policy", err)
	}
}

// TestDnsmasqAcceptsConfig runs dnsmasq's own syntax check on every
// generated config, and on a broken one, which it must refuse.
func TestDnsmasqAcceptsConfig(t *testing.T) {
	dnsmasq := daemon(t, "dnsmasq", "dnsmasq-base")
	check := func(body []byte) ([]byte, error) {
		p := filepath.Join(t.TempDir(), "dnsmasq.conf")
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		return exec.Command(dnsmasq, "--test", "--conf-file="+p).CombinedOutput()
	}
	for _, tc := range dnsmasqCases {
		t.Run(tc.golden, func(t *testing.T) {
			conf := dnsmasqConf(t, load(t, tc.inventory), tc.tftpRoot)
			out, err := check(conf)
			if err != nil || !strings.Contains(string(out), "syntax check OK") {
				t.Errorf("dnsmasq --test rejected the generated config: %v\n%s\n%s", err, out, conf)
			}
		})
	}
	conf := dnsmasqConf(t, load(t, "dhcpconf.yaml"), "")
	broken := bytes.Replace(conf, []byte(",proxy,"), []byte(",proxxy,"), 1)
	if out, err := check(broken); err == nil {
		t.Errorf("dnsmasq --test accepted a broken dhcp-range; the check above proves nothing:\n%s", out)
	}
}
