package plot

import (
	"fmt"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/vaekit/vaekit/vaekit"
)

// CurvesOptions style training curves.
type CurvesOptions struct {
	// Titles of the three panels; empty strings mean "loss", "reconstruction" and "KL".
	Titles [3]string
}

// The two splits of every panel: one colour each, held-out dashed as well, so the
// curves stay apart in greyscale print too.
var (
	trainStyle   = draw.LineStyle{Color: palette[0], Width: vg.Points(1.5)}
	heldOutStyle = draw.LineStyle{Color: palette[1], Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(5), vg.Points(2.5)}}
)

// maxMarkedPoints is the longest history whose evaluations are also marked with dots:
// with few evaluations a line alone hides where they were (and one point draws no line).
const maxMarkedPoints = 25

// TrainingCurves draws a model's history (vaekit.Model.History, one Record per
// evaluation) as three panels side by side: the training loss (the objective as the
// Config defines it, in its own units: a per-pixel mean for reconstruction=bernoulli_mean),
// the reconstruction term and the KL term (both in nats per image), each on the fixed
// training subset and on the held-out set, against the training step.
// Separate panels give each term its own scale: KL is often ten times smaller than
// the reconstruction term.
func TrainingCurves(history []vaekit.Record, opts CurvesOptions) (*Chart, error) {
	const fn = "plot.TrainingCurves"
	if len(history) == 0 {
		return nil, fmt.Errorf("%s: history is empty, expected at least one evaluation record", fn)
	}
	titles := opts.Titles
	for i, def := range []string{"loss", "reconstruction", "KL"} {
		if titles[i] == "" {
			titles[i] = def
		}
	}
	terms := []struct {
		name string
		get  func(vaekit.Terms) float64
	}{
		{"Loss", func(t vaekit.Terms) float64 { return t.Loss }},
		{"Reconstruction", func(t vaekit.Terms) float64 { return t.Reconstruction }},
		{"KL", func(t vaekit.Terms) float64 { return t.KL }},
	}
	var panels []*gplot.Plot
	for k, term := range terms {
		yLabel := "nats per image"
		if k == 0 {
			yLabel = "trained objective"
		}
		p := newPlot(titles[k], "step", yLabel)
		addGrid(p)
		for _, split := range []struct {
			name  string
			get   func(vaekit.Record) vaekit.Terms
			style draw.LineStyle
		}{
			{"Train", func(r vaekit.Record) vaekit.Terms { return r.Train }, trainStyle},
			{"HeldOut", func(r vaekit.Record) vaekit.Terms { return r.HeldOut }, heldOutStyle},
		} {
			xys := make(plotter.XYs, len(history))
			for i, r := range history {
				v := term.get(split.get(r))
				if err := checkFiniteValue(fn, fmt.Sprintf("history[%d].%s.%s", i, split.name, term.name), v); err != nil {
					return nil, err
				}
				xys[i].X, xys[i].Y = float64(r.Step), v
			}
			if err := addLine(p, xys, split.style, len(history) <= maxMarkedPoints); err != nil {
				return nil, fmt.Errorf("%s: %w", fn, err)
			}
		}
		panels = append(panels, p)
	}
	chart := newChart(panels...)
	chart.Width, chart.Height = 9.5*vg.Inch, 3.2*vg.Inch
	chart.legend = newLegend()
	chart.legend.Add("train", &plotter.Line{LineStyle: trainStyle})
	chart.legend.Add("held-out", &plotter.Line{LineStyle: heldOutStyle})
	return chart, nil
}

// addLine adds a line through xys to p, with a dot on every point when marked.
func addLine(p *gplot.Plot, xys plotter.XYs, style draw.LineStyle, marked bool) error {
	line, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	line.LineStyle = style
	p.Add(line)
	if marked {
		dots, err := plotter.NewScatter(xys)
		if err != nil {
			return err
		}
		dots.GlyphStyle = draw.GlyphStyle{Color: style.Color, Radius: vg.Points(2.2), Shape: draw.CircleGlyph{}}
		p.Add(dots)
	}
	return nil
}
