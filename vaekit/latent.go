package vaekit

import (
	"fmt"
	"math"
	"slices"

	"github.com/vaekit/vaekit/vaekit/data"
)

// LinearGrid returns n evenly spaced values from lo to hi, both included: the axis of the
// classic manifold picture over [-3, 3].
// Values are float32, like the codes they go into.
func LinearGrid(n int, lo, hi float64) ([]float32, error) {
	values, err := linearGrid(n, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("vaekit: LinearGrid(%d, %g, %g): %w", n, lo, hi, err)
	}
	return toFloat32(values), nil
}

func linearGrid(n int, lo, hi float64) ([]float64, error) {
	if n < 2 || !(hi > lo) {
		return nil, fmt.Errorf("expected n >= 2 and lo < hi")
	}
	values := make([]float64, n)
	for i := range values {
		values[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return values, nil
}

func toFloat32(values []float64) []float32 {
	out := make([]float32, len(values))
	for i, v := range values {
		out[i] = float32(v)
	}
	return out
}

// QuantileGrid returns the standard normal quantiles of n evenly spaced probabilities from
// pLo to pHi (the Keras tutorial uses 0.05..0.95): equal steps in probability, so the
// grid covers the prior's mass evenly instead of over-sampling its tails.
func QuantileGrid(n int, pLo, pHi float64) ([]float32, error) {
	if n < 2 || !(0 < pLo && pLo < pHi && pHi < 1) {
		return nil, fmt.Errorf("vaekit: QuantileGrid(%d, %g, %g): expected n >= 2 and 0 < pLo < pHi < 1", n, pLo, pHi)
	}
	probs, err := linearGrid(n, pLo, pHi)
	if err != nil {
		return nil, err
	}
	for i, p := range probs {
		probs[i] = normalQuantile(p)
	}
	return toFloat32(probs), nil
}

// normalQuantile is the inverse of the standard normal CDF: sqrt(2) * erfinv(2p - 1).
func normalQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// Manifold is a picture of what the decoder does over a plane of latent space: images
// decoded on a grid of two latent dimensions, the others held at a base code.
type Manifold struct {
	DimX, DimY       int       // The latent dimensions varied along x (columns) and y (rows).
	XValues, YValues []float32 // Grid values, increasing.
	Images           *data.Set // Image r*len(XValues)+c is decoded at (XValues[c], YValues[r]).
}

// Manifold decodes the grid xValues x yValues over the latent dimensions dims[0] (x) and
// dims[1] (y), the other dimensions held at base (nil: the prior's mean, 0). For a 2-D
// latent, dims is {0, 1}. A conditional model needs labels, as Decode does: one for the
// whole grid, or one per image (in the order of Manifold.Images).
func (m *Model) Manifold(base []float32, dims [2]int, xValues, yValues []float32, labels ...uint8) (*Manifold, error) {
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
			z[dims[0]], z[dims[1]] = x, y
			codes = append(codes, z)
		}
	}
	images, err := m.Decode(codes, labels...)
	if err != nil {
		return nil, err
	}
	return &Manifold{DimX: dims[0], DimY: dims[1], XValues: slices.Clone(xValues), YValues: slices.Clone(yValues), Images: images}, nil
}

// traversalCodes returns one code per value: base with dimension dim set to that value.
func traversalCodes(base []float32, dim int, values []float32) ([][]float32, error) {
	if dim < 0 || dim >= len(base) {
		return nil, fmt.Errorf("vaekit: traversalCodes: dimension %d of a %d-value code: expected 0..%d", dim, len(base), len(base)-1)
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("vaekit: traversalCodes: expected at least one value")
	}
	codes := make([][]float32, len(values))
	for i, v := range values {
		codes[i] = slices.Clone(base)
		codes[i][dim] = v
	}
	return codes, nil
}

// Traverse decodes base with latent dimension dim swept over values, the others fixed
// (nil base: the prior's mean, 0): what one coordinate of z controls. A conditional model
// needs labels, as Decode does: one for the whole sweep, or one per value.
func (m *Model) Traverse(base []float32, dim int, values []float32, labels ...uint8) (*data.Set, error) {
	if err := m.checkDims("Traverse", dim); err != nil {
		return nil, err
	}
	start, err := m.baseCode("Traverse", base)
	if err != nil {
		return nil, err
	}
	codes, err := traversalCodes(start, dim, values)
	if err != nil {
		return nil, err
	}
	return m.Decode(codes, labels...)
}

// Path is a way through latent space: steps codes from a to b, both ends included. Lerp
// and Slerp are paths.
type Path func(a, b []float32, steps int) ([][]float32, error)

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

// Interpolate walks from each image of from to the image of to at the same index along
// path (Lerp or Slerp) between their codes (Embed), in steps, and decodes every code:
// steps images per pair, pair after pair; the first and last of each are the two
// reconstructions. A conditional model decodes a pair's frames with the label of its
// image in from.
func (m *Model) Interpolate(from, to *data.Set, steps int, path Path) (*data.Set, error) {
	if path == nil {
		return nil, fmt.Errorf("vaekit: Interpolate: no path given: expected vaekit.Lerp or vaekit.Slerp")
	}
	if from == nil || to == nil || from.N != to.N {
		return nil, fmt.Errorf("vaekit: Interpolate: expected as many images to walk to as from")
	}
	a, err := m.Embed(from)
	if err != nil {
		return nil, err
	}
	b, err := m.Embed(to)
	if err != nil {
		return nil, err
	}
	var codes [][]float32
	var labels []uint8
	for i := range a {
		walk, err := path(a[i], b[i], steps)
		if err != nil {
			return nil, err
		}
		codes = append(codes, walk...)
		if m.Config.Conditional() {
			labels = append(labels, slices.Repeat([]uint8{from.Labels[i]}, len(walk))...)
		}
	}
	return m.Decode(codes, labels...)
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
