package plot

import (
	"cmp"
	"fmt"
	"image/color"
	"slices"
	"strconv"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// KLBarsOptions style the KL-per-dimension bar chart.
type KLBarsOptions struct {
	Title string
	// Sorted orders the bars from the largest KL down (bars keep their zN names), which
	// makes the number of active dimensions easy to count in a large latent.
	Sorted bool
	// ActiveThreshold, when > 0, colours the bars of dimensions whose KL is below it
	// grey: they carry almost no information about the input (posterior collapse). A
	// common choice is 0.01 nats.
	ActiveThreshold float64
}

// KLBars draws one bar per latent dimension: its KL(q(z_i|x) || p(z_i)) in nats,
// averaged over encoded images. Dimensions with KL near zero are unused by the encoder.
func KLBars(kl []float64, opts KLBarsOptions) (*Chart, error) {
	const fn = "plot.KLBars"
	if len(kl) == 0 {
		return nil, fmt.Errorf("%s: kl is empty, expected one value per latent dimension", fn)
	}
	if err := checkFinite(fn, "kl", kl); err != nil {
		return nil, err
	}
	if err := checkFiniteValue(fn, "opts.ActiveThreshold", opts.ActiveThreshold); err != nil {
		return nil, err
	}
	order := make([]int, len(kl)) // order[i] is the dimension of bar i.
	for i := range order {
		order[i] = i
	}
	if opts.Sorted {
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(kl[b], kl[a]) })
	}
	values := make(plotter.Values, len(kl))
	ticks := labeledTicks{}
	every := (len(kl) + 11) / 12 // At most about 12 names under the bars: "z17" is wide.
	for i, d := range order {
		values[i] = kl[d]
		ticks.positions = append(ticks.positions, float64(i))
		label := ""
		if i%every == 0 {
			label = "z" + strconv.Itoa(d+1)
		}
		ticks.labels = append(ticks.labels, label)
	}

	chart := newChart()
	// Bars fill three quarters of their slot, but stay slim for a small latent.
	barWidth := min(max(vg.Points(1), (chart.Width-1.5*vg.Inch)/vg.Length(len(kl))*0.75), vg.Points(36))
	// Two bar series on the same positions, each zero where the other has its bar.
	active, inactive := make(plotter.Values, len(values)), make(plotter.Values, len(values))
	for i, v := range values {
		if opts.ActiveThreshold > 0 && v < opts.ActiveThreshold {
			inactive[i] = v
		} else {
			active[i] = v
		}
	}
	activeBars, err := newBars(active, barWidth, palette[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	inactiveBars, err := newBars(inactive, barWidth, inactiveColor)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}

	xLabel := "latent dimension"
	if opts.Sorted {
		xLabel += " (sorted by KL)"
	}
	p := newPlot(opts.Title, xLabel, "KL (nats per image)")
	addGrid(p)
	p.Add(activeBars, inactiveBars)
	p.X.Tick.Marker = ticks
	p.Y.Min = 0
	if opts.ActiveThreshold > 0 {
		t := formatValue(opts.ActiveThreshold)
		chart.legend = newLegend()
		chart.legend.Add("active: KL ≥ "+t, activeBars)
		chart.legend.Add("inactive: KL < "+t, inactiveBars)
	}
	chart.panels = append(chart.panels, p)
	return chart, nil
}

// inactiveColor marks latent dimensions the encoder does not use.
var inactiveColor = color.Gray{Y: 170}

// newBars returns a bar series without outlines.
func newBars(values plotter.Values, width vg.Length, c color.Color) (*plotter.BarChart, error) {
	bars, err := plotter.NewBarChart(values, width)
	if err != nil {
		return nil, err
	}
	bars.Color = c
	bars.LineStyle.Width = 0
	return bars, nil
}
