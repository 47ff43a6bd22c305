package plot

import (
	"fmt"

	gplot "gonum.org/v1/plot"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one named line of a Lines chart: Y[i] at X[i].
type Series struct {
	Name string // Legend text; with no names there is no legend.
	X, Y []float64
}

// LinesOptions style a Lines chart.
type LinesOptions struct {
	Title, XLabel, YLabel string
	// LogY draws the y axis on a log scale, for a quantity that shrinks by orders of
	// magnitude (e.g. a collapsing posterior's sigma); every y must then be > 0.
	LogY bool
}

// Lines draws any quantity against another (e.g. a statistic against the training
// step), one coloured line per series, for the curves that TrainingCurves does not
// cover.
func Lines(series []Series, opts LinesOptions) (*Chart, error) {
	const fn = "plot.Lines"
	if len(series) == 0 {
		return nil, fmt.Errorf("%s: no series, expected at least one", fn)
	}
	p := newPlot(opts.Title, opts.XLabel, opts.YLabel)
	addGrid(p)
	named := false
	var styles []draw.LineStyle
	for k, s := range series {
		name := fmt.Sprintf("series[%d]", k)
		if len(s.X) == 0 || len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("%s: %s has %d x and %d y values, expected as many of each and at least one", fn, name, len(s.X), len(s.Y))
		}
		if err := checkFinite(fn, name+".X", s.X); err != nil {
			return nil, err
		}
		if err := checkFinite(fn, name+".Y", s.Y); err != nil {
			return nil, err
		}
		if opts.LogY {
			for i, y := range s.Y {
				if y <= 0 {
					return nil, fmt.Errorf("%s: %s.Y[%d] is %v, expected > 0 on a log scale (LogY)", fn, name, i, y)
				}
			}
		}
		xys := make(plotter.XYs, len(s.X))
		for i := range s.X {
			xys[i].X, xys[i].Y = s.X[i], s.Y[i]
		}
		style := draw.LineStyle{Color: classColor(k, len(series)), Width: vg.Points(1.5)}
		if err := addLine(p, xys, style, len(xys) <= maxMarkedPoints); err != nil {
			return nil, fmt.Errorf("%s: %w", fn, err)
		}
		styles = append(styles, style)
		named = named || s.Name != ""
	}
	if opts.LogY {
		p.Y.Scale = gplot.LogScale{}
		p.Y.Tick.Marker = gplot.LogTicks{Prec: -1}
	}
	chart := newChart(p)
	if named {
		chart.legend = newLegend()
		for k, s := range series {
			chart.legend.Add(s.Name, &plotter.Line{LineStyle: styles[k]})
		}
	}
	return chart, nil
}
