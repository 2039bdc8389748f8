package bootfs_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/opencontainers/go-digest"

	"rambox/bundle"
	"rambox/pxe"
	"rambox/serve/bootfs"
	"rambox/serve/bootfs/bootfstest"
	"rambox/tftproot"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestNames(t *testing.T) {
	for _, unknown := range []bool{false, true} {
		v := bootfstest.New(t, "kernel A", unknown)
		h := v.Digests()[0].Encoded()
		want := []string{
			"bundles/" + h + "/bundle.json",
			"bundles/" + h + "/bzImage",
			"bundles/" + h + "/initramfs.cpio.gz",
			"bundles/" + h + "/kernel.config",
			"grubnetaa64.efi",
			"ipxe.efi",
			"ipxe/" + bootfstest.MAC1 + ".ipxe",
			"ipxe/" + bootfstest.MAC2 + ".ipxe",
			"ldlinux.c32",
			"ldlinux.e64",
			"pxelinux.0",
			"pxelinux.cfg/C0A818CB",
			"pxelinux.cfg/C0A818CC",
			"snponly.efi",
			"syslinux.efi",
			"undionly.kpxe",
		}
		if unknown {
			want = append(want, "ipxe/default.ipxe", "pxelinux.cfg/default")
		}
		sort.Strings(want)
		if got := v.Names(); !reflect.DeepEqual(got, want) {
			t.Errorf("unknown clients %v: Names() = %q, want %q", unknown, got, want)
		}
		if err := fstest.TestFS(v.FS(), want...); err != nil {
			t.Errorf("unknown clients %v: fstest.TestFS: %v", unknown, err)
		}
	}
}

// TestContent: every bundle file and loader is served with exactly its
// verified bytes, and SHA256 is their sum.
func TestContent(t *testing.T) {
	f := bootfstest.Fetched("kernel A")
	l := bootfstest.Loaders(t)
	inv := bootfstest.Inventory(t, false)
	v, err := bootfs.New(bootfs.One(f, inv), inv, l, bootfs.Options{HTTPBase: bootfstest.HTTPBase})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{bootfs.BundlePath(v.Digests()[0].Encoded(), bundle.InfoFile): f.InfoJSON}
	for name, b := range f.Files {
		want[bootfs.BundlePath(v.Digests()[0].Encoded(), name)] = b
	}
	for _, name := range bootfs.LoaderFiles {
		want[name] = []byte("loader " + name)
	}
	for name, b := range want {
		got, err := fs.ReadFile(v.FS(), name)
		if err != nil || string(got) != string(b) {
			t.Errorf("ReadFile(%q) = %q, %v, want %q", name, got, err, b)
		}
		if s, ok := v.SHA256(name); !ok || s != sum(b) {
			t.Errorf("SHA256(%q) = %q, %v, want %q", name, s, ok, sum(b))
		}
		fi, err := fs.Stat(v.FS(), name)
		if err != nil || fi.Size() != int64(len(b)) || !fi.ModTime().Equal(time.Unix(0, 0)) || !fi.Mode().IsRegular() {
			t.Errorf("Stat(%q) = %v, %v, want a regular file of %d bytes, mod time the epoch", name, fi, err, len(b))
		}
	}
	if s, ok := v.SHA256("nope"); ok {
		t.Errorf("SHA256(%q) = %q, true, want false", "nope", s)
	}
}

