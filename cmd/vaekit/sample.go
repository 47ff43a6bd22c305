package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/vaekit/vaekit/vaekit/plot"
)

// maxImages bounds the pictures' image counts, so a typo cannot ask for gigabytes.
const maxImages = 10_000

var sampleCmd = &command{
	name:    "sample",
	summary: "decode codes drawn from the prior N(0, I) into a PNG grid",
	usage:   "-dir DIR [-n 64] [-cols 8] [-seed S] [-out FILE.png]",
	doc: `
Draws N codes z ~ N(0, I), decodes them with the model in DIR and writes the images
as a grid (ink black on white). Without -seed the codes come from the model's own
sampling generator (seeded by its seed hyperparameter), as vaekit.Model.Sample in the
notebooks: the same model always gives the same picture.`,
	flags: func(fs *flag.FlagSet) func(e *env) error {
		dir := dirFlag(fs, "the model to sample from")
		n := fs.Int("n", 64, "number of samples")
		seed := &optionalSeed{}
		fs.Var(seed, "seed", "draw the codes from a generator seeded by this `int` (default: the\n"+
			"model's own generator, seeded by its seed hyperparameter)")
		grid := gridFlags(fs, 8)
		out := outFlag(fs, "samples.png")
		return func(e *env) error {
			if *n < 1 || *n > maxImages {
				return usagef("-n=%d: expected a number of samples from 1 to %d", *n, maxImages)
			}
			if err := grid.check(); err != nil {
				return err
			}
			path, err := pngPath(*out, *dir, "samples.png")
			if err != nil {
				return err
			}
			m, err := loadModel(*dir)
			if err != nil {
				return err
			}
			var images [][]float32
			if seed.set {
				images, err = m.Decode(priorCodes(*n, m.Config.LatentDim, seed.value))
			} else {
				images, err = m.Sample(*n)
			}
			if err != nil {
				return err
			}
			picture, err := plot.Grid(images, m.Height, m.Width, grid.options())
			if err != nil {
				return err
			}
			if err := writePNG(path, picture); err != nil {
				return err
			}
			e.printf("wrote %s: %d samples from the prior", path, *n)
			return nil
		}
	},
}

// optionalSeed is -seed: a seed, or unset for the model's own generator.
type optionalSeed struct {
	value uint64
	set   bool
}

func (s *optionalSeed) String() string {
	if s == nil || !s.set {
		return ""
	}
	return strconv.FormatUint(s.value, 10)
}

func (s *optionalSeed) Set(text string) error {
	v, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return fmt.Errorf("expected an integer >= 0")
	}
	s.value, s.set = v, true
	return nil
}

// priorCodes draws n codes of dim values from N(0, I) with a generator seeded by seed.
func priorCodes(n, dim int, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 0x5a3b1e))
	codes := make([][]float32, n)
	for i := range codes {
		codes[i] = make([]float32, dim)
		for j := range codes[i] {
			codes[i][j] = float32(rng.NormFloat64())
		}
	}
	return codes
}

// gridLayout holds the flags that lay out an image grid.
type gridLayout struct {
	cols, padding, scale int
}

func gridFlags(fs *flag.FlagSet, cols int) *gridLayout {
	g := &gridLayout{}
	fs.IntVar(&g.cols, "cols", cols, "images per row (0: a square grid)")
	fs.IntVar(&g.padding, "padding", 2, "pixels of white between images")
	fs.IntVar(&g.scale, "scale", 2, "each pixel becomes a scale x scale square")
	return g
}

func (g *gridLayout) check() error {
	switch {
	case g.cols < 0:
		return usagef("-cols=%d: expected >= 0 (0: a square grid)", g.cols)
	case g.padding < 0 || g.padding > 100:
		return usagef("-padding=%d: expected 0 to 100 pixels", g.padding)
	case g.scale < 1 || g.scale > 16:
		return usagef("-scale=%d: expected 1 to 16", g.scale)
	}
	return nil
}

func (g *gridLayout) options() plot.GridOptions {
	return plot.GridOptions{Cols: g.cols, Padding: g.padding, Scale: g.scale}
}
