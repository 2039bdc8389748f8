// Package barchart draws a horizontal bar chart as a PNG with the
// standard library and one bitmap font: a label left of each bar, the
// bar's length proportional to its value, the value written after it.
// The same chart gives the same bytes.
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

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Bar is one bar: Label left of it, Text (e.g. "12.3 s") after it.
type Bar struct {
	Label string
	Value float64
	Text  string
}

// Chart is a title, bars top to bottom, and footer lines.
type Chart struct {
	Title  string
	Bars   []Bar
	Footer []string
}

// Colors of the chart; BarColor is used for bars and nothing else.
var (
	Background = color.RGBA{0xff, 0xff, 0xff, 0xff}
	BarColor   = color.RGBA{0x2f, 0x6f, 0xb3, 0xff}
	TextColor  = color.RGBA{0x20, 0x20, 0x20, 0xff}
	AxisColor  = color.RGBA{0x99, 0x99, 0x99, 0xff}
)

// Geometry, in pixels.
const (
	Width     = 800
	margin    = 16
	titleH    = 40 // title band above the first bar
	rowH      = 30
	barH      = 20
	lineH     = 16 // footer line
	charW     = 7  // basicfont.Face7x13 advance
	textGap   = 6
	minBarLen = 320 // the longest bar is at least this long
)

// Layout is where Draw puts things: the bars' rectangles and the scale
// (a bar of the largest value is MaxLen pixels long, starting at X0).
type Layout struct {
	Width, Height int
	X0, MaxLen    int
	Bars          []image.Rectangle
}

// Validate reports bars without a label or with a value that is not a
// finite, non-negative number, and labels too long for the width.
func (c Chart) Validate() error {
	var errs []error
	if len(c.Bars) == 0 {
		errs = append(errs, errors.New("chart: no bars"))
	}
	for i, b := range c.Bars {
		if b.Label == "" {
			errs = append(errs, fmt.Errorf("chart: bar %d has no label", i))
		}
		if math.IsNaN(b.Value) || math.IsInf(b.Value, 0) || b.Value < 0 {
			errs = append(errs, fmt.Errorf("chart: bar %q: value %v is not a finite, non-negative number", b.Label, b.Value))
		}
	}
	if l := c.layout(); l.MaxLen < minBarLen {
		errs = append(errs, fmt.Errorf("chart: labels and value texts leave %d pixels for bars, want >= %d", l.MaxLen, minBarLen))
	}
	return errors.Join(errs...)
}

// Layout places the bars.
func (c Chart) Layout() (Layout, error) {
	if err := c.Validate(); err != nil {
		return Layout{}, err
	}
	return c.layout(), nil
}

func (c Chart) layout() Layout {
	labelW, textW := 0, 0
	for _, b := range c.Bars {
		labelW = max(labelW, len(b.Label)*charW)
		textW = max(textW, len(b.Text)*charW)
	}
	l := Layout{Width: Width, X0: margin + labelW + 2*textGap}
	l.MaxLen = Width - margin - textW - textGap - l.X0
	maxV := 0.0
	for _, b := range c.Bars {
		maxV = max(maxV, b.Value)
	}
	for i, b := range c.Bars {
		top := titleH + i*rowH + (rowH-barH)/2
		l.Bars = append(l.Bars, image.Rect(l.X0, top, l.X0+barLen(b.Value, maxV, l.MaxLen), top+barH))
	}
	l.Height = titleH + len(c.Bars)*rowH + margin/2 + len(c.Footer)*lineH + margin/2
	return l
}

// barLen is v's share of maxLen, rounded; a non-zero value gets at least
// one pixel so it stays visible.
func barLen(v, maxV float64, maxLen int) int {
	if maxV == 0 || v == 0 {
		return 0
	}
	n := int(math.Round(v / maxV * float64(maxLen)))
	return max(n, 1)
}

// Draw paints the chart.
func (c Chart) Draw() (*image.RGBA, error) {
	l, err := c.Layout()
	if err != nil {
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, l.Width, l.Height))
	draw.Draw(img, img.Bounds(), image.NewUniform(Background), image.Point{}, draw.Src)
	text(img, margin, 24, c.Title)
	axisTop, axisBottom := titleH, titleH+len(c.Bars)*rowH
	draw.Draw(img, image.Rect(l.X0-1, axisTop, l.X0, axisBottom), image.NewUniform(AxisColor), image.Point{}, draw.Src)
	for i, b := range c.Bars {
		r := l.Bars[i]
		baseline := r.Min.Y + barH/2 + 4
		text(img, margin, baseline, b.Label)
		draw.Draw(img, r, image.NewUniform(BarColor), image.Point{}, draw.Src)
		text(img, r.Max.X+textGap, baseline, b.Text)
	}
	for i, f := range c.Footer {
		text(img, margin, axisBottom+margin/2+(i+1)*lineH-4, f)
	}
	return img, nil
}

// text draws s with its baseline at y.
func text(img draw.Image, x, y int, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(TextColor), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// PNG encodes the chart; the same chart gives the same bytes.
func (c Chart) PNG() ([]byte, error) {
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
