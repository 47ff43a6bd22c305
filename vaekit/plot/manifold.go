package plot

import (
	"fmt"
	"slices"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
)

// The manifold picture (Kingma & Welling 2014, figure 4) decodes a grid of latent
// points and lays the decoded images out where their codes lie, so one sees how the
// decoder's output changes across the latent space. The axes name the latent value of
// every column and row: grids are often spaced unevenly (e.g. Gaussian quantiles), so
// tick positions alone would mislead.

// ManifoldOptions style a manifold chart.
type ManifoldOptions struct {
	Title          string // Empty means no title.
	XLabel, YLabel string // Axis names; empty means "z<DimX+1>" and "z<DimY+1>".

	// YDown draws the second coordinate growing downwards, as an image shown with
	// matplotlib's imshow does when its rows follow the grid (the Keras tutorial's
	// manifold); by default it grows upwards, as on a plot's y axis.
	YDown bool

	// WhiteOnBlack draws greyscale tiles as their pixel values, 1 white and 0 black
	// (matplotlib's imshow with cmap="gray" or "Greys_r", as the TensorFlow and Keras
	// tutorials show their canvases), instead of ink black on white.
	WhiteOnBlack bool

	// Scale draws each pixel as a Scale x Scale square; 0 picks one that makes the grid
	// about manifoldTargetWidth pixels wide (ManifoldTiles: 1).
	Scale int
}

// manifoldCanvas tiles nx x ny decoded images, in vaekit.Manifold's order, into one
// picture without padding: image r*nx+c goes to column c and to row r counted from the
// bottom (from the top with opts.YDown). Each pixel becomes scale x scale pixels (0 means
// 1). images come from setRows, which checked them.
func manifoldCanvas(images [][]float32, shape data.Shape, nx, ny, scale int, opts ManifoldOptions) (*Picture, error) {
	height, width := shape.Height, shape.Width
	const fn = "plot.Manifold"
	if nx < 1 || ny < 1 || len(images) != nx*ny {
		return nil, fmt.Errorf("%s: %d images for a %dx%d grid, expected %d", fn, len(images), nx, ny, nx*ny)
	}
	scale = max(scale, 1)
	tileW, tileH := width*scale, height*scale
	out := newWhite(nx*tileW, ny*tileH, shape.Channels)
	for r := range ny {
		for c := range nx {
			row := ny - 1 - r
			if opts.YDown {
				row = r
			}
			drawTile(out, images[r*nx+c], shape, scale, c*tileW, row*tileH, opts.WhiteOnBlack)
		}
	}
	return newPicture(out), nil
}

// ManifoldTiles is the manifold's decoded images alone, tiled without axes or padding,
// each pixel an opts.Scale x opts.Scale square (0 means 1). Only the options that style
// tiles apply: YDown, WhiteOnBlack and Scale.
func ManifoldTiles(man *vaekit.Manifold, opts ManifoldOptions) (*Picture, error) {
	if man == nil {
		return nil, fmt.Errorf("plot.ManifoldTiles: the manifold is nil")
	}
	images, shape, err := setRows("plot.ManifoldTiles", "manifold images", man.Images)
	if err != nil {
		return nil, err
	}
	return manifoldCanvas(images, shape, len(man.XValues), len(man.YValues), opts.Scale, opts)
}

// manifoldTargetWidth is about how many pixels wide the decoded grid is drawn: whole
// multiples of the image size, so digits are not blurred by resampling.
const manifoldTargetWidth = 480

// Manifold draws a manifold (vaekit's Model.Manifold) as one canvas of its decoded images
// with axes labelled by the latent values.
func Manifold(man *vaekit.Manifold, opts ManifoldOptions) (*Chart, error) {
	const fn = "plot.Manifold"
	if man == nil {
		return nil, fmt.Errorf("%s: the manifold is nil", fn)
	}
	images, shape, err := setRows(fn, "manifold images", man.Images)
	if err != nil {
		return nil, err
	}
	width := shape.Width
	zx, zy := toFloat64(man.XValues), toFloat64(man.YValues)
	if len(zx) == 0 || len(zy) == 0 {
		return nil, fmt.Errorf("%s: grid of %d x %d values (zx x zy), expected at least one of each", fn, len(zx), len(zy))
	}
	if err := checkFinite(fn, "zx", zx); err != nil {
		return nil, err
	}
	if err := checkFinite(fn, "zy", zy); err != nil {
		return nil, err
	}
	nx, ny := len(zx), len(zy)
	scale := opts.Scale
	if scale <= 0 {
		scale = max(1, (manifoldTargetWidth+nx*width/2)/(nx*width))
	}
	canvas, err := manifoldCanvas(images, shape, nx, ny, scale, opts)
	if err != nil {
		return nil, err
	}
	xLabel, yLabel := opts.XLabel, opts.YLabel
	if xLabel == "" {
		xLabel = fmt.Sprintf("z%d", man.DimX+1)
	}
	if yLabel == "" {
		yLabel = fmt.Sprintf("z%d", man.DimY+1)
	}
	p := newPlot(opts.Title, xLabel, yLabel)
	// Data coordinates count tiles: column c spans [c, c+1].
	p.Add(plotter.NewImage(canvas.Image(), 0, 0, float64(nx), float64(ny)))
	p.X.Min, p.X.Max = 0, float64(nx)
	p.Y.Min, p.Y.Max = 0, float64(ny)
	p.X.Tick.Marker = tileTicks(zx)
	if opts.YDown {
		slices.Reverse(zy) // Tick i counts from the bottom.
	}
	p.Y.Tick.Marker = tileTicks(zy)
	p.X.Padding, p.Y.Padding = 0, 0

	chart := newChart(p)
	// Size the chart so the canvas is drawn near its own pixel size, plus room for the
	// axes (and title).
	pxPerInch := vg.Length(defaultDPI)
	dataW := vg.Length(canvas.Bounds().Dx()) / pxPerInch * vg.Inch
	dataH := vg.Length(canvas.Bounds().Dy()) / pxPerInch * vg.Inch
	chart.Width = dataW + 0.8*vg.Inch
	chart.Height = dataH + 0.7*vg.Inch
	if opts.Title != "" {
		chart.Height += 0.3 * vg.Inch
	}
	return chart, nil
}

func toFloat64(values []float32) []float64 {
	out := make([]float64, len(values))
	for i, v := range values {
		out[i] = float64(v)
	}
	return out
}

// tileTicks marks the centre of every tile with its latent value, labelling at most
// about ten of them so the labels do not collide.
func tileTicks(values []float64) labeledTicks {
	every := (len(values) + 9) / 10
	t := labeledTicks{}
	for i, v := range values {
		t.positions = append(t.positions, float64(i)+0.5)
		label := ""
		if i%every == 0 {
			label = formatValue(v)
		}
		t.labels = append(t.labels, label)
	}
	return t
}
