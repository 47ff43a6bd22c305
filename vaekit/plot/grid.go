// Package plot turns vaekit's outputs into pictures that need nothing from the
// network: image grids, reconstructions, the latent manifold and scatter, training
// curves, KL and posterior spread, beta sweeps, a live training plot and a latent
// explorer.
//
// Every picture is a plain Go value first (a Figure: *Picture for pixels, *Chart for
// gonum/plot charts), so tests check pixels and bytes. Saving (PNG, and SVG for charts)
// and showing inline in a GoNB notebook are thin layers on top; outside GoNB, Display
// does nothing.
//
// Images come as a *data.Set (pixels in [0,1], 1 is ink, drawn black on white, with their
// size), as vaekit's Model returns them; latent codes are [][]float32, labels integers.
// GridOptions.WhiteOnBlack and ManifoldOptions.WhiteOnBlack draw greyscale images the
// other way round, a value of 1 white on black, as matplotlib's imshow(cmap="gray") shows
// them (the tutorials' documents draw their pictures so).
package plot

import (
	"fmt"
	"image"
	"image/draw"
	"math"

	"github.com/vaekit/vaekit/vaekit/data"
)

// GridOptions lay out an image grid.
type GridOptions struct {
	Cols    int // Images per row; 0 means ceil(sqrt(n)).
	Padding int // Pixels of background between images (and around the grid).
	Scale   int // Each pixel becomes Scale x Scale screen pixels; 0 means 1.

	// Labels, when not nil, holds one caption per image (e.g. its class), written under
	// it; an empty string leaves that caption blank. Captions longer than the image is
	// wide are cut.
	Labels []string

	// WhiteOnBlack draws greyscale images as their pixel values, 1 white and 0 black
	// (matplotlib's imshow with cmap="gray"), instead of ink black on white. The padding
	// and captions stay white with black text, so the tiles stand apart. Colour images
	// are drawn in their colours either way.
	WhiteOnBlack bool
}

// Grid tiles images into one picture: greyscale ones ink black on white (or white on
// black, with opts.WhiteOnBlack), colour ones in their colours, on white. Values outside
// [0,1] are clipped.
func Grid(set *data.Set, opts GridOptions) (*Picture, error) {
	images, shape, err := setRows("plot.Grid", "images", set)
	if err != nil {
		return nil, err
	}
	height, width := shape.Height, shape.Width
	if opts.Labels != nil && len(opts.Labels) != len(images) {
		return nil, fmt.Errorf("plot.Grid: %d labels for %d images, expected one label per image", len(opts.Labels), len(images))
	}
	cols := opts.Cols
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(len(images)))))
	}
	scale := max(opts.Scale, 1)
	rows := (len(images) + cols - 1) / cols
	pad := max(opts.Padding, 0)
	captionH := 0
	if opts.Labels != nil {
		captionH = captionHeight
	}
	cellW, cellH := width*scale+pad, height*scale+captionH+pad
	out := newWhite(cols*cellW+pad, rows*cellH+pad, shape.Channels)
	for i, img := range images {
		x0, y0 := pad+(i%cols)*cellW, pad+(i/cols)*cellH
		drawTile(out, img, shape, scale, x0, y0, opts.WhiteOnBlack)
		if opts.Labels != nil {
			caption := image.Rect(x0, y0+height*scale, x0+width*scale, y0+height*scale+captionH)
			drawCaption(out, opts.Labels[i], caption)
		}
	}
	return newPicture(out), nil
}

// newPicture wraps a canvas made by newWhite.
func newPicture(canvas draw.Image) *Picture {
	if g, ok := canvas.(*image.Gray); ok {
		return &Picture{Gray: g}
	}
	return &Picture{rgba: canvas.(*image.RGBA)}
}

// newWhite returns a white canvas, greyscale for one channel and RGB for more: white
// background and padding, so dark-on-light digits stand out.
func newWhite(w, h, channels int) draw.Image {
	var out draw.Image
	var pix []uint8
	if channels == 1 {
		g := image.NewGray(image.Rect(0, 0, w, h))
		out, pix = g, g.Pix
	} else {
		c := image.NewRGBA(image.Rect(0, 0, w, h))
		out, pix = c, c.Pix
	}
	for i := range pix {
		pix[i] = 255
	}
	return out
}

// drawTile draws one image with its top-left corner at (x0, y0), each pixel scaled to
// scale x scale: a greyscale value v as grey 255*(1-v) (ink black on white, as digits are
// drawn) or, with whiteOnBlack, as grey 255*v; colour values (r, g, b) as they are. out
// is a canvas of newWhite (grey for one channel, RGBA for more); the explorer redraws
// with it at every slider move, so each pixel's bytes are computed once and copied into
// the canvas's Pix.
func drawTile(out draw.Image, img []float32, shape data.Shape, scale, x0, y0 int, whiteOnBlack bool) {
	byteOf := func(v float32) uint8 { return uint8(math.Round(float64(255 * min(max(v, 0), 1)))) }
	var pix []uint8
	var stride, bytesPer, origin int
	switch canvas := out.(type) {
	case *image.Gray:
		pix, stride, bytesPer, origin = canvas.Pix, canvas.Stride, 1, canvas.PixOffset(x0, y0)
	case *image.RGBA:
		pix, stride, bytesPer, origin = canvas.Pix, canvas.Stride, 4, canvas.PixOffset(x0, y0)
	default:
		panic(fmt.Sprintf("plot: drawTile on a %T canvas, expected newWhite's", out))
	}
	c := shape.Channels
	var px [4]uint8
	for sy := range shape.Height {
		for sx := range shape.Width {
			v := img[(sy*shape.Width+sx)*c:]
			switch {
			case bytesPer == 1 && whiteOnBlack:
				px[0] = byteOf(v[0])
			case bytesPer == 1:
				px[0] = byteOf(1 - v[0])
			default:
				px = [4]uint8{byteOf(v[0]), byteOf(v[1]), byteOf(v[2]), 255}
			}
			for dy := range scale {
				row := origin + (sy*scale+dy)*stride + sx*scale*bytesPer
				for dx := range scale {
					copy(pix[row+dx*bytesPer:], px[:bytesPer])
				}
			}
		}
	}
}
