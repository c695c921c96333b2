package main

// Plots for bench/results/: bar charts, line charts and a latency timeline,
// drawn with the standard image packages and x/image's fixed bitmap font so
// the benchmarks need nothing outside Go.

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

var (
	white   = color.RGBA{255, 255, 255, 255}
	ink     = color.RGBA{40, 40, 40, 255}
	grid    = color.RGBA{225, 225, 225, 255}
	shade   = color.RGBA{255, 236, 200, 255}
	failRed = color.RGBA{210, 40, 40, 255}
	palette = []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {148, 103, 189, 255}}
)

const (
	plotW, plotH                   = 900, 420
	padL, padR, padT, padB         = 80, 20, 40, 60
	innerW, innerH                 = plotW - padL - padR, plotH - padT - padB
	charW, lineH                   = 7, 13
	legendX                        = padL + 10
	legendY                        = padT + 10
	tickCount                      = 5
	timelineDotAlpha       uint8   = 90
	minLogMS                       = 0.1
	timelineMaxMS          float64 = 10000
)

type canvas struct{ img *image.RGBA }

func newCanvas(title string) *canvas {
	c := &canvas{image.NewRGBA(image.Rect(0, 0, plotW, plotH))}
	draw.Draw(c.img, c.img.Bounds(), &image.Uniform{white}, image.Point{}, draw.Src)
	c.text(padL, 16, title, ink)
	return c
}

