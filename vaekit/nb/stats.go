package nb

import (
	"fmt"
	"math"
)

// LineSlope fits the straight line y = a + b·x to the points (x[i], y[i]) by least squares
// and returns its slope b and the slope's standard error, the regression's
// sqrt(s² / Σ(x - x̄)²) with s² = Σ residual² / (n - 2): the points' scatter about the line
// says how well their trend is known. A notebook claims a curve still falls when its
// slope is below minus two standard errors, which a flat curve's noise alone reaches
// only a few times in a hundred.
//
// With fewer than three points, or all x equal, the standard error is undefined and both
// results are NaN (a claim on them then does not hold). It panics when x and y differ in
// length.
func LineSlope(x, y []float64) (slope, stdErr float64) {
	n := len(x)
	if len(y) != n {
		panic(fmt.Sprintf("nb.LineSlope: %d x values but %d y values", n, len(y)))
	}
	if n < 3 {
		return math.NaN(), math.NaN()
	}
	var meanX, meanY float64
	for i := range x {
		meanX += x[i]
		meanY += y[i]
	}
	meanX /= float64(n)
	meanY /= float64(n)
	var sxx, sxy float64
	for i := range x {
		dx := x[i] - meanX
		sxx += dx * dx
		sxy += dx * (y[i] - meanY)
	}
	if sxx == 0 {
		return math.NaN(), math.NaN()
	}
	slope = sxy / sxx
	var ssr float64 // The residuals' sum of squares, about the fitted line.
	for i := range x {
		r := y[i] - meanY - slope*(x[i]-meanX)
		ssr += r * r
	}
	return slope, math.Sqrt(ssr / float64(n-2) / sxx)
}
