package stages

import (
	"bytes"
	"debug/pe"
	"errors"
	"fmt"
)

// UKIStub is Debian's systemd-stub (package systemd-boot-efi, systemd
// 252) in the toolchain: pinned with the toolchain's digest, and its own
// sha256 recorded in bundle.json.
const UKIStub = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

// UKIPage is the alignment of every section added to the stub: a page,
// as systemd's own tools use, and a multiple of any SectionAlignment an
// EFI stub has (checked in LayoutUKI).
const UKIPage = 4096

// UKISection is one section added to the stub: its name, its size in
// bytes and the virtual address it is loaded at.
type UKISection struct {
	Name string
	Size int64
	VMA  uint64
}

// ErrNotStub is returned for a stub that debug/pe cannot read as a PE
// image with sections.
var ErrNotStub = errors.New("not a PE image with sections")

// LayoutUKI places sections (names and sizes, in order) after the last
// section of stub, each on its own page right after the one before, so
// that none overlaps the stub or another. It returns them with VMA set.
func LayoutUKI(stub []byte, sections []UKISection) ([]UKISection, error) {
	f, err := pe.NewFile(bytes.NewReader(stub))
	if err != nil {
		return nil, fmt.Errorf("systemd-stub %s: %w: %w", UKIStub, ErrNotStub, err)
	}
	defer f.Close()
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok || len(f.Sections) == 0 {
		return nil, fmt.Errorf("systemd-stub %s: %w (want PE32+)", UKIStub, ErrNotStub)
	}
	if oh.SectionAlignment == 0 || UKIPage%oh.SectionAlignment != 0 {
		return nil, fmt.Errorf("systemd-stub %s: SectionAlignment %#x does not divide %#x", UKIStub, oh.SectionAlignment, UKIPage)
	}
	var end uint64
	for _, s := range f.Sections {
		end = max(end, uint64(s.VirtualAddress)+uint64(max(s.VirtualSize, s.Size)))
	}
	return layoutAfter(end, sections)
}

// layoutAfter is LayoutUKI's arithmetic: each section starts at the first
// page boundary at or after end, then after the section before it.
func layoutAfter(end uint64, sections []UKISection) ([]UKISection, error) {
	out := make([]UKISection, len(sections))
	for i, s := range sections {
		if s.Size <= 0 {
			return nil, fmt.Errorf("UKI section %s: size %d, want at least 1 byte", s.Name, s.Size)
		}
		s.VMA = alignUp(end, UKIPage)
		end = s.VMA + uint64(s.Size)
		if end > 1<<32 {
			return nil, fmt.Errorf("UKI section %s: ends at %#x, past the 4 GiB a PE image can address", s.Name, end)
		}
		out[i] = s
	}
	return out, nil
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) / a * a }
