package main

import (
	"fmt"
	"math"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
)

// The pictures' size, checked before any image is decoded: the image counts are capped
// (maxImages), but -label all, -scale and -padding multiply them (sample -n 10000 -label
// all -scale 16 -padding 100 asked for a PNG 5 million pixels wide).

// maxPicturePixels caps a picture: 100 megapixels, 10,000 x 10,000.
const maxPicturePixels = 100_000_000

// The layout constants of package plot that a picture's size depends on.
const (
	rowNamesWidth   = 8*7 + 2 // plot.Pairs' row names: up to 8 characters of 7 pixels.
	pairsBandGap    = 6       // plot.Pairs' gap between bands.
	manifoldWidth   = 480     // plot.Manifold's target width for its tiles.
	manifoldMargins = 100     // plot.Manifold's axes and title, at 96 dpi.
)

// pictureSize is a picture a command is about to draw.
type pictureSize struct {
	flags         string  // The flags that size it, as a message names them.
	width, height float64 // Its pixels.
	images        float64 // The decoded images (and originals) it is drawn from.
}

// gridSize is plot.Grid's picture of n images (cols: the columns, 0 for a square grid).
func gridSize(flags string, n, cols int, g gridLayout, shape data.Shape) pictureSize {
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	rows := (n + cols - 1) / cols
	w, h := float64(shape.Width*g.scale+g.padding), float64(shape.Height*g.scale+g.padding)
	return pictureSize{flags: flags, width: float64(cols)*w + float64(g.padding), height: float64(rows)*h + float64(g.padding), images: float64(n)}
}

// sampleSize is sample's picture: n images, or n of each class with -label all.
func sampleSize(n int, label string, labels, cols int, g gridLayout, shape data.Shape) pictureSize {
	flags := fmt.Sprintf("-n=%d -cols=%d -scale=%d -padding=%d", n, g.cols, g.scale, g.padding)
	images := n
	if labels > 1 {
		flags = fmt.Sprintf("-n=%d -label=%s -scale=%d -padding=%d", n, label, g.scale, g.padding)
		images = labels
	}
	if cols <= 0 {
		cols = g.cols
	}
	return gridSize(flags, images, cols, g, shape)
}

// pairsSize is reconstruct's picture (plot.Pairs): n originals above their
// reconstructions.
func pairsSize(n int, g gridLayout, names bool, shape data.Shape) pictureSize {
	cols := g.cols
	if cols <= 0 {
		cols = min(n, 10)
	}
	bands := float64((n + cols - 1) / cols)
	width := float64(g.padding + cols*(shape.Width*g.scale+g.padding))
	if names {
		width += rowNamesWidth + float64(g.padding)
	}
	height := float64(g.padding) + bands*float64(2*shape.Height*g.scale+2*g.padding) + (bands-1)*pairsBandGap
	flags := fmt.Sprintf("-n=%d -cols=%d -scale=%d -padding=%d", n, g.cols, g.scale, g.padding)
	return pictureSize{flags: flags, width: width, height: height, images: 2 * float64(n)}
}

// manifoldSize is manifold's picture of n x n tiles: bare at scale, or with axes
// (plot.Manifold's scale, near manifoldWidth pixels, and margins).
func manifoldSize(n int, axes bool, scale int, shape data.Shape) pictureSize {
	flags := fmt.Sprintf("-n=%d -axes=false -scale=%d", n, scale)
	margins := 0.0
	if axes {
		scale = max(1, (manifoldWidth+n*shape.Width/2)/(n*shape.Width))
		flags, margins = fmt.Sprintf("-n=%d", n), manifoldMargins
	}
	return pictureSize{flags: flags, width: float64(n*shape.Width*scale) + margins, height: float64(n*shape.Height*scale) + margins, images: float64(n * n)}
}

// checkPicture refuses, as a usage error, a picture above maxPicturePixels, or one whose
// canvas, decoded images and model are estimated to need more memory than the limit.
func (e *env) checkPicture(cfg vaekit.Config, p pictureSize) error {
	pixels := p.width * p.height
	if pixels > maxPicturePixels {
		return usagef("%s: the picture would be %.0fx%.0f pixels (%.0f megapixels), more than the %d megapixels a picture may have: expected fewer images, or a smaller scale or padding",
			p.flags, p.width, p.height, pixels/1e6, maxPicturePixels/1_000_000)
	}
	canvas := pixels
	if cfg.Shape().Channels > 1 {
		canvas *= 4 // RGBA.
	}
	// The canvas and its PNG; the decoded float32 images, as the model returns them and as
	// a data set; and the model decoding them.
	need := 2*canvas + 2*p.images*float64(cfg.Shape().Size())*4 + vaekit.EstimateMemory(cfg, vaekit.MemoryUse{}).Total()
	if limit := e.memoryLimit.get(); need > limit.Bytes {
		return usagef("%s: the picture and its images need about %s, more than the memory limit of %s (%s); -memory_limit raises the limit",
			p.flags, vaekit.ByteSize(need), vaekit.ByteSize(limit.Bytes), limit.Source)
	}
	return nil
}
