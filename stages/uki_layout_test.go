package stages

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"rambox/sources"
)

func TestLayoutAfter(t *testing.T) {
	for _, tt := range []struct {
		name  string
		end   uint64
		sizes []int64
		want  []uint64 // VMAs; nil: an error
	}{
		{"stub 252's end", 0x19134, []int64{0x4c, 0x2c, 0x35d400, 0xaead4}, []uint64{0x1a000, 0x1b000, 0x1c000, 0x37a000}},
		{"end on a page", 0x2000, []int64{1, 4096, 1}, []uint64{0x2000, 0x3000, 0x4000}},
		{"one byte past a page", 0x2001, []int64{4097, 1}, []uint64{0x3000, 0x5000}},
		{"empty section", 0x1000, []int64{1, 0}, nil},
		{"past 4 GiB", 0x1000, []int64{1 << 32}, nil},
	} {
		var in []UKISection
		for i, n := range tt.sizes {
			in = append(in, UKISection{Name: UKIContents[i%len(UKIContents)], Size: n})
		}
		got, err := layoutAfter(tt.end, in)
		if tt.want == nil {
			if err == nil {
				t.Errorf("%s: layoutAfter(%#x, %v) = %v, want an error", tt.name, tt.end, tt.sizes, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: layoutAfter(%#x, %v): %v", tt.name, tt.end, tt.sizes, err)
			continue
		}
		for i, s := range got {
			if s.VMA != tt.want[i] {
				t.Errorf("%s: layoutAfter(%#x, %v)[%d].VMA = %#x, want %#x", tt.name, tt.end, tt.sizes, i, s.VMA, tt.want[i])
			}
			if s.VMA%UKIPage != 0 || (i > 0 && s.VMA < got[i-1].VMA+uint64(got[i-1].Size)) {
				t.Errorf("%s: section %d at %#x is unaligned or overlaps the one before", tt.name, i, s.VMA)
			}
		}
	}
}

func TestLayoutUKINotPE(t *testing.T) {
	if _, err := LayoutUKI([]byte("MZ but not PE"), nil); !errors.Is(err, ErrNotStub) {
		t.Errorf("LayoutUKI(junk) = %v, want ErrNotStub", err)
	}
}

// TestLayoutUKIStub reads the toolchain's real systemd-stub 252, when the
// toolchain rootfs is there: the first section goes right after .sdmagic.
func TestLayoutUKIStub(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(sources.DefaultCache().Dir, "toolchain", "bookworm", UKIStub))
	if err != nil {
		t.Skipf("no toolchain stub: %v (just toolchain makes it)", err)
	}
	got, err := LayoutUKI(b, []UKISection{{Name: UKIOsrel, Size: 10}, {Name: UKILinux, Size: 5000}})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].VMA != 0x1a000 || got[1].VMA != 0x1b000 {
		t.Errorf("LayoutUKI(stub 252) VMAs = %#x, %#x, want 0x1a000, 0x1b000", got[0].VMA, got[1].VMA)
	}
}
