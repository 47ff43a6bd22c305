package main

import (
	"flag"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/plot"
)

var reconstructCmd = &command{
	name:    "reconstruct",
	summary: "show test images above their reconstructions in a PNG",
	usage:   "-dir DIR [-n 10] [-first 0] [-split test|train] [-out FILE.png]",
	doc: `
Encodes N images of the data split (from the -first one) to their posterior means,
decodes them, and writes each original above its reconstruction, -cols pairs per band.
It also prints the reconstructions' mean squared pixel error.`,
	flags: func(fs *flag.FlagSet) func(e *env) error {
		dir := dirFlag(fs, "the model to use")
		dataDir := dataDirFlag(fs)
		n := fs.Int("n", 10, "number of images")
		first := fs.Int("first", 0, "index of the first image in the split")
		split := fs.String("split", "test", "data split: test | train")
		cols := fs.Int("cols", 0, "pairs per band (0: up to 10)")
		padding := fs.Int("padding", 2, "pixels of white between images")
		scale := fs.Int("scale", 2, "each pixel becomes a scale x scale square")
		names := fs.Bool("names", true, `write "original" and "recon" left of the rows`)
		out := outFlag(fs, "reconstruct.png")
		return func(e *env) error {
			grid := gridLayout{cols: *cols, padding: *padding, scale: *scale}
			switch {
			case *n < 1 || *n > maxImages:
				return usagef("-n=%d: expected a number of images from 1 to %d", *n, maxImages)
			case *first < 0:
				return usagef("-first=%d: expected an image index >= 0", *first)
			case *split != "test" && *split != "train":
				return usagef("-split=%q: expected test or train", *split)
			}
			if err := grid.check(); err != nil {
				return err
			}
			path, err := pngPath(*out, *dir, "reconstruct.png")
			if err != nil {
				return err
			}
			m, err := loadModel(*dir, e.stderr)
			if err != nil {
				return err
			}
			if err := e.checkPicture(m.Config, pairsSize(*n, grid, *names, m.Shape())); err != nil {
				return err
			}
			set, err := loadSplit(m, *split, *dataDir)
			if err != nil {
				return err
			}
			if *first+*n > set.N {
				return usagef("-first=%d -n=%d: the %s split has %d images", *first, *n, *split, set.N)
			}
			indices := make([]int, *n)
			for i := range indices {
				indices[i] = *first + i
			}
			originals, err := set.Select(indices...)
			if err != nil {
				return err
			}
			recons, err := m.Reconstruct(originals)
			if err != nil {
				return err
			}
			picture, err := plot.Pairs(originals, recons, plot.PairsOptions{
				Cols: grid.cols, Padding: grid.padding, Scale: grid.scale, NoRowNames: !*names,
			})
			if err != nil {
				return err
			}
			if err := e.writePNG(path, picture); err != nil {
				return err
			}
			mse, err := vaekit.ReconstructionMSE(originals, recons)
			if err != nil {
				return err
			}
			e.printf("wrote %s: %s images %d to %d and their reconstructions, mean squared pixel error %.4f",
				path, *split, *first, *first+*n-1, mse)
			return nil
		}
	},
}
