package plot

import (
	"cmp"
	"fmt"
	"slices"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// SweepPoint is one trained model of a beta sweep: its KL weight and its held-out
// reconstruction and KL terms, in nats per image.
type SweepPoint struct {
	Beta           float64
	Reconstruction float64
	KL             float64
}

// SweepOptions style a beta sweep chart.
type SweepOptions struct {
	Title string
}

// BetaSweep draws the rate-distortion trade-off of a beta sweep: reconstruction
// (distortion) against KL (rate), one point per beta, labelled with its beta and joined
// in order of beta. Larger betas buy a smaller KL with a worse reconstruction.
func BetaSweep(points []SweepPoint, opts SweepOptions) (*Chart, error) {
	const fn = "plot.BetaSweep"
	if len(points) == 0 {
		return nil, fmt.Errorf("%s: points is empty, expected one point per beta", fn)
	}
	for i, pt := range points {
		for _, v := range []struct {
			name  string
			value float64
		}{{"Beta", pt.Beta}, {"Reconstruction", pt.Reconstruction}, {"KL", pt.KL}} {
			if err := checkFiniteValue(fn, fmt.Sprintf("points[%d].%s", i, v.name), v.value); err != nil {
				return nil, err
			}
		}
		if pt.Beta < 0 {
			return nil, fmt.Errorf("%s: points[%d].Beta is %v, expected >= 0", fn, i, pt.Beta)
		}
	}
	sorted := slices.Clone(points)
	slices.SortStableFunc(sorted, func(a, b SweepPoint) int { return cmp.Compare(a.Beta, b.Beta) })
	xys := make(plotter.XYs, len(sorted))
	labels := make([]string, len(sorted))
	for i, pt := range sorted {
		xys[i].X, xys[i].Y = pt.KL, pt.Reconstruction
		labels[i] = "β=" + formatValue(pt.Beta)
	}

	p := newPlot(opts.Title, "KL (nats per image)", "reconstruction (nats per image)")
	addGrid(p)
	style := draw.LineStyle{Color: palette[0], Width: vg.Points(1.5)}
	if err := addLine(p, xys, style, true); err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	names, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	for i := range names.TextStyle {
		names.TextStyle[i].Font = font.From(sansFont, 9)
	}
	names.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(3)}
	p.Add(names)
	return newChart(p), nil
}
