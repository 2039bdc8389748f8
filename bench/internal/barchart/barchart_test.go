package barchart

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"testing"
)

// stages is a chart like the build-stage one: a dominant bar, small ones,
// one zero.
func stages() Chart {
	return Chart{
		Title: "rambox build: median seconds per stage",
		Bars: []Bar{
			{"fetch", 0.41, "0.41 s"},
			{"toolchain", 3.2, "3.20 s"},
			{"kernel", 230, "230.0 s"},
			{"busybox", 41.5, "41.5 s"},
			{"initramfs", 2.3, "2.30 s"},
			{"sign", 0, "0.00 s"},
			{"publish", 115, "115.0 s"},
		},
		Footer: []string{"Medians of 3 runs."},
	}
}

// barLength measures the run of BarColor pixels in row y from x0.
func barLength(img image.Image, x0, y int) int {
	n := 0
	for x := x0; x < img.Bounds().Max.X; x++ {
		r, g, b, a := img.At(x, y).RGBA()
		br, bg, bb, ba := BarColor.RGBA()
		if r != br || g != bg || b != bb || a != ba {
			break
		}
		n++
	}
	return n
}

func TestPNGSizeAndBarLengths(t *testing.T) {
	c := stages()
	data, err := c.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the PNG does not decode: %v", err)
	}
	// 40 title + 7 bars * 30 + 8 + 1 footer line * 16 + 8.
	if got, want := img.Bounds(), image.Rect(0, 0, 800, 282); got != want {
		t.Errorf("PNG bounds = %v, want %v", got, want)
	}
	l, err := c.Layout()
	if err != nil {
		t.Fatal(err)
	}
	if l.MaxLen < minBarLen {
		t.Fatalf("bars get %d pixels, want >= %d", l.MaxLen, minBarLen)
	}
	maxV := 230.0
	for i, b := range c.Bars {
		y := l.Bars[i].Min.Y + barH/2
		got := barLength(img, l.X0, y)
		want := b.Value / maxV * float64(l.MaxLen)
		if math.Abs(float64(got)-want) > 1 {
			t.Errorf("bar %q (%v): %d pixels long, want %.1f (value / max * %d)", b.Label, b.Value, got, want, l.MaxLen)
		}
		if b.Value > 0 && got == 0 {
			t.Errorf("bar %q (%v) is not drawn", b.Label, b.Value)
		}
	}
	// Proportional to each other, not only to the scale: publish is half of kernel.
	kernel := barLength(img, l.X0, l.Bars[2].Min.Y+barH/2)
	publish := barLength(img, l.X0, l.Bars[6].Min.Y+barH/2)
	if d := math.Abs(float64(kernel) - 2*float64(publish)); d > 1 {
		t.Errorf("kernel bar %d px, publish bar %d px: want publish at half of kernel", kernel, publish)
	}
	// Labels and values are drawn: each row has text pixels left of the
	// bars and right of the bar's end.
	for i, b := range c.Bars {
		r := l.Bars[i]
		if !hasText(img, image.Rect(margin, r.Min.Y, l.X0-2, r.Max.Y)) {
			t.Errorf("bar %q: no label drawn", b.Label)
		}
		if !hasText(img, image.Rect(r.Max.X+1, r.Min.Y, l.Width, r.Max.Y)) {
			t.Errorf("bar %q: no value drawn", b.Label)
		}
	}
}

func hasText(img image.Image, r image.Rectangle) bool {
	tr, tg, tb, _ := TextColor.RGBA()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr == tr && cg == tg && cb == tb {
				return true
			}
		}
	}
	return false
}

func TestPNGDeterministic(t *testing.T) {
	a, err := stages().PNG()
	if err != nil {
		t.Fatal(err)
	}
	b, err := stages().PNG()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two encodings of the same chart differ")
	}
	c := stages()
	c.Bars[3].Value = 42
	d, err := c.PNG()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, d) {
		t.Error("changing a bar's value did not change the PNG")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		bars []Bar
	}{
		{"no bars", nil},
		{"negative", []Bar{{"a", -1, ""}}},
		{"NaN", []Bar{{"a", math.NaN(), ""}}},
		{"infinite", []Bar{{"a", math.Inf(1), ""}}},
		{"no label", []Bar{{"", 1, ""}}},
		{"label too long", []Bar{{string(make([]byte, 80)), 1, ""}}},
	}
	for _, tt := range tests {
		if _, err := (Chart{Bars: tt.bars}).PNG(); err == nil {
			t.Errorf("%s: PNG() gave no error", tt.name)
		}
	}
	// All zeros is a valid chart of empty bars.
	if _, err := (Chart{Bars: []Bar{{"a", 0, "0 s"}}}).PNG(); err != nil {
		t.Errorf("all-zero chart: %v", err)
	}
}
