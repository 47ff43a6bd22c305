package plot

import (
	"fmt"
	"image/color"
	"strconv"

	gplot "gonum.org/v1/plot"
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
	points, err := scatterPoints(fn, codes, dimX, dimY)
	if err != nil {
		return nil, err
	}
	classes, err := scatterClasses(fn, labels, opts.ClassNames)
	if err != nil {
		return nil, err
	}
	scatter, err := plotter.NewScatter(points)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	scatter.GlyphStyleFunc = pointStyles(labels, classes.count, pointRadius(len(codes)))

	p := newPlot(opts.Title, "z"+strconv.Itoa(dimX+1), "z"+strconv.Itoa(dimY+1))
	addGrid(p)
	p.Add(scatter)
	chart := newChart(p)
	chart.Height = 4.5 * vg.Inch
	if labels != nil {
		chart.legend = classLegend(classes, opts.ClassNames)
	}
	return chart, nil
}

// scatterPoints are the codes' coordinates dimX and dimY, checked: every code as long as
// the first, every coordinate finite.
func scatterPoints(fn string, codes [][]float32, dimX, dimY int) (plotter.XYs, error) {
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
	return points, nil
}

// scatterClassSet is the classes of a scatter plot: how many there are (the colours are
// spread over them) and which labels occur (the legend lists those).
type scatterClassSet struct {
	count   int
	present map[int]bool
}

// scatterClasses checks the labels against the class names (nil: any class number) and
// returns the classes they cover.
func scatterClasses[L Label](fn string, labels []L, classNames []string) (scatterClassSet, error) {
	classes := scatterClassSet{count: len(classNames), present: map[int]bool{}}
	for i, l := range labels {
		k := int(l)
		if k < 0 {
			return classes, fmt.Errorf("%s: labels[%d] is %d, expected a class number >= 0", fn, i, k)
		}
		if classNames != nil && k >= len(classNames) {
			return classes, fmt.Errorf("%s: labels[%d] is %d, expected < %d (the number of class names)", fn, i, k, len(classNames))
		}
		classes.present[k] = true
		classes.count = max(classes.count, k+1)
	}
	return classes, nil
}

// pointRadius is the radius of the points of a scatter plot of n points: smaller the more
// there are.
func pointRadius(n int) vg.Length {
	switch {
	case n <= 1000:
		return vg.Points(2.2)
	case n <= 5000:
		return vg.Points(1.6)
	}
	return vg.Points(1.2)
}

// pointStyles styles point i in its class's colour of nClasses (labels nil: the first
// colour of the palette).
func pointStyles[L Label](labels []L, nClasses int, radius vg.Length) func(i int) draw.GlyphStyle {
	// Slightly transparent points show where they pile up.
	pointColor := func(i int) color.Color {
		c := palette[0]
		if labels != nil {
			c = classColor(int(labels[i]), nClasses)
		}
		return color.NRGBA{c.R, c.G, c.B, 0xb0}
	}
	return func(i int) draw.GlyphStyle {
		return draw.GlyphStyle{Color: pointColor(i), Radius: radius, Shape: draw.CircleGlyph{}}
	}
}

// classLegend lists the classes present, by their names (nil: their numbers).
func classLegend(classes scatterClassSet, classNames []string) *gplot.Legend {
	legend := newLegend()
	for k := range classes.count {
		if !classes.present[k] {
			continue
		}
		name := strconv.Itoa(k)
		if classNames != nil {
			name = classNames[k]
		}
		legend.Add(name, glyphThumb{Color: classColor(k, classes.count), Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}})
	}
	return legend
}
