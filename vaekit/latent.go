package vaekit

import (
	"fmt"
	"math"
	"slices"
)

// LinearGrid returns n evenly spaced values from lo to hi, both included: the axis of the
// classic manifold picture over [-3, 3].
func LinearGrid(n int, lo, hi float64) ([]float64, error) {
	if n < 2 || !(hi > lo) {
		return nil, fmt.Errorf("vaekit: LinearGrid(%d, %g, %g): expected n >= 2 and lo < hi", n, lo, hi)
	}
	values := make([]float64, n)
	for i := range values {
		values[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return values, nil
}

// QuantileGrid returns the standard normal quantiles of n evenly spaced probabilities from
// pLo to pHi (the Keras tutorial uses 0.05..0.95): equal steps in probability, so the
// grid covers the prior's mass evenly instead of over-sampling its tails.
func QuantileGrid(n int, pLo, pHi float64) ([]float64, error) {
	if n < 2 || !(0 < pLo && pLo < pHi && pHi < 1) {
		return nil, fmt.Errorf("vaekit: QuantileGrid(%d, %g, %g): expected n >= 2 and 0 < pLo < pHi < 1", n, pLo, pHi)
	}
	probs, err := LinearGrid(n, pLo, pHi)
	if err != nil {
		return nil, err
	}
	for i, p := range probs {
		probs[i] = NormalQuantile(p)
	}
	return probs, nil
}

// NormalQuantile is the inverse of the standard normal CDF: sqrt(2) * erfinv(2p - 1).
func NormalQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// Manifold is a picture of what the decoder does over a plane of latent space: images
// decoded on a grid of two latent dimensions, the others held at a base code.
type Manifold struct {
	DimX, DimY       int         // The latent dimensions varied along x (columns) and y (rows).
	XValues, YValues []float64   // Grid values, increasing: x left to right, y bottom to top.
	Images           [][]float32 // Images[r*len(XValues)+c] is decoded at (XValues[c], YValues[r]): plot.Manifold's order.
	Height, Width    int         // Size of each image.
}

// Manifold decodes the grid xValues x yValues over latent dimensions dims[0] (x) and
// dims[1] (y). The other dimensions are held at base (nil: the prior's mean, 0). For a
// 2-D latent, dims is {0, 1}.
func (m *Model) Manifold(xValues, yValues []float64, dims [2]int, base []float32) (*Manifold, error) {
	if len(xValues) == 0 || len(yValues) == 0 {
		return nil, fmt.Errorf("vaekit: Manifold: expected grid values on both axes, got %d and %d", len(xValues), len(yValues))
	}
	if err := m.checkDims("Manifold", dims[:]...); err != nil {
		return nil, err
	}
	if dims[0] == dims[1] {
		return nil, fmt.Errorf("vaekit: Manifold: dims %v: expected two different latent dimensions", dims)
	}
	start, err := m.baseCode("Manifold", base)
	if err != nil {
		return nil, err
	}
	var codes [][]float32
	for _, y := range yValues {
		for _, x := range xValues {
			z := slices.Clone(start)
			z[dims[0]], z[dims[1]] = float32(x), float32(y)
			codes = append(codes, z)
		}
	}
	images, err := m.Decode(codes)
	if err != nil {
		return nil, err
	}
	return &Manifold{DimX: dims[0], DimY: dims[1], XValues: slices.Clone(xValues), YValues: slices.Clone(yValues),
		Images: images, Height: m.Height, Width: m.Width}, nil
}

// TraversalCodes returns one code per value: base with dimension dim set to that value.
func TraversalCodes(base []float32, dim int, values []float64) [][]float32 {
	codes := make([][]float32, len(values))
	for i, v := range values {
		codes[i] = slices.Clone(base)
		codes[i][dim] = float32(v)
	}
	return codes
}

// Traverse decodes base with latent dimension dim swept over values, the others fixed:
// what one coordinate of z controls.
func (m *Model) Traverse(base []float32, dim int, values []float64) ([][]float32, error) {
	if err := m.checkDims("Traverse", dim); err != nil {
		return nil, err
	}
	start, err := m.baseCode("Traverse", base)
	if err != nil {
		return nil, err
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("vaekit: Traverse: expected at least one value")
	}
	return m.Decode(TraversalCodes(start, dim, values))
}

// Lerp returns steps codes on the straight line from a to b, both ends included.
func Lerp(a, b []float32, steps int) ([][]float32, error) {
	return interpolate(a, b, steps, func(t float64) (float64, float64) { return 1 - t, t })
}

// Slerp returns steps codes on the great-circle arc from a to b (spherical linear
// interpolation, Shoemake 1985; White 2016 argues for it in latent spaces): under a
// Gaussian prior most mass lies near a sphere, and the straight line between two codes
// passes through the low-norm middle that the decoder rarely saw. Nearly parallel codes
// fall back to Lerp.
func Slerp(a, b []float32, steps int) ([][]float32, error) {
	var dot, na, nb float64
	for i := range a {
		if i < len(b) {
			dot += float64(a[i]) * float64(b[i])
		}
		na += float64(a[i]) * float64(a[i])
	}
	for _, v := range b {
		nb += float64(v) * float64(v)
	}
	cos := dot / math.Sqrt(na*nb)
	if na == 0 || nb == 0 || math.Abs(cos) > 0.9995 {
		return Lerp(a, b, steps)
	}
	omega := math.Acos(math.Max(-1, math.Min(1, cos)))
	return interpolate(a, b, steps, func(t float64) (float64, float64) {
		return math.Sin((1-t)*omega) / math.Sin(omega), math.Sin(t*omega) / math.Sin(omega)
	})
}

func interpolate(a, b []float32, steps int, weights func(t float64) (wa, wb float64)) ([][]float32, error) {
	if len(a) == 0 || len(a) != len(b) {
		return nil, fmt.Errorf("vaekit: interpolating codes of sizes %d and %d: expected equal, non-zero sizes", len(a), len(b))
	}
	if steps < 2 {
		return nil, fmt.Errorf("vaekit: interpolating with %d steps: expected >= 2 (both ends are included)", steps)
	}
	codes := make([][]float32, steps)
	for s := range codes {
		wa, wb := weights(float64(s) / float64(steps-1))
		codes[s] = make([]float32, len(a))
		for i := range a {
			codes[s][i] = float32(wa*float64(a[i]) + wb*float64(b[i]))
		}
	}
	codes[0], codes[steps-1] = slices.Clone(a), slices.Clone(b) // Exact ends, whatever the rounding.
	return codes, nil
}

// Interpolate encodes two images to their posterior means, interpolates between the
// codes (spherically if spherical, else linearly) in steps, and decodes every code. The
// first and last images are the two reconstructions.
func (m *Model) Interpolate(imageA, imageB []float32, steps int, spherical bool) ([][]float32, error) {
	means, _, err := m.Encode([][]float32{imageA, imageB})
	if err != nil {
		return nil, err
	}
	var codes [][]float32
	if spherical {
		codes, err = Slerp(means[0], means[1], steps)
	} else {
		codes, err = Lerp(means[0], means[1], steps)
	}
	if err != nil {
		return nil, err
	}
	return m.Decode(codes)
}

func (m *Model) checkDims(what string, dims ...int) error {
	for _, d := range dims {
		if d < 0 || d >= m.Config.LatentDim {
			return fmt.Errorf("vaekit: %s: latent dimension %d does not exist: expected 0..%d (latent_dim=%d)", what, d, m.Config.LatentDim-1, m.Config.LatentDim)
		}
	}
	return nil
}

// baseCode returns a copy of base, or the zero code when base is nil.
func (m *Model) baseCode(what string, base []float32) ([]float32, error) {
	if base == nil {
		return make([]float32, m.Config.LatentDim), nil
	}
	if len(base) != m.Config.LatentDim {
		return nil, fmt.Errorf("vaekit: %s: base code has %d values, expected latent_dim=%d", what, len(base), m.Config.LatentDim)
	}
	return slices.Clone(base), nil
}
