package plot

import (
	"fmt"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// The manifold picture (Kingma & Welling 2014, figure 4) decodes a grid of latent
// points and lays the decoded images out where their codes lie, so one sees how the
// decoder's output changes across the latent space. The axes name the latent value of
// every column and row: grids are often spaced unevenly (e.g. Gaussian quantiles), so
// tick positions alone would mislead.

// ManifoldOptions style a manifold chart.
type ManifoldOptions struct {
	Title          string // Empty means no title.
	XLabel, YLabel string // Axis names; empty means "z1" and "z2".
}

// ManifoldPoints returns the 2-D latent codes of the grid zx x zy in the order Manifold
// expects: code r*len(zx)+c is (zx[c], zy[r]). Decode them and pass the images to
// Manifold with the same zx and zy. For a larger latent, see ManifoldPointsAt.
func ManifoldPoints(zx, zy []float64) [][]float32 {
	codes, _ := ManifoldPointsAt(make([]float32, 2), 0, 1, zx, zy)
	return codes
}

// ManifoldPointsAt is ManifoldPoints for a latent of any size: every code is a copy of
// base with coordinates dimX and dimY (0-based) set from the grid.
func ManifoldPointsAt(base []float32, dimX, dimY int, zx, zy []float64) ([][]float32, error) {
	const fn = "plot.ManifoldPointsAt"
	if err := checkDims(fn, len(base), dimX, dimY); err != nil {
		return nil, err
	}
	codes := make([][]float32, 0, len(zx)*len(zy))
	for _, y := range zy {
		for _, x := range zx {
			z := append([]float32(nil), base...)
			z[dimX], z[dimY] = float32(x), float32(y)
			codes = append(codes, z)
		}
	}
	return codes, nil
}

// checkDims checks that dimX and dimY are two different coordinates of a latent of
// size latentDim.
func checkDims(fn string, latentDim, dimX, dimY int) error {
	if latentDim < 2 {
		return fmt.Errorf("%s: latent size %d, expected at least 2 dimensions", fn, latentDim)
	}
	for _, d := range []int{dimX, dimY} {
		if d < 0 || d >= latentDim {
			return fmt.Errorf("%s: latent dimension %d out of range, expected 0..%d", fn, d, latentDim-1)
		}
	}
	if dimX == dimY {
		return fmt.Errorf("%s: both axes use latent dimension %d, expected two different dimensions", fn, dimX)
	}
	return nil
}

// ManifoldCanvas tiles nx x ny decoded images, in ManifoldPoints order, into one picture
// without padding: image r*nx+c goes to column c and to row r counted from the bottom,
// so the second coordinate grows upwards as on a plot's y axis. Each pixel becomes
// scale x scale pixels (0 means 1).
func ManifoldCanvas(images [][]float32, height, width, nx, ny, scale int) (*Picture, error) {
	const fn = "plot.ManifoldCanvas"
	if err := checkImages(fn, "images", images, height, width); err != nil {
		return nil, err
	}
	if nx < 1 || ny < 1 || len(images) != nx*ny {
		return nil, fmt.Errorf("%s: %d images for a %dx%d grid, expected %d", fn, len(images), nx, ny, nx*ny)
	}
	scale = max(scale, 1)
	tileW, tileH := width*scale, height*scale
	out := newWhite(nx*tileW, ny*tileH)
	for r := range ny {
		for c := range nx {
			drawTile(out, images[r*nx+c], height, width, scale, c*tileW, (ny-1-r)*tileH)
		}
	}
	return &Picture{out}, nil
}

// manifoldTargetWidth is about how many pixels wide the decoded grid is drawn: whole
// multiples of the image size, so digits are not blurred by resampling.
const manifoldTargetWidth = 480

// Manifold draws the decoded images of the grid zx x zy (in ManifoldPoints order, each
// height x width pixels in [0,1]) as one canvas with axes labelled by the latent values.
func Manifold(images [][]float32, height, width int, zx, zy []float64, opts ManifoldOptions) (*Chart, error) {
	const fn = "plot.Manifold"
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
	scale := max(1, (manifoldTargetWidth+nx*width/2)/(nx*width))
	canvas, err := ManifoldCanvas(images, height, width, nx, ny, scale)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fn, err)
	}
	xLabel, yLabel := opts.XLabel, opts.YLabel
	if xLabel == "" {
		xLabel = "z1"
	}
	if yLabel == "" {
		yLabel = "z2"
	}
	p := newPlot(opts.Title, xLabel, yLabel)
	// Data coordinates count tiles: column c spans [c, c+1].
	p.Add(plotter.NewImage(canvas.Gray, 0, 0, float64(nx), float64(ny)))
	p.X.Min, p.X.Max = 0, float64(nx)
	p.Y.Min, p.Y.Max = 0, float64(ny)
	p.X.Tick.Marker = tileTicks(zx)
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
