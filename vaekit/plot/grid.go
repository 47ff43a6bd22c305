// Package plot turns vaekit's outputs into pictures: plain image.Image values first,
// then thin layers to save them (PNG) and to show them inline in a GoNB notebook.
package plot

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// GridOptions lay out an image grid.
type GridOptions struct {
	Cols    int // Images per row; 0 means ceil(sqrt(n)).
	Padding int // Pixels of background between images (and around the grid).
	Scale   int // Each pixel becomes Scale x Scale screen pixels; 0 means 1.
}

// Grid tiles greyscale images (flat pixel slices of height x width values in [0,1], as
// vaekit returns them) into one picture. Values outside [0,1] are clipped.
func Grid(images [][]float32, height, width int, opts GridOptions) (*image.Gray, error) {
	if len(images) == 0 {
		return nil, fmt.Errorf("plot.Grid: no images")
	}
	if height < 1 || width < 1 {
		return nil, fmt.Errorf("plot.Grid: image size %dx%d, expected positive", height, width)
	}
	for i, img := range images {
		if len(img) != height*width {
			return nil, fmt.Errorf("plot.Grid: image %d has %d pixels, expected %dx%d=%d", i, len(img), height, width, height*width)
		}
	}
	cols := opts.Cols
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(len(images)))))
	}
	scale := max(opts.Scale, 1)
	rows := (len(images) + cols - 1) / cols
	pad := max(opts.Padding, 0)
	cellW, cellH := width*scale+pad, height*scale+pad
	out := image.NewGray(image.Rect(0, 0, cols*cellW+pad, rows*cellH+pad))
	for i := range out.Pix {
		out.Pix[i] = 255 // White background and padding, so dark-on-light digits stand out.
	}
	for i, img := range images {
		x0, y0 := pad+(i%cols)*cellW, pad+(i/cols)*cellH
		for y := range height * scale {
			for x := range width * scale {
				v := min(max(img[(y/scale)*width+x/scale], 0), 1)
				out.SetGray(x0+x, y0+y, color.Gray{Y: uint8(math.Round(float64(255 * (1 - v))))})
			}
		}
	}
	return out, nil
}
