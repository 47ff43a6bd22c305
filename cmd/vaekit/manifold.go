package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/plot"
)

var manifoldCmd = &command{
	name:    "manifold",
	summary: "decode a grid over two latent dimensions into a PNG (the VAE paper's figure 4)",
	usage:   "-dir DIR [-n 20] [-grid linear|quantile] [-range 3] [-dims 0,1] [-label L] [-out FILE.png]",
	doc: `
Decodes an N x N grid of codes over two latent dimensions (-dims; the other dimensions
stay at 0, the prior's mean) and writes the images where their codes lie, the axes
labelled with the latent values: how the decoder's output changes across latent space.
The grid is linear over [-range, range], or, with -grid quantile, the standard normal
quantiles of probabilities from -quantile to 1 - quantile (equal prior mass per step, as
in the Keras VAE tutorial). -axes=false writes the bare tiles, N*28*scale pixels square.`,
	flags: func(fs *flag.FlagSet) func(e *env) error {
		dir := dirFlag(fs, "the model to draw (latent_dim >= 2)")
		n := fs.Int("n", 20, "grid points per axis (>= 2)")
		grid := fs.String("grid", "linear", "grid spacing: linear | quantile")
		lim := fs.Float64("range", 3, "linear grid: values from -range to range")
		quantile := fs.Float64("quantile", 0.05, "quantile grid: probabilities from quantile to 1 - quantile")
		dims := &dimsFlag{0, 1}
		fs.Var(dims, "dims", "the latent dimensions on the x and y axes, `X,Y` (0-based)")
		axes := fs.Bool("axes", true, "draw axes labelled with the latent values; false: only the tiles")
		scale := fs.Int("scale", 1, "-axes=false: each pixel becomes a scale x scale square")
		label := fs.String("label", "", "conditional models: the class `L` to decode the grid with")
		out := outFlag(fs, "manifold.png")
		return func(e *env) error {
			if *n < 2 || *n > 100 {
				return usagef("-n=%d: expected 2 to 100 grid points per axis", *n)
			}
			if *scale < 1 || *scale > 16 {
				return usagef("-scale=%d: expected 1 to 16", *scale)
			}
			var values []float32
			var err error
			switch *grid {
			case "linear":
				if !(*lim > 0 && *lim <= maxRange) {
					return usagef("-range=%g: expected a number > 0 and at most %d", *lim, maxRange)
				}
				values, err = vaekit.LinearGrid(*n, -*lim, *lim)
			case "quantile":
				if !(*quantile > 0 && *quantile < 0.5) {
					return usagef("-quantile=%g: expected a probability between 0 and 0.5", *quantile)
				}
				values, err = vaekit.QuantileGrid(*n, *quantile, 1-*quantile)
			default:
				return usagef("-grid=%q: expected linear or quantile", *grid)
			}
			if err != nil {
				return usagef("%v", err)
			}
			path, err := pngPath(*out, *dir, "manifold.png")
			if err != nil {
				return err
			}
			m, err := loadModel(*dir, e.stderr)
			if err != nil {
				return err
			}
			latent := m.Config.LatentDim
			if latent < 2 {
				return usagef("the model in %s has latent_dim=%d: a manifold needs 2 latent dimensions or more", *dir, latent)
			}
			for _, d := range dims {
				if d >= latent {
					return usagef("-dims=%s: latent dimension %d does not exist, expected 0 to %d (latent_dim=%d)", dims, d, latent-1, latent)
				}
			}
			labels, err := manifoldLabels(*label, m.Config)
			if err != nil {
				return err
			}
			if err := e.checkPicture(m.Config, manifoldSize(*n, *axes, *scale, m.Shape())); err != nil {
				return err
			}
			man, err := m.Manifold(nil, *dims, values, values, labels...)
			if err != nil {
				return err
			}
			var figure interface{ PNG() ([]byte, error) }
			if *axes {
				opts := plot.ManifoldOptions{XLabel: fmt.Sprintf("z%d", dims[0]), YLabel: fmt.Sprintf("z%d", dims[1])}
				if latent > 2 {
					opts.Title = fmt.Sprintf("other %d latent dimensions at 0", latent-2)
				}
				figure, err = plot.Manifold(man, opts)
			} else {
				figure, err = plot.ManifoldTiles(man, plot.ManifoldOptions{Scale: *scale})
			}
			if err != nil {
				return err
			}
			if err := e.writePNG(path, figure); err != nil {
				return err
			}
			e.printf("wrote %s: %dx%d %s grid over z%d (x) and z%d (y), from %.3g to %.3g", path, *n, *n, *grid, dims[0], dims[1], values[0], values[len(values)-1])
			return nil
		}
	},
}

// dimsFlag is -dims: two different latent dimensions, e.g. "0,1".
type dimsFlag [2]int

func (d *dimsFlag) String() string { return fmt.Sprintf("%d,%d", d[0], d[1]) }

func (d *dimsFlag) Set(value string) error {
	parts := strings.Split(value, ",")
	if len(parts) != 2 {
		return fmt.Errorf("expected two latent dimensions, comma separated, e.g. 0,1")
	}
	var dims dimsFlag
	for i, part := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || v < 0 {
			return fmt.Errorf("%q is not a latent dimension: expected an integer >= 0", part)
		}
		dims[i] = v
	}
	if dims[0] == dims[1] {
		return fmt.Errorf("both axes on dimension %d: expected two different dimensions", dims[0])
	}
	*d = dims
	return nil
}
