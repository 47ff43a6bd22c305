package plot

import (
	"fmt"
	"image"

	"github.com/vaekit/vaekit/vaekit/data"
)

// PairsOptions lay out originals beside their reconstructions.
type PairsOptions struct {
	Cols    int // Pairs per band; 0 means min(n, 10).
	Padding int // Pixels of background between images and around the picture.
	Scale   int // Each pixel becomes Scale x Scale screen pixels; 0 means 1.

	// RowNames are written left of the two rows of every band; empty strings mean
	// "original" and "recon". NoRowNames leaves the column out.
	RowNames   [2]string
	NoRowNames bool
}

// pairsBandGap is the extra space between bands, so each original-over-reconstruction
// column reads as one unit.
const pairsBandGap = 6

// Pairs shows each original directly above its reconstruction, Cols pairs per band and
// as many bands as needed, so a reader compares the two at a glance: image i of
// reconstructions under image i of originals.
func Pairs(originalSet, reconstructionSet *data.Set, opts PairsOptions) (*Picture, error) {
	const fn = "plot.Pairs"
	originals, shape, err := setRows(fn, "originals", originalSet)
	if err != nil {
		return nil, err
	}
	reconstructions, reconShape, err := setRows(fn, "reconstructions", reconstructionSet)
	if err != nil {
		return nil, err
	}
	if reconShape != shape {
		return nil, fmt.Errorf("%s: originals are %s, reconstructions %s: expected the same shape", fn, shape, reconShape)
	}
	height, width := shape.Height, shape.Width
	if len(originals) != len(reconstructions) {
		return nil, fmt.Errorf("%s: %d originals but %d reconstructions, expected one reconstruction per original",
			fn, len(originals), len(reconstructions))
	}
	n := len(originals)
	cols := opts.Cols
	if cols <= 0 {
		cols = min(n, 10)
	}
	scale := max(opts.Scale, 1)
	pad := max(opts.Padding, 0)
	names := opts.RowNames
	if names[0] == "" {
		names[0] = "original"
	}
	if names[1] == "" {
		names[1] = "recon"
	}
	nameW := 0
	if !opts.NoRowNames {
		nameW = captionCharWidth*max(len([]rune(names[0])), len([]rune(names[1]))) + pad
	}
	tileW, tileH := width*scale, height*scale
	bands := (n + cols - 1) / cols
	bandH := 2*tileH + pad // Original row, padding, reconstruction row.
	out := newWhite(nameW+pad+cols*(tileW+pad), pad+bands*(bandH+pad)+(bands-1)*pairsBandGap, shape.Channels)
	for b := range bands {
		y0 := pad + b*(bandH+pad+pairsBandGap)
		if !opts.NoRowNames {
			drawCaption(out, names[0], image.Rect(pad, y0, nameW, y0+tileH))
			drawCaption(out, names[1], image.Rect(pad, y0+tileH+pad, nameW, y0+2*tileH+pad))
		}
		for c := range cols {
			i := b*cols + c
			if i >= n {
				break
			}
			x0 := nameW + pad + c*(tileW+pad)
			drawTile(out, originals[i], shape, scale, x0, y0, false)
			drawTile(out, reconstructions[i], shape, scale, x0, y0+tileH+pad, false)
		}
	}
	return newPicture(out), nil
}
