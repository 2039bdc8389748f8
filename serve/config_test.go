package serve

import (
	"strings"
	"testing"

	"rambox/ocibundle"
	"rambox/pull"
)

func TestConfigValidate(t *testing.T) {
	pinned, err := ocibundle.ParseRef("oci:/srv/oci@sha256:" + strings.Repeat("a", 64))
	if err != nil {
		t.Fatal(err)
	}
	good := Config{Bundle: pinned, Trust: pull.Trust{Key: "cosign.pub"}, Inventory: "nodes.yaml", State: "/var/lib/rambox",
		Interface: "br0", DHCP: DHCPFull, HTTPAddr: ":80", TFTPAddr: ":69"}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(good) = %v, want nil", err)
	}
	tests := []struct {
		name   string
		change func(c *Config)
		want   []string // each in the error
	}{
		{"no bundle", func(c *Config) { c.Bundle = ocibundle.Ref{} }, []string{"--bundle: no bundle reference"}},
		{"tag only", func(c *Config) { c.Bundle = ocibundle.Ref{Layout: "/srv/oci", Tag: "latest"} }, []string{"--bundle oci:/srv/oci:latest", "sha256"}},
		{"bundle and bundle file", func(c *Config) { c.BundleFile = "ref" }, []string{"--bundle and --bundle-file"}},
		{"no key", func(c *Config) { c.Trust = pull.Trust{} }, []string{"--key"}},
		{"no inventory, no state", func(c *Config) { c.Inventory, c.State = "", "" }, []string{"--inventory", "--state"}},
		{"bad dhcp mode", func(c *Config) { c.DHCP = "auto" }, []string{`--dhcp "auto"`}},
		{"proxy without interface", func(c *Config) { c.DHCP, c.Interface = DHCPProxy, "" }, []string{"--interface is required with --dhcp proxy"}},
		{"bad addresses", func(c *Config) { c.HTTPAddr, c.TFTPAddr = "80", "" }, []string{`--http "80"`, `--tftp ""`}},
	}
	for _, tt := range tests {
		c := good
		tt.change(&c)
		err := c.Validate()
		if err == nil {
			t.Errorf("%s: Validate() = nil, want an error naming %q", tt.name, tt.want)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: Validate() = %q, want it to contain %q", tt.name, err, w)
			}
		}
	}
	c := good
	c.DHCP, c.Interface = DHCPOff, ""
	if err := c.Validate(); err != nil {
		t.Errorf("Validate(--dhcp off, no --interface) = %v, want nil", err)
	}
}
