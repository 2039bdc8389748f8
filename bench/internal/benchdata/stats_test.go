package benchdata

import (
	"errors"
	"math"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{7}, 7},
		{"odd, unsorted", []float64{9, 1, 5}, 5},
		{"even: mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"two", []float64{10, 20}, 15},
		{"outlier does not move it", []float64{66, 68, 70, 90, 1000}, 70},
		{"repeated", []float64{3, 3, 3, 3}, 3},
	}
	for _, tt := range tests {
		in := append([]float64(nil), tt.in...)
		if got := Median(tt.in); got != tt.want {
			t.Errorf("%s: Median(%v) = %v, want %v", tt.name, in, got, tt.want)
		}
		for i := range in {
			if in[i] != tt.in[i] {
				t.Errorf("%s: Median reordered its input to %v", tt.name, tt.in)
				break
			}
		}
	}
	if got := Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %v, want NaN", got)
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		a, b, want float64
		err        error
	}{
		{69, 232, 69.0 / 232, nil},
		{262.3, 243.2, 262.3 / 243.2, nil},
		{0, 5, 0, nil},
		{5, 0, 0, ErrZeroBase},
	}
	for _, tt := range tests {
		got, err := Ratio(tt.a, tt.b)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("Ratio(%v, %v) = %v, %v; want %v, %v", tt.a, tt.b, got, err, tt.want, tt.err)
		}
	}
}

func TestPairedRatio(t *testing.T) {
	// Per-run ratios 0.5, 0.25, 2 -> 0.5.
	a := []float64{1, 2, 8}
	b := []float64{2, 8, 4}
	got, err := PairedRatio(a, b)
	if err != nil || got != 0.5 {
		t.Errorf("PairedRatio(%v, %v) = %v, %v; want 0.5", a, b, got, err)
	}
	// Per-run ratios 0.5, 1, 1, 2 -> 1, where the ratio of the medians
	// would be 20 / 17.5.
	a2 := []float64{10, 10, 30, 30}
	b2 := []float64{20, 10, 30, 15}
	if got, _ := PairedRatio(a2, b2); got != 1 {
		t.Errorf("PairedRatio(%v, %v) = %v, want 1", a2, b2, got)
	}
	if _, err := PairedRatio([]float64{1}, []float64{1, 2}); err == nil {
		t.Error("PairedRatio of unequal lengths: no error")
	}
	if _, err := PairedRatio([]float64{1}, []float64{0}); !errors.Is(err, ErrZeroBase) {
		t.Errorf("PairedRatio with a zero base = %v, want ErrZeroBase", err)
	}
}
