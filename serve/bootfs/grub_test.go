package bootfs_test

import (
	"errors"
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"rambox/bundle"
	"rambox/pxe"
	"rambox/serve/bootfs"
	"rambox/serve/bootfs/bootfstest"
	"rambox/tftproot"
)

// fetchedArm64 is bootfstest's fake bundle as an arm64 one: its kernel is
// Image.
func fetchedArm64(kernel string) *bundle.Fetched {
	f := bootfstest.Fetched(kernel)
	f.Files[bundle.KernelArm64] = f.Files[bundle.Kernel]
	delete(f.Files, bundle.Kernel)
	f.Info.Arch = "arm64"
	f.Manifest.Digest = digest.FromString("arm64 manifest of " + kernel)
	return f
}

// TestGrubNode: an arm64 node gets grub/<mac>.cfg loading its arm64
// bundle's Image and initramfs by digest path, with serve's command line
// words; the dispatching grub/grub.cfg is served; it gets no pxelinux
// config or iPXE script. A node given a bundle of the other architecture
// is refused by name.
func TestGrubNode(t *testing.T) {
	inv := bootfstest.Inventory(t, false)
	inv.Nodes[1].Arch, inv.Nodes[1].Boot = pxe.ArchARM64, pxe.BootGRUB
	amd, arm := bootfstest.Fetched("kernel A"), fetchedArm64("kernel B")
	s := bootfs.Serving{Bundles: []*bundle.Fetched{amd, arm}, Nodes: map[string]digest.Digest{
		inv.Nodes[0].Name: amd.Manifest.Digest, inv.Nodes[1].Name: arm.Manifest.Digest,
	}}
	v, err := bootfs.New(s, inv, bootfstest.Loaders(t), bootfs.Options{HTTPBase: bootfstest.HTTPBase, ReportURL: "http://192.168.24.202:8080/report"})
	if err != nil {
		t.Fatal(err)
	}
	h := arm.Manifest.Digest.Encoded()
	cfg, err := fs.ReadFile(v.FS(), bootfs.GrubName(inv.Nodes[1].MAC))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"linux /bundles/" + h + "/Image 'rw' 'ip=dhcp' 'rambox' 'shell' 'rambox.bundle=" + arm.Manifest.Digest.String() + "' 'rambox.report=http://192.168.24.202:8080/report'\n",
		"initrd /bundles/" + h + "/initramfs.cpio.gz\n",
	} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("%s =\n%s\nwant a line %q", bootfs.GrubName(inv.Nodes[1].MAC), cfg, want)
		}
	}
	if d, err := fs.ReadFile(v.FS(), bootfs.GrubDispatch); err != nil || !strings.Contains(string(d), "configfile $prefix/${net_default_mac}.cfg") {
		t.Errorf("%s = %q, %v; want it to load $prefix/${net_default_mac}.cfg", bootfs.GrubDispatch, d, err)
	}
	if _, err := fs.ReadFile(v.FS(), bootfs.BundlePath(h, bundle.KernelArm64)); err != nil {
		t.Errorf("the arm64 bundle's Image is not served: %v", err)
	}
	if _, err := fs.Stat(v.FS(), bootfs.ScriptName(inv.Nodes[1].MAC)); err == nil {
		t.Errorf("the arm64 node got an iPXE script")
	}
	if _, err := fs.Stat(v.FS(), bootfs.GrubName(inv.Nodes[0].MAC)); err == nil {
		t.Errorf("the amd64 node got a GRUB config")
	}

	for name, nodes := range map[string]map[string]digest.Digest{
		"amd64 node, arm64 bundle": {inv.Nodes[0].Name: arm.Manifest.Digest},
		"arm64 node, amd64 bundle": {inv.Nodes[1].Name: amd.Manifest.Digest},
	} {
		s := bootfs.Serving{Bundles: []*bundle.Fetched{amd, arm}, Nodes: nodes}
		_, err := bootfs.New(s, inv, bootfstest.Loaders(t), bootfs.Options{HTTPBase: bootfstest.HTTPBase})
		var node string
		for n := range nodes {
			node = n
		}
		if !errors.Is(err, bootfs.ErrArchMismatch) || !strings.Contains(err.Error(), `node "`+node+`"`) {
			t.Errorf("%s: New = %v, want ErrArchMismatch naming node %q", name, err, node)
		}
	}
}

// TestUnknownByArch: with unknown clients allowed and a bundle for each
// architecture, x86 clients not in the inventory get the amd64 bundle
// (pxelinux's default config, the default iPXE script) and arm64 ones
// the arm64 bundle (grub/default.cfg, which the dispatcher falls back
// to). Without an arm64 bundle for them there is no default.cfg, and a
// bundle of the wrong architecture is refused, naming it.
func TestUnknownByArch(t *testing.T) {
	inv := bootfstest.Inventory(t, true)
	amd, arm := bootfstest.Fetched("kernel A"), fetchedArm64("kernel B")
	both := map[string]digest.Digest{pxe.ArchAMD64: amd.Manifest.Digest, pxe.ArchARM64: arm.Manifest.Digest}
	v, err := bootfs.New(bootfs.Serving{Bundles: []*bundle.Fetched{amd, arm}, Unknown: both}, inv, bootfstest.Loaders(t), bootfs.Options{HTTPBase: bootfstest.HTTPBase})
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]digest.Digest{
		bootfs.GrubDefault:   arm.Manifest.Digest,
		bootfs.DefaultScript: amd.Manifest.Digest,
		path.Join(tftproot.ConfigDir, bootfs.DefaultConfig): amd.Manifest.Digest,
	} {
		b, err := fs.ReadFile(v.FS(), name)
		if err != nil || !strings.Contains(string(b), "rambox.bundle="+d.String()) {
			t.Errorf("%s = %q, %v; want it to boot %s", name, b, err, d)
		}
	}
	d, err := fs.ReadFile(v.FS(), bootfs.GrubDispatch)
	if mac, def := strings.Index(string(d), "configfile $prefix/${net_default_mac}.cfg\n"), strings.Index(string(d), "configfile $prefix/default.cfg\n"); err != nil || mac < 0 || def < mac {
		t.Errorf("%s = %q, %v; want it to load the MAC's config, then default.cfg", bootfs.GrubDispatch, d, err)
	}

	v, err = bootfs.New(bootfs.Serving{Bundles: []*bundle.Fetched{amd}, Unknown: map[string]digest.Digest{pxe.ArchAMD64: amd.Manifest.Digest}}, inv, bootfstest.Loaders(t), bootfs.Options{HTTPBase: bootfstest.HTTPBase})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(v.FS(), bootfs.GrubDefault); err == nil {
		t.Errorf("%s served with no arm64 bundle for unknown clients", bootfs.GrubDefault)
	}

	wrong := map[string]digest.Digest{pxe.ArchARM64: amd.Manifest.Digest}
	_, err = bootfs.New(bootfs.Serving{Bundles: []*bundle.Fetched{amd}, Unknown: wrong}, inv, bootfstest.Loaders(t), bootfs.Options{HTTPBase: bootfstest.HTTPBase})
	if !errors.Is(err, bootfs.ErrArchMismatch) || !strings.Contains(err.Error(), amd.Manifest.Digest.String()) {
		t.Errorf("an amd64 bundle for unknown arm64 clients: New = %v, want ErrArchMismatch naming %s", err, amd.Manifest.Digest)
	}
}
