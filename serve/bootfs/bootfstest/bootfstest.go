// Package bootfstest makes small bootfs.Views for the serve packages'
// tests: a fake verified bundle, fake boot loaders in a temp dir and a
// two-node inventory, no registry or Debian packages needed.
package bootfstest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"rambox/bundle"
	"rambox/pxe"
	"rambox/serve/bootfs"
)

// HTTPBase is the Options.HTTPBase of the Views New makes.
const HTTPBase = "http://192.168.24.202:8080"

// Nodes' MACs and IPs in Inventory's two nodes.
const (
	MAC1, IP1 = "08:00:07:26:c0:a5", "192.168.24.203"
	MAC2, IP2 = "08:00:07:26:c0:a6", "192.168.24.204"
)

// Cmdline is the fake bundle's kernel command line.
const Cmdline = "rw ip=dhcp rambox"

// Fetched is a fake verified bundle whose kernel holds kernel; its digest
// depends on kernel, so two kernels make two bundles.
func Fetched(kernel string) *bundle.Fetched {
	files := map[string][]byte{
		bundle.Kernel:       []byte(kernel),
		bundle.Initramfs:    []byte("initramfs of " + kernel),
		bundle.KernelConfig: []byte("CONFIG_NET=y\n"),
	}
	info := &bundle.Info{SchemaVersion: 1, Profile: "p", KernelCmdline: Cmdline, SourceDateEpoch: 1700000000}
	infoJSON, _ := json.Marshal(info)
	return &bundle.Fetched{
		Manifest: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString("manifest of " + kernel)},
		Info:     info,
		InfoJSON: infoJSON,
		Files:    files,
	}
}

// Loaders writes each of bootfs.LoaderFiles, holding "loader NAME", into a
// temp dir.
func Loaders(t testing.TB) bootfs.Loaders {
	t.Helper()
	dir := t.TempDir()
	for _, name := range bootfs.LoaderFiles {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("loader "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return bootfs.Loaders{Dirs: []string{dir}}
}

// Inventory is a two-node inventory; unknown says whether unknown clients
// are allowed.
func Inventory(t testing.TB, unknown bool) *pxe.Inventory {
	t.Helper()
	allow := "false"
	if unknown {
		allow = "true"
	}
	yaml := `server:
  ip: 192.168.24.202
  subnet: 192.168.24.0
  netmask: 255.255.255.0
  range: [192.168.24.210, 192.168.24.220]
  allow_unknown: ` + allow + `
nodes:
  - name: rambox01
    mac: ` + MAC1 + `
    ip: ` + IP1 + `
  - name: rambox02
    mac: ` + MAC2 + `
    ip: ` + IP2 + `
    cmdline: shell
`
	file := filepath.Join(t.TempDir(), "nodes.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := pxe.LoadInventory(file)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// New is the View of Fetched(kernel) with Loaders and Inventory.
func New(t testing.TB, kernel string, unknown bool) *bootfs.View {
	t.Helper()
	inv := Inventory(t, unknown)
	v, err := bootfs.New(bootfs.One(Fetched(kernel), inv), inv, Loaders(t), bootfs.Options{HTTPBase: HTTPBase})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