func (c *canvas) text(x, y int, s string, col color.Color) {
	d := font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func (c *canvas) rect(x0, y0, x1, y1 int, col color.Color) {
	draw.Draw(c.img, image.Rect(x0, y0, x1, y1), &image.Uniform{col}, image.Point{}, draw.Over)
}

func (c *canvas) hline(y int, col color.Color) { c.rect(padL, y, padL+innerW, y+1, col) }

// line draws a straight segment, two pixels wide.
func (c *canvas) line(x0, y0, x1, y1 int, col color.Color) {
	n := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= n; i++ {
		x := x0 + (x1-x0)*i/n
		y := y0 + (y1-y0)*i/n
		c.rect(x-1, y-1, x+1, y+1, col)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// axes draws the frame, horizontal grid lines with labels from the y scale,
// and the axis titles.
func (c *canvas) axes(yTitle, xTitle string, y scale) {
	for i := 0; i <= tickCount; i++ {
		v := y.lo + (y.hi-y.lo)*float64(i)/tickCount
		if y.log {
			v = math.Pow(10, math.Log10(y.lo)+(math.Log10(y.hi)-math.Log10(y.lo))*float64(i)/tickCount)
		}
		py := y.px(v)
		c.hline(py, grid)
		label := short(v)
		c.text(padL-8-charW*len(label), py+4, label, ink)
	}
	c.rect(padL, padT, padL+1, padT+innerH, ink)
	c.hline(padT+innerH, ink)
	c.text(8, padT-6, yTitle, ink)
	c.text(padL+innerW/2-charW*len(xTitle)/2, plotH-12, xTitle, ink)
}

func (c *canvas) legend(names []string) {
	for i, n := range names {
		y := legendY + i*(lineH+4)
		c.rect(legendX+innerW-190, y, legendX+innerW-178, y+10, palette[i%len(palette)])
		c.text(legendX+innerW-172, y+10, n, ink)
	}
}

// scale maps values onto the plot's vertical axis.
type scale struct {
	lo, hi float64
	log    bool
}

func (s scale) px(v float64) int {
	f := (v - s.lo) / (s.hi - s.lo)
	if s.log {
		v = math.Max(v, s.lo)
		f = (math.Log10(v) - math.Log10(s.lo)) / (math.Log10(s.hi) - math.Log10(s.lo))
	}
	return padT + innerH - int(math.Round(f*innerH))
}

func short(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case v >= 1e4:
		return strconv.FormatFloat(math.Round(v/1e3), 'f', -1, 64) + "k"
	case v >= 10 || v == 0:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	default:
		return strconv.FormatFloat(v, 'g', 2, 64)
	}
}

// niceMax rounds v up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func (c *canvas) save(name string) {
	path := filepath.Join(*outDir, name)
	f, err := os.Create(path)
	if err != nil {
		log.Printf("plot %s: %v", path, err)
		return
	}
	defer f.Close()
	if err := png.Encode(f, c.img); err != nil {
		log.Printf("plot %s: %v", path, err)
	}
}

// barPlot draws groups of bars: values[g][s] is series s in group g, each
// bar labelled with its value.
func barPlot(name, title, yTitle string, groups, series []string, values [][]float64) {
	c := newCanvas(title)
	top := 0.0
	for _, g := range values {
		for _, v := range g {
			top = math.Max(top, v)
		}
	}
	y := scale{0, niceMax(top * 1.1), false}
	c.axes(yTitle, "", y)
	gw := innerW / len(groups)
	bw := (gw - 40) / len(series)
	for gi, g := range groups {
		x0 := padL + gi*gw + 20
		for si, v := range values[gi] {
			x := x0 + si*bw
			c.rect(x+4, y.px(v), x+bw-4, padT+innerH, palette[si%len(palette)])
			label := short(v)
			c.text(x+bw/2-charW*len(label)/2, y.px(v)-4, label, ink)
		}
		c.text(x0+(gw-40)/2-charW*len(g)/2, padT+innerH+18, g, ink)
	}
	c.legend(series)
	c.save(name)
}

// linePlot draws series over shared x values, one marker per point.
func linePlot(name, title, xTitle, yTitle string, xs []float64, series []string, ys [][]float64) {
	c := newCanvas(title)
	top := 0.0
	for _, s := range ys {
		for _, v := range s {
			top = math.Max(top, v)
		}
	}
	y := scale{0, niceMax(top * 1.1), false}
	c.axes(yTitle, xTitle, y)
	xpx := func(i int) int { return padL + 30 + (innerW-60)*i/max(len(xs)-1, 1) }
	for i, x := range xs {
		label := short(x)
		c.text(xpx(i)-charW*len(label)/2, padT+innerH+18, label, ink)
	}
	for si, s := range ys {
		col := palette[si%len(palette)]
		for i, v := range s {
			c.rect(xpx(i)-4, y.px(v)-4, xpx(i)+4, y.px(v)+4, col)
			if i > 0 {
				c.line(xpx(i-1), y.px(s[i-1]), xpx(i), y.px(v), col)
			}
			c.text(xpx(i)+8, y.px(v)-6, short(v), ink)
		}
	}
	c.legend(series)
	c.save(name)
}

// sample is one request in a timeline: when it started (s), how long it
// took (ms), and whether it failed.
type sample struct {
	at, ms float64
	failed bool
}

// timelinePlot draws every request's latency over time on a log scale,
// with the release windows shaded and failed requests in red at the top.
func timelinePlot(name, title string, samples []sample, windows [][2]float64) {
	c := newCanvas(title)
	end := 1.0
	for _, s := range samples {
		end = math.Max(end, s.at)
	}
	xpx := func(t float64) int { return padL + int(t/end*float64(innerW)) }
	for _, w := range windows {
		c.rect(xpx(w[0]), padT, max(xpx(w[1]), xpx(w[0])+1), padT+innerH, shade)
	}
	y := scale{minLogMS, timelineMaxMS, true}
	c.axes("latency, ms (log)", "seconds since the load started", y)
	for t := 0.0; t <= end; t += niceMax(end / 8) {
		label := short(t)
		c.text(xpx(t)-charW*len(label)/2, padT+innerH+18, label, ink)
	}
	dot := color.NRGBA{31, 119, 180, timelineDotAlpha}
	failed := 0
	for _, s := range samples {
		if s.failed {
			failed++
			x := xpx(s.at)
			c.rect(x-2, padT+2, x+2, padT+8, failRed)
			continue
		}
		c.rect(xpx(s.at)-1, y.px(s.ms)-1, xpx(s.at)+1, y.px(s.ms)+1, dot)
	}
	c.rect(legendX+innerW-190, legendY, legendX+innerW-178, legendY+10, shade)
	c.text(legendX+innerW-172, legendY+10, "deploy or rollback running", ink)
	c.rect(legendX+innerW-190, legendY+17, legendX+innerW-178, legendY+27, failRed)
	c.text(legendX+innerW-172, legendY+27, fmt.Sprintf("failed requests: %d", failed), ink)
	c.save(name)
}
