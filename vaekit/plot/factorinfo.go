package plot

import (
	"fmt"
	"image/color"
	"strconv"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"

	"github.com/vaekit/vaekit/vaekit"
)

// FactorInformationOptions style the factor-by-latent mutual information map.
type FactorInformationOptions struct {
	Title string
	// Latents lists the latent coordinates to show, in column order (e.g. sorted by their
	// KL, as a traversal's rows are); nil shows every coordinate in its own order.
	Latents []int
}

// FactorInformation draws the heat map of vaekit.FactorScores: one row per factor, one
// column per latent coordinate, each cell the share of the factor's entropy the coordinate
// knows, I(v_f; z_j) / H(v_f), printed in the cell. A disentangled code has one dark cell
// per row, each in its own column: the MIG is the gap between a row's darkest two cells.
func FactorInformation(s *vaekit.FactorScores, opts FactorInformationOptions) (*Chart, error) {
	const fn = "plot.FactorInformation"
	if s == nil || len(s.MutualInformation) == 0 || len(s.MutualInformation[0]) == 0 {
		return nil, fmt.Errorf("%s: no mutual information to draw, expected the FactorScores of Measure with FactorScores set", fn)
	}
	latents, err := columnsToShow(fn, opts.Latents, len(s.MutualInformation[0]))
	if err != nil {
		return nil, err
	}
	grid := &shareGrid{rows: len(s.Factors), latents: latents}
	for f, row := range s.MutualInformation {
		for _, j := range latents {
			share := 0.0
			if s.FactorEntropy[f] > 0 {
				share = min(1, row[j]/s.FactorEntropy[f])
			}
			grid.shares = append(grid.shares, share)
		}
	}
	blues, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	heat := plotter.NewHeatMap(grid, blues)
	heat.Min, heat.Max = 0, 1
	labels, err := cellLabels(grid)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	p := newPlot(opts.Title, "latent coordinate", "factor (entropy H, nats)")
	p.Add(heat, labels)
	xTicks, yTicks := labeledTicks{}, labeledTicks{}
	for c, j := range latents {
		xTicks.positions = append(xTicks.positions, float64(c))
		xTicks.labels = append(xTicks.labels, "z"+strconv.Itoa(j+1))
	}
	for f, name := range s.Factors {
		yTicks.positions = append(yTicks.positions, float64(f))
		yTicks.labels = append(yTicks.labels, fmt.Sprintf("%s\nH %.2f", name, s.FactorEntropy[f]))
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = xTicks, yTicks
	p.Y.Scale = gplot.InvertedScale{Normalizer: gplot.LinearScale{}} // The first factor on top, as in a table.
	chart := newChart(p)
	chart.Height = vg.Length(len(s.Factors))*0.45*vg.Inch + 1.4*vg.Inch
	return chart, nil
}

// columnsToShow checks a column order (nil: every coordinate).
func columnsToShow(fn string, order []int, latent int) ([]int, error) {
	if order == nil {
		order = make([]int, latent)
		for j := range order {
			order[j] = j
		}
		return order, nil
	}
	for _, j := range order {
		if j < 0 || j >= latent {
			return nil, fmt.Errorf("%s: opts.Latents names coordinate %d, expected indices in [0, %d)", fn, j, latent)
		}
	}
	return order, nil
}

// shareGrid is the heat map's grid: shares[r*len(latents)+c] for factor r, column c.
type shareGrid struct {
	rows    int
	latents []int
	shares  []float64
}

func (g *shareGrid) Dims() (c, r int)   { return len(g.latents), g.rows }
func (g *shareGrid) Z(c, r int) float64 { return g.shares[r*len(g.latents)+c] }
func (g *shareGrid) X(c int) float64    { return float64(c) }
func (g *shareGrid) Y(r int) float64    { return float64(r) }

// cellLabels prints each share in its cell, white on the dark ones.
func cellLabels(g *shareGrid) (*plotter.Labels, error) {
	var points plotter.XYLabels
	cols, rows := g.Dims()
	for r := range rows {
		for c := range cols {
			points.XYs = append(points.XYs, plotter.XY{X: g.X(c), Y: g.Y(r)})
			points.Labels = append(points.Labels, fmt.Sprintf("%.2f", g.Z(c, r)))
		}
	}
	labels, err := plotter.NewLabels(points)
	if err != nil {
		return nil, err
	}
	for i := range labels.TextStyle {
		style := &labels.TextStyle[i]
		style.XAlign, style.YAlign = text.XCenter, text.YCenter
		style.Font = font.From(sansFont, 8)
		if g.shares[i] > 0.55 {
			style.Color = color.White
		}
	}
	return labels, nil
}
