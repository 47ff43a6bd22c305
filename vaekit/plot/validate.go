package plot

import (
	"fmt"
	"math"

	"github.com/vaekit/vaekit/vaekit/data"
)

// The checks below turn bad input into errors that name the argument, the offending
// element and what was expected, so a notebook user sees at once what to fix.

// checkImages checks that images holds at least one image of height x width pixels.
func checkImages(fn, name string, images [][]float32, height, width int) error {
	if height < 1 || width < 1 {
		return fmt.Errorf("%s: image size %dx%d, expected positive height and width", fn, height, width)
	}
	if len(images) == 0 {
		return fmt.Errorf("%s: %s is empty, expected at least one image", fn, name)
	}
	for i, img := range images {
		if len(img) != height*width {
			return fmt.Errorf("%s: %s[%d] has %d pixels, expected %dx%d=%d", fn, name, i, len(img), height, width, height*width)
		}
	}
	return nil
}

// setRows checks that set holds at least one image of one or three channels and returns
// its images as one slice of values each (views, not copies), with their shape.
func setRows(fn, name string, set *data.Set) (rows [][]float32, shape data.Shape, err error) {
	if set == nil {
		return nil, shape, fmt.Errorf("%s: %s is nil, expected a set of images", fn, name)
	}
	shape = set.Shape()
	if shape.Channels != 1 && shape.Channels != 3 {
		return nil, shape, fmt.Errorf("%s: %s have %d channels, expected 1 (grey) or 3 (RGB)", fn, name, shape.Channels)
	}
	if len(set.Images) != set.N*shape.Size() {
		return nil, shape, fmt.Errorf("%s: %s holds %d pixel values, expected %d images of %s", fn, name, len(set.Images), set.N, shape)
	}
	rows = make([][]float32, set.N)
	for i := range rows {
		rows[i] = set.Image(i)
	}
	if err := checkImages(fn, name, rows, shape.Height, shape.Width*shape.Channels); err != nil {
		return nil, shape, err
	}
	return rows, shape, nil
}

// checkFinite checks that no value is NaN or infinite.
func checkFinite(fn, name string, values []float64) error {
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: %s[%d] is %v, expected a finite number", fn, name, i, v)
		}
	}
	return nil
}

// checkFiniteValue checks one named value.
func checkFiniteValue(fn, name string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s: %s is %v, expected a finite number", fn, name, v)
	}
	return nil
}

// checkDims checks that dimX and dimY are two different coordinates of a latent of
// size latentDim.
func checkDims(fn string, latentDim, dimX, dimY int) error {
	if latentDim < 2 {
		return fmt.Errorf("%s: latent size %d, expected at least 2 dimensions", fn, latentDim)
	}
	for _, d := range []int{dimX, dimY} {
		if d < 0 || d >= latentDim {
			return fmt.Errorf("%s: latent dimension %d out of range, expected 0..%d", fn, d, latentDim-1)
		}
	}
	if dimX == dimY {
		return fmt.Errorf("%s: both axes use latent dimension %d, expected two different dimensions", fn, dimX)
	}
	return nil
}
