package plot

import (
	"fmt"
	"math"
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
