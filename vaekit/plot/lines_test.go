package plot

import (
	"math"
	"strings"
	"testing"
)

func TestLines(t *testing.T) {
	chart, err := Lines([]Series{{Name: "a", X: []float64{0, 1, 2}, Y: []float64{1, 0.5, 0.2}}, {Name: "b", X: []float64{0, 2}, Y: []float64{1, 1}}}, LinesOptions{Title: "sigma", XLabel: "step", YLabel: "std"})
	if err != nil {
		t.Fatal(err)
	}
	if b := chart.Image().Bounds(); b.Dx() != 576 || b.Dy() != 384 {
		t.Errorf("chart is %dx%d pixels, want 576x384 (6x4 inches at 96 DPI)", b.Dx(), b.Dy())
	}
	svg, err := chart.SVG()
	if err != nil || !strings.Contains(string(svg), "sigma") {
		t.Errorf("SVG: err %v, title missing", err)
	}
	if _, err := Lines([]Series{{Name: "s", X: []float64{0, 1}, Y: []float64{1, 0.003}}}, LinesOptions{LogY: true}); err != nil {
		t.Errorf("log scale: %v", err)
	}
	if _, err := Lines([]Series{{Name: "s", X: []float64{0, 1}, Y: []float64{1, 0}}}, LinesOptions{LogY: true}); err == nil {
		t.Error("log scale with y = 0: expected an error")
	}
	for _, bad := range [][]Series{
		nil,
		{{Name: "x", X: []float64{1, 2}, Y: []float64{1}}},
		{{Name: "x"}},
		{{Name: "nan", X: []float64{1}, Y: []float64{math.NaN()}}},
	} {
		if _, err := Lines(bad, LinesOptions{}); err == nil {
			t.Errorf("Lines(%v): expected an error", bad)
		}
	}
}
