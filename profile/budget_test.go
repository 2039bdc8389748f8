package profile

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckSizes(t *testing.T) {
	bud := Budgets{"bzImage": 3_600_000, "initramfs.cpio.gz": 600_000, "busybox": 1_500_000}
	const file = "kernel-configs/linux-6.1/budgets.json"
	for _, tt := range []struct {
		name  string
		sizes map[string]int64
		want  []string // lines of the error, in order; none: no error
	}{
		{"all under", map[string]int64{"bzImage": 3_527_680, "initramfs.cpio.gz": 599_999, "busybox": 1}, nil},
		{"exactly at the budget", map[string]int64{"bzImage": 3_600_000, "initramfs.cpio.gz": 600_000, "busybox": 1_500_000}, nil},
		{"one byte over", map[string]int64{"bzImage": 3_600_000, "initramfs.cpio.gz": 600_001, "busybox": 1_500_000}, []string{
			"initramfs.cpio.gz: 600,001 B, over its budget of 600,000 B (profile linux-6.1; " + file + ")",
		}},
		{"two over, in output order", map[string]int64{"bzImage": 12_345_678, "initramfs.cpio.gz": 612_345, "busybox": 1_500_000}, []string{
			"bzImage: 12,345,678 B, over its budget of 3,600,000 B (profile linux-6.1; " + file + ")",
			"initramfs.cpio.gz: 612,345 B, over its budget of 600,000 B (profile linux-6.1; " + file + ")",
		}},
		{"not measured", map[string]int64{"bzImage": 1, "initramfs.cpio.gz": 1}, []string{
			"busybox: size not measured, budget 1,500,000 B (profile linux-6.1)",
		}},
	} {
		err := checkSizes("linux-6.1", file, bud, tt.sizes)
		if tt.want == nil {
			if err != nil {
				t.Errorf("%s: checkSizes = %v, want nil", tt.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: checkSizes = nil, want %q", tt.name, tt.want)
			continue
		}
		if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
			t.Errorf("%s: checkSizes = %q, want %q", tt.name, got, want)
		}
		if strings.Contains(tt.want[0], "over its budget") && !errors.Is(err, ErrOverBudget) {
			t.Errorf("%s: checkSizes = %v, want errors.Is ErrOverBudget", tt.name, err)
		}
	}
}

func TestBytesText(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {612345, "612,345"},
		{1251875, "1,251,875"}, {-1234, "-1,234"}, {100000, "100,000"},
	} {
		if got := bytesText(tt.n); got != tt.want {
			t.Errorf("bytesText(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
