package barchart

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"strings"
	"testing"
)

func phases() Stacked {
	return Stacked{
		Title:  "boot: median seconds per phase",
		Series: []string{"firmware", "dhcp", "transfer", "kernel", "pings"},
		Bars: []StackedBar{
			{"linux-6.1 http", []float64{0.3, 0.05, 0.15, 1.1, 2}, "3.60 s"},
			{"linux-6.1 tftp", []float64{0.3, 0.05, 0.9, 1.1, 2}, "4.35 s"},
			{"linux-2.6.39 http", []float64{0.3, 0, 0.1, 0.8, 2}, "3.20 s"},
		},
		Footer: []string{"Medians of 3 runs."},
	}
}

// colorRun measures the run of pixels of colour c in row y from x0.
func colorRun(img image.Image, x0, y int, c interface{ RGBA() (r, g, b, a uint32) }) int {
	n := 0
	cr, cg, cb, ca := c.RGBA()
	for x := x0; x < img.Bounds().Max.X; x++ {
		r, g, b, a := img.At(x, y).RGBA()
		if r != cr || g != cg || b != cb || a != ca {
			break
		}
		n++
	}
	return n
}

func TestStackedSegments(t *testing.T) {
	c := phases()
	data, err := c.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the PNG does not decode: %v", err)
	}
	l, err := c.Layout()
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, l.Width, l.Height) {
		t.Errorf("PNG bounds = %v, want %v", img.Bounds(), image.Rect(0, 0, l.Width, l.Height))
	}
	maxTotal := 4.35
	for i, b := range c.Bars {
		y := l.Segments[i][0].Min.Y + barH/2
		x := l.X0
		for j, v := range b.Values {
			got := colorRun(img, x, y, Palette[j])
			want := v / maxTotal * float64(l.MaxLen)
			if math.Abs(float64(got)-want) > 1.5 {
				t.Errorf("bar %q segment %q (%v): %d pixels, want %.1f", b.Label, c.Series[j], v, got, want)
			}
			x += got
		}
		// Segments end to end: the bar ends at its total's length.
		if want := l.X0 + int(math.Round(sum(b.Values)/maxTotal*float64(l.MaxLen))); x != want {
			t.Errorf("bar %q ends at x=%d, want %d", b.Label, x, want)
		}
	}
	// The longest bar is MaxLen long.
	if got := l.Segments[1][4].Max.X - l.X0; got != l.MaxLen {
		t.Errorf("the longest bar is %d pixels, want MaxLen %d", got, l.MaxLen)
	}
	again, _ := c.PNG()
	if !bytes.Equal(again, data) {
		t.Error("the same chart gave different PNG bytes")
	}
}

func sum(vs []float64) float64 {
	t := 0.0
	for _, v := range vs {
		t += v
	}
	return t
}

func TestStackedValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Stacked)
		want   string
	}{
		{"no bars", func(c *Stacked) { c.Bars = nil }, "no bars"},
		{"no series", func(c *Stacked) { c.Series = nil; c.Bars = c.Bars[:0] }, "no series"},
		{"short bar", func(c *Stacked) { c.Bars[0].Values = c.Bars[0].Values[:2] }, `bar "linux-6.1 http" has 2 values for 5 series`},
		{"negative", func(c *Stacked) { c.Bars[1].Values[2] = -1 }, `bar "linux-6.1 tftp", value 2: -1`},
		{"NaN", func(c *Stacked) { c.Bars[1].Values[0] = math.NaN() }, "NaN is not a finite"},
		{"unnamed series", func(c *Stacked) { c.Series[1] = "" }, "series 1 has no name"},
		{"long label", func(c *Stacked) { c.Bars[0].Label = strings.Repeat("x", 70) }, "pixels for bars"},
	} {
		c := phases()
		tc.change(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%s) = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	if err := phases().Validate(); err != nil {
		t.Errorf("Validate(phases) = %v", err)
	}
}

// Many series wrap the legend onto more lines, pushing the bars down.
func TestStackedLegendWraps(t *testing.T) {
	c := phases()
	l1, _ := c.Layout()
	for i := range 12 {
		c.Series = append(c.Series, strings.Repeat("s", 8)+string(rune('a'+i)))
	}
	for i := range c.Bars {
		c.Bars[i].Values = append(c.Bars[i].Values, make([]float64, 12)...)
	}
	l2, err := c.Layout()
	if err != nil {
		t.Fatal(err)
	}
	if l2.Top <= l1.Top {
		t.Errorf("with 17 series the bars start at y=%d, want below y=%d (5 series)", l2.Top, l1.Top)
	}
	for _, p := range l2.legend {
		if p.X+legendBox > Width-margin {
			t.Errorf("legend entry at x=%d runs off the chart", p.X)
		}
	}
}
