package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeaConfCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "kea-dhcp4.conf")
	if o, err := run(t, ".", nil, "kea-conf", "--inventory", "../../pxe/testdata/nodes.yaml", "--http-port", "8080", "--interface", "br0", "-o", out); err != nil {
		t.Fatalf("kea-conf: %v\n%s", err, o)
	}
	b, _ := os.ReadFile(out)
	for _, want := range []string{`"hw-address": "08:00:07:26:c0:a5"`, `"boot-file-name": "http://192.168.24.202:8080/ipxe/08:00:07:26:c0:a5.ipxe"`, `"br0"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("kea config lacks %s:\n%s", want, b)
		}
	}
	o, err := run(t, ".", nil, "kea-conf", "--inventory", "../../pxe/testdata/nodes.yaml", "--mode", "addresses")
	if err != nil || strings.Contains(o, "boot-file-name") || !strings.Contains(o, `"ip-address": "192.168.24.203"`) {
		t.Errorf("kea-conf --mode addresses = %v, want reservations and no boot files:\n%s", err, o)
	}
	o, err = run(t, ".", nil, "kea-conf", "--inventory", "../../pxe/testdata/nodes.yaml", "--mode", "proxy", "-o", filepath.Join(dir, "bad.conf"))
	if err == nil || !strings.Contains(o, `mode: "proxy"`) {
		t.Errorf("kea-conf --mode proxy = %v, want an error naming the mode:\n%s", err, o)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.conf")); err == nil {
		t.Error("a refused kea-conf still wrote its output")
	}
}

func TestDnsmasqConfCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "dnsmasq.conf")
	if o, err := run(t, ".", nil, "dnsmasq-conf", "--inventory", "../../pxe/testdata/nodes.yaml", "--tftp-root", "/srv/tftp", "-o", out); err != nil {
		t.Fatalf("dnsmasq-conf: %v\n%s", err, o)
	}
	b, _ := os.ReadFile(out)
	for _, want := range []string{"dhcp-range=192.168.24.0,proxy,255.255.255.0", "tftp-root=/srv/tftp", "http://192.168.24.202:80/ipxe/08:00:07:26:c0:a5.ipxe"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("dnsmasq config lacks %s:\n%s", want, b)
		}
	}
	if o, err := run(t, ".", nil, "dnsmasq-conf", "--inventory", "../../pxe/testdata/nodes.yaml", "--tftp-root", "tftp"); err == nil || !strings.Contains(o, `tftp root: "tftp"`) {
		t.Errorf("dnsmasq-conf --tftp-root tftp = %v, want an error naming the TFTP root:\n%s", err, o)
	}
	if o, err := run(t, ".", nil, "dnsmasq-conf", "-h"); err == nil || !strings.Contains(o, "--tftp-root DIR") {
		t.Errorf("dnsmasq-conf -h = %v, want the help text:\n%s", err, o)
	}
}
