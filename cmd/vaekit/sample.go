package main

import (
	"flag"
	"fmt"
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
as a grid (ink black on white). The codes come from a generator seeded by -seed, or by
the model's seed hyperparameter: the same model and seed always give the same picture.`,
	flags: func(fs *flag.FlagSet) func(e *env) error {
		dir := dirFlag(fs, "the model to sample from")
		n := fs.Int("n", 64, "number of samples")
		seed := &optionalSeed{}
		fs.Var(seed, "seed", "draw the codes from a generator seeded by this `int` (default: the\n"+
			"model's seed hyperparameter)")
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
			codeSeed := uint64(m.Config.Seed)
			if seed.set {
				codeSeed = seed.value
			}
			images, err := m.Sample(*n, codeSeed)
			if err != nil {
				return err
			}
			picture, err := plot.Grid(images, grid.options())
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

// optionalSeed is -seed: a seed, or unset for the model's seed hyperparameter.
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