// TestImmutable: bytes changed after New, in the Fetched bundle or a
// loader on disk, do not go out.
func TestImmutable(t *testing.T) {
	f := bootfstest.Fetched("kernel A")
	l := bootfstest.Loaders(t)
	inv := bootfstest.Inventory(t, false)
	v, err := bootfs.New(bootfs.One(f, inv), inv, l, bootfs.Options{HTTPBase: bootfstest.HTTPBase})
	if err != nil {
		t.Fatal(err)
	}
	copy(f.Files[bundle.Kernel], "EVIL")
	if err := os.WriteFile(filepath.Join(l.Dirs[0], tftproot.UndionlyFile), []byte("evil"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{bootfs.BundlePath(v.Digests()[0].Encoded(), bundle.Kernel): "kernel A", tftproot.UndionlyFile: "loader undionly.kpxe"} {
		if got, err := fs.ReadFile(v.FS(), name); err != nil || string(got) != want {
			t.Errorf("after the change, ReadFile(%q) = %q, %v, want %q", name, got, err, want)
		}
	}
	// A reader cannot change what the next one gets.
	name := bootfs.BundlePath(v.Digests()[0].Encoded(), bundle.Initramfs)
	b, _ := fs.ReadFile(v.FS(), name)
	copy(b, "EVIL")
	if got, _ := fs.ReadFile(v.FS(), name); string(got) != "initramfs of kernel A" {
		t.Errorf("ReadFile(%q) after a caller wrote into its copy = %q, want %q", name, got, "initramfs of kernel A")
	}
}

// TestConfigs: a node's pxelinux config and iPXE script name the bundle's
// digest paths.
func TestConfigs(t *testing.T) {
	v := bootfstest.New(t, "kernel A", true)
	h := v.Digests()[0].Encoded()
	u := bootfstest.HTTPBase + "/bundles/" + h
	b := " rambox.bundle=sha256:" + h
	tests := []struct{ name, want string }{
		{"pxelinux.cfg/C0A818CB", "DEFAULT rambox\nLABEL rambox\n  KERNEL bundles/" + h + "/bzImage\n  APPEND initrd=bundles/" + h + "/initramfs.cpio.gz rw ip=dhcp rambox" + b + "\n"},
		{"pxelinux.cfg/C0A818CC", "DEFAULT rambox\nLABEL rambox\n  KERNEL bundles/" + h + "/bzImage\n  APPEND initrd=bundles/" + h + "/initramfs.cpio.gz rw ip=dhcp rambox shell" + b + "\n"},
		{"pxelinux.cfg/default", "DEFAULT rambox\nLABEL rambox\n  KERNEL bundles/" + h + "/bzImage\n  APPEND initrd=bundles/" + h + "/initramfs.cpio.gz rw ip=dhcp rambox" + b + "\n"},
		{"ipxe/" + bootfstest.MAC2 + ".ipxe", "#!ipxe\nkernel " + u + "/bzImage initrd=initramfs.cpio.gz rw ip=dhcp rambox shell" + b + "\ninitrd " + u + "/initramfs.cpio.gz\nboot\n"},
		{"ipxe/default.ipxe", "#!ipxe\nkernel " + u + "/bzImage initrd=initramfs.cpio.gz rw ip=dhcp rambox" + b + "\ninitrd " + u + "/initramfs.cpio.gz\nboot\n"},
	}
	for _, tc := range tests {
		if got, err := fs.ReadFile(v.FS(), tc.name); err != nil || string(got) != tc.want {
			t.Errorf("ReadFile(%q) = %q, %v, want %q", tc.name, got, err, tc.want)
		}
	}
}

// TestServing: one View carries several bundles. Each node's config
// names its own bundle and the report URL; a bundle no node boots is
// still served (a client that read its config before a switch finishes);
// a node given no bundle gets no config.
func TestServing(t *testing.T) {
	inv := bootfstest.Inventory(t, false)
	a, b, old := bootfstest.Fetched("kernel A"), bootfstest.Fetched("kernel B"), bootfstest.Fetched("kernel old")
	s := bootfs.Serving{
		Bundles: []*bundle.Fetched{a, b, old, a},
		Nodes:   map[string]digest.Digest{"rambox01": a.Manifest.Digest},
	}
	o := bootfs.Options{HTTPBase: bootfstest.HTTPBase, ReportURL: "http://192.168.24.202:8080/api/v1/report"}
	v, err := bootfs.New(s, inv, bootfstest.Loaders(t), o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(v.Digests()), 3; got != want {
		t.Errorf("Digests() = %v, want %d", v.Digests(), want)
	}
	mac1, _ := net.ParseMAC(bootfstest.MAC1)
	script, err := v.Script(mac1)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"/bundles/" + a.Manifest.Digest.Encoded() + "/bzImage ", " rambox.bundle=" + a.Manifest.Digest.String(), " rambox.report=" + o.ReportURL + "\n"} {
		if !strings.Contains(string(script), want) {
			t.Errorf("rambox01's script %q lacks %q", script, want)
		}
	}
	for _, f := range []*bundle.Fetched{b, old} {
		name := bootfs.BundlePath(f.Manifest.Digest.Encoded(), bundle.Kernel)
		if got, err := fs.ReadFile(v.FS(), name); err != nil || string(got) != string(f.Files[bundle.Kernel]) {
			t.Errorf("ReadFile(%q) = %q, %v, want the bundle's kernel", name, got, err)
		}
	}
	mac2, _ := net.ParseMAC(bootfstest.MAC2)
	if _, err := v.Script(mac2); !errors.Is(err, bootfs.ErrUnknownNode) {
		t.Errorf("Script(%s) of a node given no bundle: err = %v, want ErrUnknownNode", mac2, err)
	}
	if _, err := fs.ReadFile(v.FS(), "pxelinux.cfg/C0A818CC"); err == nil {
		t.Error("a node given no bundle has a pxelinux config")
	}
	s.Nodes["rambox02"] = digest.FromString("not carried")
	if _, err := bootfs.New(s, inv, bootfstest.Loaders(t), o); err == nil || !strings.Contains(err.Error(), `node "rambox02"`) {
		t.Errorf("New with a node given a bundle not carried: err = %v, want one naming the node", err)
	}
}

func TestScript(t *testing.T) {
	strict := bootfstest.New(t, "kernel A", false)
	open := bootfstest.New(t, "kernel A", true)
	mac1, _ := net.ParseMAC(strings.ToUpper(bootfstest.MAC1))
	stranger, _ := net.ParseMAC("02:00:00:00:00:99")
	for _, tc := range []struct {
		v    *bootfs.View
		mac  net.HardwareAddr
		want string // the script's name; "" for an error
	}{
		{strict, mac1, "ipxe/" + bootfstest.MAC1 + ".ipxe"},
		{open, mac1, "ipxe/" + bootfstest.MAC1 + ".ipxe"},
		{open, stranger, "ipxe/default.ipxe"},
		{strict, stranger, ""},
	} {
		got, err := tc.v.Script(tc.mac)
		if tc.want == "" {
			if !errors.Is(err, bootfs.ErrUnknownNode) || !strings.Contains(err.Error(), tc.mac.String()) {
				t.Errorf("Script(%s) = %q, %v, want ErrUnknownNode naming the MAC", tc.mac, got, err)
			}
			continue
		}
		want, _ := fs.ReadFile(tc.v.FS(), tc.want)
		if err != nil || string(got) != string(want) || !strings.Contains(string(got), bootfstest.HTTPBase+"/bundles/"+tc.v.Digests()[0].Encoded()+"/bzImage ") {
			t.Errorf("Script(%s) = %q, %v, want %s: %q, naming the digest's kernel URL", tc.mac, got, err, tc.want, want)
		}
	}
}

func TestInvalidPaths(t *testing.T) {
	v := bootfstest.New(t, "kernel A", false)
	h := v.Digests()[0].Encoded()
	for _, tc := range []struct {
		name string
		want error
	}{
		{"../pxelinux.0", fs.ErrInvalid},
		{"/pxelinux.0", fs.ErrInvalid},
		{"/etc/passwd", fs.ErrInvalid},
		{"./pxelinux.0", fs.ErrInvalid},
		{"bundles/" + h + "/../" + h + "/bzImage", fs.ErrInvalid},
		{"pxelinux.0/", fs.ErrInvalid},
		{"", fs.ErrInvalid},
		{"etc/passwd", fs.ErrNotExist},
		{"bundles/" + h + "/SHA256SUMS", fs.ErrNotExist},
		{"bzImage", fs.ErrNotExist},
	} {
		f, err := v.FS().Open(tc.name)
		if !errors.Is(err, tc.want) {
			t.Errorf("Open(%q) = %v, %v, want %v", tc.name, f, err, tc.want)
		}
		if _, err := fs.ReadFile(v.FS(), tc.name); !errors.Is(err, tc.want) {
			t.Errorf("ReadFile(%q) = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	inv := bootfstest.Inventory(t, false)
	l := bootfstest.Loaders(t)
	o := bootfs.Options{HTTPBase: bootfstest.HTTPBase}
	evil := bootfstest.Fetched("kernel A")
	evil.Files["../x"] = []byte("x")
	noKernel := bootfstest.Fetched("kernel A")
	delete(noKernel.Files, bundle.Kernel)
	badCmdline := bootfstest.Fetched("kernel A")
	badCmdline.Info.KernelCmdline = "rw\nLABEL evil"
	if err := os.Remove(filepath.Join(l.Dirs[0], tftproot.SnponlyFile)); err != nil {
		t.Fatal(err)
	}
	good := bootfstest.Loaders(t)
	for _, tc := range []struct {
		what string
		f    func() (*bootfs.View, error)
		want string
	}{
		{"a missing loader", func() (*bootfs.View, error) { return bootfs.New(bootfs.One(bootfstest.Fetched("k"), inv), inv, l, o) }, "snponly.efi"},
		{"a file name with ../", func() (*bootfs.View, error) { return bootfs.New(bootfs.One(evil, inv), inv, good, o) }, `"../x"`},
		{"no kernel", func() (*bootfs.View, error) { return bootfs.New(bootfs.One(noKernel, inv), inv, good, o) }, "bzImage"},
		{"a command line with a newline", func() (*bootfs.View, error) { return bootfs.New(bootfs.One(badCmdline, inv), inv, good, o) }, "kernelCmdline has a control character"},
		{"no HTTPBase", func() (*bootfs.View, error) {
			return bootfs.New(bootfs.One(bootfstest.Fetched("k"), inv), inv, good, bootfs.Options{})
		}, "HTTPBase"},
		{"a relative HTTPBase", func() (*bootfs.View, error) {
			return bootfs.New(bootfs.One(bootfstest.Fetched("k"), inv), inv, good, bootfs.Options{HTTPBase: "192.168.24.202:8080"})
		}, "HTTPBase"},
	} {
		v, err := tc.f()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New with %s = %v, %v, want an error naming %s", tc.what, v, err, tc.want)
		}
	}
	if _, err := bootfs.New(bootfs.One(bootfstest.Fetched("k"), inv), inv, l, o); !errors.Is(err, bootfs.ErrLoaderMissing) {
		t.Errorf("New with a missing loader = %v, want ErrLoaderMissing", err)
	}
}

func TestCurrent(t *testing.T) {
	var c bootfs.Current
	if v := c.Load(); v != nil {
		t.Errorf("zero Current.Load() = %v, want nil", v)
	}
	a, b := bootfstest.New(t, "kernel A", false), bootfstest.New(t, "kernel B", false)
	if a.Digests()[0] == b.Digests()[0] {
		t.Fatalf("two kernels, one digest %s", a.Digests()[0])
	}
	for _, v := range []*bootfs.View{a, b} {
		c.Store(v)
		if got := c.Load(); got != v {
			t.Errorf("Load() after Store(%s) = %s", v.Digests()[0], got.Digests()[0])
		}
	}
}

// A node that boots its bundle's UKI: the UKI's bytes under its UKIName
// (whose bundle UKIDigest names), a script chaining to the UKI's digest
// path; a bundle without a UKI is refused naming the node.
func TestUKINode(t *testing.T) {
	inv := bootfstest.Inventory(t, false)
	inv.Nodes[0].Boot = pxe.BootUKI
	f := bootfstest.Fetched("kernel A")
	f.Files[bundle.UKI] = []byte("UKI of kernel A")
	v, err := bootfs.New(bootfs.One(f, inv), inv, bootfstest.Loaders(t), bootfs.Options{HTTPBase: bootfstest.HTTPBase})
	if err != nil {
		t.Fatal(err)
	}
	mac1, _ := net.ParseMAC(bootfstest.MAC1)
	mac2, _ := net.ParseMAC(bootfstest.MAC2)
	name := bootfs.UKIName(mac1)
	if name != "uki/"+bootfstest.MAC1+".efi" {
		t.Errorf("UKIName(%s) = %q", mac1, name)
	}
	got, err := fs.ReadFile(v.FS(), name)
	if err != nil || string(got) != "UKI of kernel A" {
		t.Errorf("ReadFile(%s) = %q, %v, want the bundle's UKI", name, got, err)
	}
	if d, ok := v.UKIDigest(name); !ok || d != f.Manifest.Digest {
		t.Errorf("UKIDigest(%s) = %s, %v, want %s", name, d, ok, f.Manifest.Digest)
	}
	if _, err := fs.Stat(v.FS(), bootfs.UKIName(mac2)); err == nil {
		t.Errorf("%s (an ipxe node) is served", bootfs.UKIName(mac2))
	}
	if d, ok := v.UKIDigest(bootfs.UKIName(mac2)); ok {
		t.Errorf("UKIDigest(%s) = %s for an ipxe node", bootfs.UKIName(mac2), d)
	}
	script, err := v.Script(mac1)
	wantChain := "chain " + bootfstest.HTTPBase + "/" + bootfs.BundlePath(f.Manifest.Digest.Encoded(), bundle.UKI) + " " + bootfstest.Cmdline
	if err != nil || !strings.Contains(string(script), wantChain) {
		t.Errorf("Script(%s) = %q, %v, want it to hold %q", mac1, script, err, wantChain)
	}

	delete(f.Files, bundle.UKI)
	_, err = bootfs.New(bootfs.One(f, inv), inv, bootfstest.Loaders(t), bootfs.Options{HTTPBase: bootfstest.HTTPBase})
	if !errors.Is(err, bootfs.ErrNoUKI) || !strings.Contains(err.Error(), `node "rambox01"`) {
		t.Errorf("New with a UKI node and no UKI = %v, want %v naming the node", err, bootfs.ErrNoUKI)
	}
}
