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
package plot

import (
	"fmt"
	"image"
	"image/color"
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
}

// Grid tiles greyscale images into one picture, ink black on white. Values outside [0,1]
// are clipped.
func Grid(set *data.Set, opts GridOptions) (*Picture, error) {
	images, height, width, err := setRows("plot.Grid", "images", set)
	if err != nil {
		return nil, err
	}
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
	out := newWhite(cols*cellW+pad, rows*cellH+pad)
	for i, img := range images {
		x0, y0 := pad+(i%cols)*cellW, pad+(i/cols)*cellH
		drawTile(out, img, height, width, scale, x0, y0)
		if opts.Labels != nil {
			caption := image.Rect(x0, y0+height*scale, x0+width*scale, y0+height*scale+captionH)
			drawCaption(out, opts.Labels[i], caption)
		}
	}
	return &Picture{out}, nil
}

// newWhite returns a white greyscale image: white background and padding, so
// dark-on-light digits stand out.
func newWhite(w, h int) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, w, h))
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	return out
}

// drawTile draws one image with its top-left corner at (x0, y0), each pixel scaled to
// scale x scale, value v as grey 255*(1-v).
func drawTile(out *image.Gray, img []float32, height, width, scale, x0, y0 int) {
	for y := range height * scale {
		for x := range width * scale {
			v := min(max(img[(y/scale)*width+x/scale], 0), 1)
			out.SetGray(x0+x, y0+y, color.Gray{Y: uint8(math.Round(float64(255 * (1 - v))))})
		}
	}
}
