package main

import (
	"flag"
	"fmt"
	"slices"
	"strconv"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/plot"
)

// maxImages bounds the pictures' image counts, so a typo cannot ask for gigabytes.
const maxImages = 10_000

var sampleCmd = &command{
	name:    "sample",
	summary: "decode codes drawn from the prior N(0, I) into a PNG grid",
	usage:   "-dir DIR [-n 64] [-cols 8] [-seed S] [-label L] [-out FILE.png]",
	doc: `
Draws N codes z ~ N(0, I), decodes them with the model in DIR and writes the images
as a grid (ink black on white). The codes come from a generator seeded by -seed, or by
the model's seed hyperparameter: the same model and seed always give the same picture.
A conditional model (condition=label) needs -label: the class to draw, e.g. -label 3;
-label all draws N samples of every class, one row per class.`,
	flags: func(fs *flag.FlagSet) func(e *env) error {
		dir := dirFlag(fs, "the model to sample from")
		n := fs.Int("n", 64, "number of samples")
		seed := &optionalSeed{}
		fs.Var(seed, "seed", "draw the codes from a generator seeded by this `int` (default: the\n"+
			"model's seed hyperparameter)")
		label := fs.String("label", "", "conditional models: the class `L` of the samples (0, 1, ...), or \"all\" for one row per class")
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
			m, err := loadModel(*dir, e.stderr)
			if err != nil {
				return err
			}
			codeSeed := m.Config.Seed
			if seed.set {
				codeSeed = seed.value
			}
			labels, cols, err := sampleLabels(*label, *n, m.Config)
			if err != nil {
				return err
			}
			if err := e.checkPicture(m.Config, sampleSize(*n, *label, len(labels), cols, *grid, m.Shape())); err != nil {
				return err
			}
			z, err := m.PriorCodes(*n, codeSeed)
			if err != nil {
				return err
			}
			if len(labels) > 1 { // Every class: the same codes in each row.
				z = slices.Repeat(z, m.Config.Classes)
			}
			images, err := m.Decode(z, labels...)
			if err != nil {
				return err
			}
			options := grid.options()
			if cols > 0 {
				options.Cols = cols
			}
			picture, err := plot.Grid(images, options)
			if err != nil {
				return err
			}
			if err := e.writePNG(path, picture); err != nil {
				return err
			}
			what := ""
			switch {
			case len(labels) == 1:
				what = fmt.Sprintf(" of class %d", labels[0])
			case len(labels) > 1:
				what = fmt.Sprintf(" of each of %d classes", m.Config.Classes)
			}
			e.printf("wrote %s: %d samples from the prior%s", path, *n, what)
			return nil
		}
	},
}

// sampleLabels turns -label into the labels to decode n codes with: none for an
// unconditional model, one for a class, or, for "all", n per class (and then n columns).
func sampleLabels(flagValue string, n int, cfg vaekit.Config) (labels []uint8, cols int, err error) {
	if !cfg.Conditional() {
		if flagValue != "" {
			return nil, 0, usagef("-label=%s: the model is not conditional (condition=%s)", flagValue, cfg.Condition)
		}
		return nil, 0, nil
	}
	switch flagValue {
	case "":
		return nil, 0, usagef("the model is conditional (condition=label): give -label with a class from 0 to %d, or all", cfg.Classes-1)
	case "all":
		for c := range cfg.Classes {
			labels = append(labels, slices.Repeat([]uint8{uint8(c)}, n)...)
		}
		return labels, n, nil
	}
	c, err := strconv.Atoi(flagValue)
	if err != nil || c < 0 || c >= cfg.Classes {
		return nil, 0, usagef("-label=%s: expected a class from 0 to %d, or all", flagValue, cfg.Classes-1)
	}
	return []uint8{uint8(c)}, 0, nil
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
