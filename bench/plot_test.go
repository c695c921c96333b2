package main

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestPlots draws each kind of chart and checks the files are PNGs with
// something drawn in the plot area.
func TestPlots(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("RIVETR_PLOT_DIR"); d != "" {
		dir = d // to look at them
	}
	*outDir = dir
	barPlot("bars.png", "bars", "req/s", []string{"small", "big"}, []string{"a", "b", "c"},
		[][]float64{{95000, 21000, 59000}, {3500, 1800, 2000}})
	linePlot("lines.png", "lines", "apps", "s", []float64{1, 10, 50}, []string{"total", "each"},
		[][]float64{{0.8, 4.6, 14.7}, {0.8, 0.46, 0.29}})
	var samples []sample
	for i := range 3000 {
		samples = append(samples, sample{at: float64(i) / 100, ms: 0.5 + math.Abs(math.Sin(float64(i)))*3, failed: i == 1500})
	}
	timelinePlot("timeline.png", "timeline", samples, [][2]float64{{2, 4}, {10, 12.5}})
	for _, name := range []string{"bars.png", "lines.png", "timeline.png"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		colored := 0
		for y := padT; y < padT+innerH; y++ {
			for x := padL + 2; x < padL+innerW; x++ {
				r, g, b, _ := img.At(x, y).RGBA()
				if r != g || g != b {
					colored++
				}
			}
		}
		if colored < 500 {
			t.Errorf("%s: only %d coloured pixels in the plot area", name, colored)
		}
	}
}
