package plot

import (
	"fmt"
	"image/color"
	"strconv"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Label is the type of class labels: data sets store them as uint8, code often as int.
type Label interface {
	~int | ~int32 | ~int64 | ~uint8
}

// ScatterOptions style a latent scatter plot.
type ScatterOptions struct {
	// ClassNames[k] is the legend text of label k; nil means the label's number.
	ClassNames []string
	// Dims are the two latent coordinates (0-based) on the x and y axes; the zero value
	// means 0 and 1. The axes are named z1, z2, ... counting from 1, as in the papers.
	Dims  [2]int
	Title string
}

// LatentScatter plots the latent codes of encoded images (usually the posterior means of
// the test set), one point per image, coloured by its label, with a legend beside the
// plot. It shows whether the encoder separates the classes. labels may be nil: then all
// points share one colour and there is no legend.
func LatentScatter[L Label](codes [][]float32, labels []L, opts ScatterOptions) (*Chart, error) {
	const fn = "plot.LatentScatter"
	if len(codes) == 0 {
		return nil, fmt.Errorf("%s: codes is empty, expected at least one latent code", fn)
	}
	dimX, dimY := opts.Dims[0], opts.Dims[1]
	if dimX == 0 && dimY == 0 {
		dimX, dimY = 0, 1
	}
	if err := checkDims(fn, len(codes[0]), dimX, dimY); err != nil {
		return nil, err
	}
	if labels != nil && len(labels) != len(codes) {
		return nil, fmt.Errorf("%s: %d labels for %d codes, expected one label per code", fn, len(labels), len(codes))
	}
	points := make(plotter.XYs, len(codes))
	for i, z := range codes {
		if len(z) != len(codes[0]) {
			return nil, fmt.Errorf("%s: codes[%d] has %d values, expected %d like codes[0]", fn, i, len(z), len(codes[0]))
		}
		points[i].X, points[i].Y = float64(z[dimX]), float64(z[dimY])
		if err := checkFinite(fn, fmt.Sprintf("codes[%d]", i), []float64{points[i].X, points[i].Y}); err != nil {
			return nil, err
		}
	}
	nClasses := len(opts.ClassNames)
	present := map[int]bool{}
	for i, l := range labels {
		k := int(l)
		if k < 0 {
			return nil, fmt.Errorf("%s: labels[%d] is %d, expected a class number >= 0", fn, i, k)
		}
		if opts.ClassNames != nil && k >= len(opts.ClassNames) {
			return nil, fmt.Errorf("%s: labels[%d] is %d, expected < %d (the number of class names)", fn, i, k, len(opts.ClassNames))
		}
		present[k] = true
		nClasses = max(nClasses, k+1)
	}

	radius := vg.Points(1.2)
	switch {
	case len(codes) <= 1000:
		radius = vg.Points(2.2)
	case len(codes) <= 5000:
		radius = vg.Points(1.6)
	}
	// Slightly transparent points show where they pile up.
	pointColor := func(i int) color.Color {
		c := palette[0]
		if labels != nil {
			c = classColor(int(labels[i]), nClasses)
		}
		return color.NRGBA{c.R, c.G, c.B, 0xb0}
	}
	scatter, err := plotter.NewScatter(points)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	scatter.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		return draw.GlyphStyle{Color: pointColor(i), Radius: radius, Shape: draw.CircleGlyph{}}
	}

	p := newPlot(opts.Title, "z"+strconv.Itoa(dimX+1), "z"+strconv.Itoa(dimY+1))
	addGrid(p)
	p.Add(scatter)
	chart := newChart(p)
	chart.Height = 4.5 * vg.Inch
	if labels != nil {
		chart.legend = newLegend()
		for k := range nClasses {
			if !present[k] {
				continue
			}
			name := strconv.Itoa(k)
			if opts.ClassNames != nil {
				name = opts.ClassNames[k]
			}
			chart.legend.Add(name, glyphThumb{Color: classColor(k, nClasses), Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}})
		}
	}
	return chart, nil
}
