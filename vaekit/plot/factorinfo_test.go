package plot

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/vaekit/vaekit/vaekit"
)

// TestFactorInformation checks that each cell prints I(v_f; z_j) / H(v_f) at its factor's
// row and its coordinate's column (in opts.Latents' order), and is filled darker the more
// the coordinate knows.
func TestFactorInformation(t *testing.T) {
	scores := &vaekit.FactorScores{
		Factors:           []string{"shape", "scale"},
		FactorEntropy:     []float64{1.0, 2.0},
		MutualInformation: [][]float64{{0.1, 0.0, 0.9}, {1.6, 0.2, 0.0}},
	}
	order := []int{2, 0, 1}
	chart, err := FactorInformation(scores, FactorInformationOptions{Title: "I / H", Latents: order})
	if err != nil {
		t.Fatal(err)
	}
	w, h := chartPixels(chart)
	checkSaved(t, "factorinfo", chart, w, h)
	rec := recordPanel(t, chart.Plots()[0])
	darkness := map[string]float64{}
	for f := range scores.Factors {
		for c, j := range order {
			share := scores.MutualInformation[f][j] / scores.FactorEntropy[f]
			label := fmt.Sprintf("%.2f", share)
			cell := vg.Point{X: rec.x(float64(c)), Y: rec.y(float64(f))}
			if !nearAny(rec.texts[label], cell, 10) { // A centred label starts a few points left of and below its point.
				t.Errorf("factor %d, column %d (z%d): no %q at %v; %q is at %v", f, c, j+1, label, cell, label, rec.texts[label])
			}
			darkness[label] = fillDarknessAt(rec, cell)
		}
	}
	if !(darkness["0.90"] > darkness["0.10"] && darkness["0.80"] > darkness["0.10"] && darkness["0.10"] > darkness["0.00"]) {
		t.Errorf("cell darkness %v: expected it to grow with the share", darkness)
	}
	// The first factor is on top.
	if rec.y(0) <= rec.y(1) {
		t.Errorf("factor 0 drawn at y %v, below factor 1 at %v: expected the first row on top", rec.y(0), rec.y(1))
	}
	_, err = FactorInformation(scores, FactorInformationOptions{Latents: []int{3}})
	wantError(t, "latent out of range", err, "coordinate 3, expected indices in [0, 3)")
	_, err = FactorInformation(nil, FactorInformationOptions{})
	wantError(t, "nil scores", err, "no mutual information to draw")
}

func nearAny(points []vg.Point, p vg.Point, tol vg.Length) bool {
	for _, q := range points {
		if math.Abs(float64(q.X-p.X)) <= float64(tol) && math.Abs(float64(q.Y-p.Y)) <= float64(tol) {
			return true
		}
	}
	return false
}

// fillDarknessAt is 1 - luminance of the last fill whose box contains p.
func fillDarknessAt(rec recordedPanel, p vg.Point) float64 {
	dark := -1.0
	for _, f := range rec.fills {
		pts := vertices(f.path)
		if len(pts) == 0 {
			continue
		}
		lo, hi := pts[0], pts[0]
		for _, q := range pts {
			lo.X, lo.Y, hi.X, hi.Y = min(lo.X, q.X), min(lo.Y, q.Y), max(hi.X, q.X), max(hi.Y, q.Y)
		}
		if p.X >= lo.X && p.X <= hi.X && p.Y >= lo.Y && p.Y <= hi.Y && hi.X-lo.X < 200 {
			r, g, b, _ := f.color.RGBA()
			dark = 1 - (0.2126*float64(r)+0.7152*float64(g)+0.0722*float64(b))/65535
		}
	}
	return dark
}
