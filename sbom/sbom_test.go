package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"testing/fstest"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"

	"rambox/bundle"
)

func sum(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

const kernelConfig = "#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86_64 6.1.192 Kernel Configuration\n#\nCONFIG_NET=y\n"
const busyboxConfig = "#\n# Automatically generated make config: don't edit\n# Busybox version: 1.35.0\n#\nCONFIG_STATIC=y\n"

func fixture() Input {
	return Input{
		Info: &bundle.Info{
			SchemaVersion: 1, Profile: "linux-6.1", KernelCmdline: "rw ip=dhcp rambox", SourceDateEpoch: 1700000000,
			Sources: []bundle.Source{
				{Name: "linux", File: "linux-6.1.tar.xz", SHA256: sum("linux"), URLs: []string{"https://example.org/linux-6.1.tar.xz"}},
				{Name: "busybox", File: "busybox-1.35.0.tar.bz2", SHA256: sum("busybox")},
			},
			Toolchain: bundle.Toolchain{Kind: "rootfs", Digest: "sha256:" + sum("tc"), Tar: sum("tc.tar")},
			Patches:   []string{"0001-fix.patch", "0002-more.patch"},
		},
		Outputs: fstest.MapFS{
			bundle.Kernel:        {Data: []byte("kernel")},
			bundle.Initramfs:     {Data: []byte("initramfs")},
			bundle.KernelConfig:  {Data: []byte(kernelConfig)},
			bundle.BusyboxConfig: {Data: []byte(busyboxConfig)},
		},
		Patches: fstest.MapFS{"0001-fix.patch": {Data: []byte("--- a\n+++ b\n")}, "0002-more.patch": {Data: []byte("more")}},
	}
}

func generate(t *testing.T, in Input) []byte {
	t.Helper()
	doc, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := doc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The document is read back by SPDX's own Go library, and says what the
// inputs were: versions, pins, patches, toolchain, output digests.
func TestGenerateReadsBackAsSPDX(t *testing.T) {
	b := generate(t, fixture())
	var doc v2_3.Document
	if err := spdxjson.ReadInto(bytes.NewReader(b), &doc); err != nil {
		t.Fatalf("tools-golang cannot read the document: %v\n%s", err, b)
	}
	if doc.SPDXVersion != "SPDX-2.3" || doc.CreationInfo.Created != "2023-11-14T22:13:20Z" {
		t.Errorf("header: version %q created %q", doc.SPDXVersion, doc.CreationInfo.Created)
	}
	pkgs := map[string]*v2_3.Package{}
	for _, p := range doc.Packages {
		pkgs[p.PackageName] = p
	}
	for name, want := range map[string]string{"linux": "6.1.192", "busybox": "1.35.0", "toolchain-rootfs": "sha256:" + sum("tc")} {
		p := pkgs[name]
		if p == nil {
			t.Errorf("no package %s", name)
			continue
		}
		if p.PackageVersion != want {
			t.Errorf("%s version %q, want %q", name, p.PackageVersion, want)
		}
	}
	if p := pkgs["linux"]; p != nil && (p.PackageDownloadLocation != "https://example.org/linux-6.1.tar.xz" || p.PackageChecksums[0].Value != sum("linux")) {
		t.Errorf("linux pin: %s %v", p.PackageDownloadLocation, p.PackageChecksums)
	}
	if p := pkgs["busybox"]; p != nil && p.PackageDownloadLocation != "NOASSERTION" {
		t.Errorf("busybox without URL: download location %q", p.PackageDownloadLocation)
	}
	files := map[string]string{}
	for _, f := range doc.Files {
		for _, c := range f.Checksums {
			if c.Algorithm == common.SHA256 {
				files[f.FileName] = c.Value
			}
		}
	}
	for name, content := range map[string]string{"./bzImage": "kernel", "./initramfs.cpio.gz": "initramfs",
		"./kernel.config": kernelConfig, "./busybox.config": busyboxConfig, "./patches/0001-fix.patch": "--- a\n+++ b\n", "./patches/0002-more.patch": "more"} {
		if files[name] != sum(content) {
			t.Errorf("file %s: sha256 %q, want %q", name, files[name], sum(content))
		}
	}
	var patched int
	for _, r := range doc.Relationships {
		if r.Relationship == "PATCH_APPLIED" && r.RefB.ElementRefID == "Package-linux" {
			patched++
		}
	}
	if patched != 2 {
		t.Errorf("%d PATCH_APPLIED relationships to linux, want 2", patched)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a := generate(t, fixture())
	// The same inputs in another order give the same bytes.
	in := fixture()
	in.Info.Sources[0], in.Info.Sources[1] = in.Info.Sources[1], in.Info.Sources[0]
	if b := generate(t, in); !bytes.Equal(a, b) {
		t.Errorf("source order changed the document:\n%s\n---\n%s", a, b)
	}
	// Any changed input changes the document and its namespace.
	changes := map[string]func(*Input){
		"kernel bytes": func(in *Input) { in.Outputs.(fstest.MapFS)[bundle.Kernel] = &fstest.MapFile{Data: []byte("kernel2")} },
		"patch bytes":  func(in *Input) { in.Patches.(fstest.MapFS)["0001-fix.patch"] = &fstest.MapFile{Data: []byte("x")} },
		"epoch":        func(in *Input) { in.Info.SourceDateEpoch++ },
		"toolchain":    func(in *Input) { in.Info.Toolchain.Digest = "sha256:" + sum("other") },
	}
	for name, change := range changes {
		in := fixture()
		change(&in)
		b := generate(t, in)
		if bytes.Equal(a, b) {
			t.Errorf("%s: document unchanged", name)
		}
		ns := func(b []byte) string { i := bytes.Index(b, []byte("urn:uuid:")); return string(b[i : i+45]) }
		if ns(a) == ns(b) {
			t.Errorf("%s: namespace unchanged %s", name, ns(a))
		}
	}
}

func TestGenerateErrorsNameTheFile(t *testing.T) {
	cases := map[string]struct {
		change func(*Input)
		want   string
	}{
		"no kernel version": {func(in *Input) {
			in.Outputs.(fstest.MapFS)[bundle.KernelConfig] = &fstest.MapFile{Data: []byte("CONFIG_NET=y\n")}
		}, "kernel.config: no \"# Linux/ARCH VERSION Kernel Configuration\""},
		"no busybox version": {func(in *Input) {
			in.Outputs.(fstest.MapFS)[bundle.BusyboxConfig] = &fstest.MapFile{Data: []byte("# Busybox\n")}
		}, "busybox.config: no \"# Busybox version"},
		"missing initramfs": {func(in *Input) { delete(in.Outputs.(fstest.MapFS), bundle.Initramfs) }, "initramfs.cpio.gz"},
		"missing patch":     {func(in *Input) { delete(in.Patches.(fstest.MapFS), "0002-more.patch") }, "0002-more.patch"},
		"no patch dir":      {func(in *Input) { in.Patches = nil }, "lists 2 patches but no patches directory"},
	}
	for name, c := range cases {
		in := fixture()
		c.change(&in)
		_, err := Generate(in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", name, err, c.want)
		}
	}
}

func TestVersions(t *testing.T) {
	for _, c := range []struct{ config, want string }{
		{"# Linux/x86_64 2.6.39 Kernel Configuration\n# Thu Jun  2 07:33:20 UTC 2011\n", "2.6.39"},
		{"#\n# Linux/x86 6.1.0-rc1 Kernel Configuration\n", "6.1.0-rc1"},
		{"# Linux/x86_64  Kernel Configuration\n", ""},
	} {
		got, err := KernelVersion([]byte(c.config))
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("KernelVersion(%q) = %q, %v; want %q", c.config, got, err, c.want)
		}
	}
	if v, err := BusyboxVersion([]byte(busyboxConfig)); v != "1.35.0" || err != nil {
		t.Errorf("BusyboxVersion = %q, %v", v, err)
	}
}

// An arm64 bundle's kernel is Image (bundle.json's arch says so): the SBOM
// lists it, and a bundle without it is refused naming the file.
func TestGenerateArm64Kernel(t *testing.T) {
	in := fixture()
	in.Info.Arch = "arm64"
	outputs := in.Outputs.(fstest.MapFS)
	delete(outputs, bundle.Kernel)
	outputs[bundle.KernelArm64] = &fstest.MapFile{Data: []byte("arm64 kernel")}
	b := generate(t, in)
	var doc v2_3.Document
	if err := spdxjson.ReadInto(bytes.NewReader(b), &doc); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range doc.Files {
		found = found || (f.FileName == "./Image" && f.Checksums[0].Value != "")
		if f.FileName == "./bzImage" {
			t.Errorf("arm64 SBOM lists ./bzImage")
		}
	}
	if !found {
		t.Errorf("arm64 SBOM does not list ./Image")
	}
	delete(outputs, bundle.KernelArm64)
	if _, err := Generate(in); err == nil || !strings.Contains(err.Error(), "Image") {
		t.Errorf("Generate without Image = %v, want an error naming Image", err)
	}
	in.Info.Arch = "riscv"
	if _, err := Generate(in); err == nil || !strings.Contains(err.Error(), `unknown arch "riscv"`) {
		t.Errorf("Generate(arch riscv) = %v, want unknown arch", err)
	}
}
