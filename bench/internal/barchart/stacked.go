package barchart

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
)

// Stacked is a horizontal stacked bar chart: each bar is its Series'
// values end to end, in order, each in its own colour, with a legend
// naming the series under the title. All bars share one scale.
type Stacked struct {
	Title  string
	Series []string // the segments' names, in drawing order
	Bars   []StackedBar
	Footer []string
}

// StackedBar is one bar: Values[i] is Series[i]'s segment.
type StackedBar struct {
	Label  string
	Values []float64
	Text   string // after the bar, e.g. "4.2 s"
}

// Palette colours the series in order (then again from the start): ten
// colours that stay apart side by side.
var Palette = []color.RGBA{
	{0x2f, 0x6f, 0xb3, 0xff}, {0xe0, 0x8a, 0x1e, 0xff}, {0x3a, 0x9a, 0x4a, 0xff}, {0xc8, 0x3c, 0x3c, 0xff},
	{0x8c, 0x62, 0xb8, 0xff}, {0x8a, 0x5a, 0x44, 0xff}, {0xd9, 0x6f, 0xb8, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xb5, 0xb5, 0x2a, 0xff}, {0x2a, 0xb5, 0xc8, 0xff},
}

// Legend geometry, in pixels.
const (
	legendBox = 10
	legendGap = 14 // between one legend entry and the next
)

// StackedLayout is where DrawStacked puts things: each bar's segments.
type StackedLayout struct {
	Width, Height int
	X0, MaxLen    int
	Top           int // the first bar row's top
	Segments      [][]image.Rectangle
	legend        []image.Point // each series' legend box, top left
}

// Validate reports series without a name, bars without a label, bars
// whose values do not match the series, values that are not finite and
// non-negative, and labels too long for the width.
func (c Stacked) Validate() error {
	var errs []error
	if len(c.Series) == 0 {
		errs = append(errs, errors.New("stacked chart: no series"))
	}
	if len(c.Bars) == 0 {
		errs = append(errs, errors.New("stacked chart: no bars"))
	}
	for i, s := range c.Series {
		if s == "" {
			errs = append(errs, fmt.Errorf("stacked chart: series %d has no name", i))
		}
	}
	for i, b := range c.Bars {
		if b.Label == "" {
			errs = append(errs, fmt.Errorf("stacked chart: bar %d has no label", i))
		}
		if len(b.Values) != len(c.Series) {
			errs = append(errs, fmt.Errorf("stacked chart: bar %q has %d values for %d series", b.Label, len(b.Values), len(c.Series)))
		}
		for j, v := range b.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				errs = append(errs, fmt.Errorf("stacked chart: bar %q, value %d: %v is not a finite, non-negative number", b.Label, j, v))
			}
		}
	}
	if l := c.layout(); l.MaxLen < minBarLen {
		errs = append(errs, fmt.Errorf("stacked chart: labels and value texts leave %d pixels for bars, want >= %d", l.MaxLen, minBarLen))
	}
	return errors.Join(errs...)
}

// Layout places the legend and the bars' segments.
func (c Stacked) Layout() (StackedLayout, error) {
	if err := c.Validate(); err != nil {
		return StackedLayout{}, err
	}
	return c.layout(), nil
}

func (c Stacked) layout() StackedLayout {
	labelW, textW := 0, 0
	for _, b := range c.Bars {
		labelW = max(labelW, len(b.Label)*charW)
		textW = max(textW, len(b.Text)*charW)
	}
	l := StackedLayout{Width: Width, X0: margin + labelW + 2*textGap}
	l.MaxLen = Width - margin - textW - textGap - l.X0
	// The legend: entries left to right, wrapping at the width.
	x, y := margin, titleH-8
	for _, s := range c.Series {
		w := legendBox + 4 + len(s)*charW
		if x > margin && x+w > Width-margin {
			x, y = margin, y+lineH
		}
		l.legend = append(l.legend, image.Pt(x, y))
		x += w + legendGap
	}
	l.Top = y + lineH + 8
	maxTotal := 0.0
	for _, b := range c.Bars {
		t := 0.0
		for _, v := range b.Values {
			t += v
		}
		maxTotal = max(maxTotal, t)
	}
	for i, b := range c.Bars {
		top := l.Top + i*rowH + (rowH-barH)/2
		var segs []image.Rectangle
		sum := 0.0
		for _, v := range b.Values {
			// Segments end where the running sum does, so rounding never
			// makes a bar longer than its total.
			from := l.X0 + barLen(sum, maxTotal, l.MaxLen)
			sum += v
			to := l.X0 + barLen(sum, maxTotal, l.MaxLen)
			segs = append(segs, image.Rect(from, top, to, top+barH))
		}
		l.Segments = append(l.Segments, segs)
	}
	l.Height = l.Top + len(c.Bars)*rowH + margin/2 + len(c.Footer)*lineH + margin/2
	return l
}

// Draw paints the chart.
func (c Stacked) Draw() (*image.RGBA, error) {
	l, err := c.Layout()
	if err != nil {
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, l.Width, l.Height))
	draw.Draw(img, img.Bounds(), image.NewUniform(Background), image.Point{}, draw.Src)
	text(img, margin, 20, c.Title)
	for i, s := range c.Series {
		p := l.legend[i]
		draw.Draw(img, image.Rect(p.X, p.Y, p.X+legendBox, p.Y+legendBox), image.NewUniform(Palette[i%len(Palette)]), image.Point{}, draw.Src)
		text(img, p.X+legendBox+4, p.Y+legendBox, s)
	}
	axisBottom := l.Top + len(c.Bars)*rowH
	draw.Draw(img, image.Rect(l.X0-1, l.Top, l.X0, axisBottom), image.NewUniform(AxisColor), image.Point{}, draw.Src)
	for i, b := range c.Bars {
		segs := l.Segments[i]
		baseline := segs[0].Min.Y + barH/2 + 4
		text(img, margin, baseline, b.Label)
		for j, r := range segs {
			draw.Draw(img, r, image.NewUniform(Palette[j%len(Palette)]), image.Point{}, draw.Src)
		}
		text(img, segs[len(segs)-1].Max.X+textGap, baseline, b.Text)
	}
	for i, f := range c.Footer {
		text(img, margin, axisBottom+margin/2+(i+1)*lineH-4, f)
	}
	return img, nil
}

// PNG encodes the chart; the same chart gives the same bytes.
func (c Stacked) PNG() ([]byte, error) {
	img, err := c.Draw()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
