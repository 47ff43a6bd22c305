package plot

import (
	"cmp"
	"fmt"
	"image/color"
	"slices"
	"strconv"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/vaekit/vaekit/vaekit"
)

// KLBarsOptions style the KL-per-dimension bar chart.
type KLBarsOptions struct {
	Title string
	// Sorted orders the bars from the largest KL down (bars keep their zN names), which
	// makes the number of active dimensions easy to count in a large latent.
	Sorted bool
	// Activity, when not nil, holds each unit's activity A_u = Var_x(E_q[z_u|x])
	// (vaekit's Metrics.Activity, one value per bar) and colours by it: a bar is active
	// when its unit's activity exceeds vaekit.ActivityThreshold, grey otherwise. That is
	// the rule Metrics.ActiveUnits counts by (Burda et al. 2016), so a chart titled with
	// that count shows as many coloured bars. The legend says how many of each, the x
	// axis's name the rule.
	// (Colouring by a KL threshold instead would disagree with that count: a unit can pay
	// KL while its posterior mean hardly varies, or the reverse.)
	Activity []float64
}

// KLBarsActive reports, for each latent dimension, whether KLBars(kl, opts) colours its
// bar as active: by opts.Activity when given, else every bar. A notebook can count them and compare with the count in the chart's title.
func KLBarsActive(kl []float64, opts KLBarsOptions) ([]bool, error) {
	const fn = "plot.KLBarsActive"
	if err := checkKLBars(fn, kl, opts); err != nil {
		return nil, err
	}
	return klBarsActive(kl, opts), nil
}

// checkKLBars checks KLBars' arguments.
func checkKLBars(fn string, kl []float64, opts KLBarsOptions) error {
	if len(kl) == 0 {
		return fmt.Errorf("%s: kl is empty, expected one value per latent dimension", fn)
	}
	if err := checkFinite(fn, "kl", kl); err != nil {
		return err
	}
	if opts.Activity != nil {
		if len(opts.Activity) != len(kl) {
			return fmt.Errorf("%s: %d values in opts.Activity for %d latent dimensions, expected one per dimension", fn, len(opts.Activity), len(kl))
		}
		if err := checkFinite(fn, "opts.Activity", opts.Activity); err != nil {
			return err
		}
	}
	return nil
}

// klBarsActive is KLBarsActive on checked arguments.
func klBarsActive(kl []float64, opts KLBarsOptions) []bool {
	active := make([]bool, len(kl))
	for d := range kl {
		active[d] = opts.Activity == nil || opts.Activity[d] > vaekit.ActivityThreshold
	}
	return active
}

// KLBars draws one bar per latent dimension: its KL(q(z_i|x) || p(z_i)) in nats,
// averaged over encoded images, coloured active or grey by opts.Activity: see
// KLBarsActive.
func KLBars(kl []float64, opts KLBarsOptions) (*Chart, error) {
	const fn = "plot.KLBars"
	if err := checkKLBars(fn, kl, opts); err != nil {
		return nil, err
	}
	isActive := klBarsActive(kl, opts)
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
	nActive := 0
	for i, v := range values {
		if isActive[order[i]] {
			active[i] = v
			nActive++
		} else {
			inactive[i] = v
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
	switch {
	case opts.Sorted && opts.Activity != nil:
		xLabel += ", sorted by KL (active: Var(E[z|x]) > " + formatValue(vaekit.ActivityThreshold) + ")"
	case opts.Sorted:
		xLabel += " (sorted by KL)"
	case opts.Activity != nil:
		xLabel += " (active: Var(E[z|x]) > " + formatValue(vaekit.ActivityThreshold) + ")"
	}
	p := newPlot(opts.Title, xLabel, "KL (nats per image)")
	addGrid(p)
	p.Add(activeBars, inactiveBars)
	p.X.Tick.Marker = ticks
	p.Y.Min = 0
	if opts.Activity != nil { // The rule is in the x axis's name.
		chart.legend = newLegend()
		chart.legend.Add(fmt.Sprintf("active (%d)", nActive), activeBars)
		chart.legend.Add(fmt.Sprintf("inactive (%d)", len(kl)-nActive), inactiveBars)
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
