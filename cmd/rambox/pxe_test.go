package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHexIPCommand(t *testing.T) {
	for in, want := range map[string]string{"192.168.24.203": "C0A818CB", "localhost": "7F000001"} {
		out, err := run(t, ".", nil, "hexip", in)
		if err != nil || strings.TrimSpace(out) != want {
			t.Errorf("rambox hexip %s = %q, %v, want %s", in, out, err, want)
		}
	}
	if out, err := run(t, ".", nil, "hexip", "::1"); err == nil || !strings.Contains(out, "not an IPv4") {
		t.Errorf("rambox hexip ::1 = %q, %v, want an IPv4 error", out, err)
	}
}

func TestDhcpdConfCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "dhcpd.conf")
	if o, err := run(t, ".", nil, "dhcpd-conf", "--inventory", "../../pxe/testdata/nodes.yaml", "-o", out); err != nil {
		t.Fatalf("dhcpd-conf: %v\n%s", err, o)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "host rambox01 {") {
		t.Errorf("dhcpd.conf lacks host rambox01:\n%s", b)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("server: {ip: 10.0.0.1, subnet: 10.0.0.0, netmask: 255.255.255.0}\nnodes:\n  - {name: n1, mac: zz, ip: 10.0.0.2}\n"), 0o644)
	badOut := filepath.Join(dir, "bad.conf")
	o, err := run(t, ".", nil, "dhcpd-conf", "--inventory", bad, "-o", badOut)
	if err == nil || !strings.Contains(o, `node "n1": mac: "zz"`) {
		t.Errorf("bad inventory: %v\n%s", err, o)
	}
	if _, err := os.Stat(badOut); err == nil {
		t.Error("a rejected inventory still wrote its output")
	}
}
