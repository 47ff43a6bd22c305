package plot

import (
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// StdHistogramOptions style the histogram of posterior standard deviations.
type StdHistogramOptions struct {
	Title string
	Bins  int // Number of bins; 0 means sqrt(n), between 10 and 50.
}

// StdHistogram draws a histogram of posterior standard deviations sigma =
// exp(logVar/2) (all dimensions of all encoded images, or any selection of them), with
// a dashed line at the prior's sigma = 1. Dimensions the encoder uses have sigma well
// below 1; collapsed ones sit at 1, where the posterior is the prior.
func StdHistogram(stds []float64, opts StdHistogramOptions) (*Chart, error) {
	const fn = "plot.StdHistogram"
	if len(stds) == 0 {
		return nil, fmt.Errorf("%s: stds is empty, expected at least one standard deviation", fn)
	}
	if err := checkFinite(fn, "stds", stds); err != nil {
		return nil, err
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, s := range stds {
		if s < 0 {
			return nil, fmt.Errorf("%s: stds[%d] is %v, expected a standard deviation >= 0 (pass exp(logVar/2), not logVar)", fn, i, s)
		}
		lo, hi = min(lo, s), max(hi, s)
	}
	if opts.Bins < 0 {
		return nil, fmt.Errorf("%s: opts.Bins is %d, expected >= 0", fn, opts.Bins)
	}
	bins := histogramBins(stds, lo, hi, opts.Bins)
	maxCount := 0.0
	for _, b := range bins {
		maxCount = max(maxCount, b.Weight)
	}

	hist := &plotter.Histogram{
		Bins:      bins,
		Width:     bins[0].Max - bins[0].Min,
		FillColor: palette[0],
		LineStyle: draw.LineStyle{Color: chartBackground, Width: vg.Points(0.5)},
	}
	prior, err := plotter.NewLine(plotter.XYs{{X: 1, Y: 0}, {X: 1, Y: maxCount}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	prior.LineStyle = draw.LineStyle{Color: palette[3], Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}

	p := newPlot(opts.Title, "posterior standard deviation σ", "count")
	addGrid(p)
	p.Add(hist, prior)
	p.Y.Min = 0
	chart := newChart(p)
	chart.legend = newLegend()
	chart.legend.Add("posterior σ", hist)
	chart.legend.Add("prior σ = 1", prior)
	return chart, nil
}

// histogramBins counts values in equal bins spanning [lo, hi]. It computes the bin
// index itself, clamped to the last bin: gonum's own binning can index past the end
// through rounding for values just below the maximum.
func histogramBins(values []float64, lo, hi float64, n int) []plotter.HistogramBin {
	if n == 0 {
		n = min(max(int(math.Round(math.Sqrt(float64(len(values))))), 10), 50)
	}
	if hi <= lo { // All values equal: one bin of unit width around them.
		lo, hi, n = lo-0.5, hi+0.5, 1
	}
	width := (hi - lo) / float64(n)
	bins := make([]plotter.HistogramBin, n)
	for i := range bins {
		bins[i].Min, bins[i].Max = lo+float64(i)*width, lo+float64(i+1)*width
	}
	for _, v := range values {
		i := min(max(int((v-lo)/width), 0), n-1)
		bins[i].Weight++
	}
	return bins
}
