package benchdata

import (
	"errors"
	"math"
	"sort"
)

// ErrZeroBase is returned for a ratio whose denominator is zero.
var ErrZeroBase = errors.New("ratio: the comparison value is zero")

// Median is the middle value of xs, or the mean of the two middle values
// for an even count; NaN for none. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// Ratio is a / b.
func Ratio(a, b float64) (float64, error) {
	if b == 0 {
		return 0, ErrZeroBase
	}
	return a / b, nil
}

// PairedRatio is the median of the per-run ratios a[i] / b[i]: each pair
// was measured back to back, so load that changes over the session
// cancels out of each ratio.
func PairedRatio(a, b []float64) (float64, error) {
	if len(a) != len(b) || len(a) == 0 {
		return 0, errors.New("paired ratio: need the same, non-zero number of values on both sides")
	}
	rs := make([]float64, len(a))
	for i := range a {
		r, err := Ratio(a[i], b[i])
		if err != nil {
			return 0, err
		}
		rs[i] = r
	}
	return Median(rs), nil
}
