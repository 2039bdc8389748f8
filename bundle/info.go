// Package bundle defines a boot bundle: the build outputs of one profile
// and bundle.json, the record of what went into them.
package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"unicode"

	"rambox/sources"
)

// File names of a bundle's outputs.
const (
	// Kernel is the x86 kernel image; KernelArm64 the arm64 one (kbuild's
	// uncompressed Image: arm64 has no bzImage). KernelFile says which
	// one a bundle has.
	Kernel      = "bzImage"
	KernelArm64 = "Image"
	// Initramfs keeps its name whatever the profile's compression
	// (gzip, xz or zstd; profile.env INITRAMFS_COMPRESSION): the .gz is
	// historical. The kernel finds the format by its magic and the boot
	// loaders (pxelinux, iPXE) do not look, so one name keeps serve,
	// tftproot, pull and every published bundle unchanged.
	Initramfs     = "initramfs.cpio.gz"
	KernelConfig  = "kernel.config"
	BusyboxConfig = "busybox.config"
	// UKI is the unified kernel image (systemd-stub + command line +
	// bzImage + initramfs in one PE binary), signed for UEFI Secure Boot
	// when the build was given a key. Only profiles whose kernel has the
	// EFI stub build it: see Optional.
	UKI      = "rambox.efi"
	InfoFile = "bundle.json"
	SumsFile = "SHA256SUMS"
)

// Outputs are the files every x86 build exports, in a fixed order;
// OutputsOf gives them for any architecture.
var Outputs = []string{Kernel, Initramfs, KernelConfig, BusyboxConfig}

// ArchX86_64 is the architecture of a bundle whose Info.Arch is empty:
// every bundle made before arm64 ones existed.
const ArchX86_64 = "x86_64"

// The OCI platform architectures (GOARCH names) bundles are published
// under, and that inventory nodes are: ocibundle.PlatformArch maps a
// bundle's kernel ARCH= onto them.
const (
	PlatformAMD64 = "amd64"
	PlatformARM64 = "arm64"
)

// kernelFiles maps a kernel architecture (the kernel's ARCH=) to the
// file name of its kernel image in a bundle.
var kernelFiles = map[string]string{ArchX86_64: Kernel, "arm64": KernelArm64}

// KernelFile returns the file name of arch's kernel image ("" is
// ArchX86_64), or "" for an architecture bundles do not know.
func KernelFile(arch string) string {
	if arch == "" {
		arch = ArchX86_64
	}
	return kernelFiles[arch]
}

// OutputsOf are the files every build for arch exports, in a fixed order.
func OutputsOf(arch string) []string {
	return []string{KernelFile(arch), Initramfs, KernelConfig, BusyboxConfig}
}

// Optional are the files a build exports only when its profile makes
// them; bundle.json lists those it has (Info.Has), and bundles built
// before they existed stay valid without them.
var Optional = []string{UKI}

// KernelFile is the file name of the bundle's kernel image.
func (in *Info) KernelFile() string { return KernelFile(in.Arch) }

// Has reports whether bundle.json lists the file name.
func (in *Info) Has(name string) bool {
	for _, f := range in.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}

// Info is bundle.json. Its fields are inputs and digests only, never the
// wall clock or the build machine, so two builds of the same inputs write
// the same bytes.
type Info struct {
	SchemaVersion int    `json:"schemaVersion"`
	Profile       string `json:"profile"`
	// Arch is the kernel architecture (its ARCH=) when it is not
	// ArchX86_64; empty for x86_64, so x86 bundles read as before.
	Arch            string    `json:"arch,omitempty"`
	KernelCmdline   string    `json:"kernelCmdline"`
	SourceDateEpoch int64     `json:"sourceDateEpoch"`
	Sources         []Source  `json:"sources"`
	Toolchain       Toolchain `json:"toolchain"`
	Patches         []string  `json:"patches,omitempty"`
	// UKI describes rambox.efi when the bundle has one.
	UKI   *UKIInfo    `json:"uki,omitempty"`
	Files []FileEntry `json:"files"`
}

// UKIInfo is how rambox.efi was made. Its own digest is in Files.
type UKIInfo struct {
	StubSHA256 string `json:"stubSha256"` // the systemd-stub it starts from
	Signed     bool   `json:"signed"`     // Authenticode-signed for Secure Boot
	// CertSHA256 is the sha256 of the signer's certificate (DER), the
	// one a machine's db must hold, when Signed.
	CertSHA256 string `json:"certSha256,omitempty"`
	// UnsignedSHA256, when Signed, is the sha256 of the UKI before
	// signing: what `sbattach --remove` gives back, and what two builds
	// with different keys (or none) have in common.
	UnsignedSHA256 string `json:"unsignedSha256,omitempty"`
}

// Source is one pinned input archive.
type Source struct {
	Name   string `json:"name"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	// URLs are where the pin says the archive can be downloaded.
	URLs []string `json:"urls,omitempty"`
}

// Toolchain identifies the build container's root filesystem.
type Toolchain struct {
	Kind   string `json:"kind"`                // "rootfs" or "image"
	Ref    string `json:"ref,omitempty"`       // image reference, for "image"
	Digest string `json:"digest"`              // Dagger's content digest of the rootfs, or the image digest
	Tar    string `json:"tarSha256,omitempty"` // sha256 of the mmdebstrap tarball, when known
}

// FileEntry is one output file.
type FileEntry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// SourceOf converts a pin.
func SourceOf(p sources.Pin) Source {
	return Source{Name: p.Name, File: p.File, SHA256: p.SHA256, URLs: p.URLs}
}

// Describe hashes the named files in dir into Info.Files, sorted by name.
func (in *Info) Describe(dir string, names []string) error {
	in.Files = in.Files[:0]
	for _, n := range names {
		p := filepath.Join(dir, n)
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
		sum, err := sources.FileSHA256(p)
		if err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
		in.Files = append(in.Files, FileEntry{Name: n, Size: fi.Size(), SHA256: sum})
	}
	sort.Slice(in.Files, func(i, j int) bool { return in.Files[i].Name < in.Files[j].Name })
	return nil
}

// WriteJSON writes the canonical form of bundle.json.
func (in *Info) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteSums writes SHA256SUMS in sha256sum's format, for `sha256sum -c`.
func (in *Info) WriteSums(w io.Writer) error {
	for _, f := range in.Files {
		if _, err := fmt.Fprintf(w, "%s  %s\n", f.SHA256, f.Name); err != nil {
			return err
		}
	}
	return nil
}

// WriteFiles writes bundle.json and SHA256SUMS into dir.
func (in *Info) WriteFiles(dir string) error {
	for name, write := range map[string]func(io.Writer) error{InfoFile: in.WriteJSON, SumsFile: in.WriteSums} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
		err = write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("bundle: %s: %w", name, err)
		}
	}
	return nil
}

// ReadInfo reads dir/bundle.json.
func ReadInfo(dir string) (*Info, []byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, InfoFile))
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: %w", err)
	}
	var in Info
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, nil, fmt.Errorf("bundle: %s: %w", filepath.Join(dir, InfoFile), err)
	}
	return &in, b, nil
}

// ErrBadCmdline is returned for a kernel command line that is not one
// line of printable text: it is written into pxelinux.cfg, where a
// newline would start a directive of its own (a LABEL, a KERNEL).
var ErrBadCmdline = errors.New("kernelCmdline has a control character")

// Validate checks what a consumer writes out verbatim.
func (in *Info) Validate() error {
	for i, r := range in.KernelCmdline {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("%s: %w (%q at byte %d)", InfoFile, ErrBadCmdline, r, i)
		}
	}
	return nil
}
