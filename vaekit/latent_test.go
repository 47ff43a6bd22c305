package vaekit

import (
	"math"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
)

func TestGrids(t *testing.T) {
	lin, err := LinearGrid(5, -3, 3)
	if err != nil || !slices.Equal(lin, []float64{-3, -1.5, 0, 1.5, 3}) {
		t.Errorf("LinearGrid(5, -3, 3) = %v, %v", lin, err)
	}
	// Standard normal quantiles: Phi^-1(0.05) = -1.6448536, Phi^-1(0.5) = 0.
	q, err := QuantileGrid(3, 0.05, 0.95)
	if err != nil || math.Abs(q[0]+1.6448536) > 1e-6 || math.Abs(q[1]) > 1e-12 || math.Abs(q[2]-1.6448536) > 1e-6 {
		t.Errorf("QuantileGrid(3, 0.05, 0.95) = %v, %v", q, err)
	}
	// NormalQuantile inverts the CDF 1/2 (1 + erf(x / sqrt 2)).
	for _, p := range []float64{0.01, 0.2, 0.7, 0.999} {
		if cdf := 0.5 * (1 + math.Erf(NormalQuantile(p)/math.Sqrt2)); math.Abs(cdf-p) > 1e-12 {
			t.Errorf("CDF(NormalQuantile(%g)) = %g", p, cdf)
		}
	}
	for _, bad := range []func() error{
		func() error { _, err := LinearGrid(1, -3, 3); return err },
		func() error { _, err := LinearGrid(5, 3, -3); return err },
		func() error { _, err := QuantileGrid(5, 0, 0.95); return err },
		func() error { _, err := QuantileGrid(5, 0.5, 0.4); return err },
	} {
		if bad() == nil {
			t.Error("expected an error for an impossible grid")
		}
	}
}

func TestInterpolation(t *testing.T) {
	a, b := []float32{2, 0, 0}, []float32{0, 2, 0}
	lerp, err := Lerp(a, b, 3)
	if err != nil || !slices.Equal(lerp[1], []float32{1, 1, 0}) || !slices.Equal(lerp[0], a) || !slices.Equal(lerp[2], b) {
		t.Errorf("Lerp = %v, %v", lerp, err)
	}
	// Slerp between two orthogonal codes of norm 2: every point has norm 2, and the angle
	// advances in equal steps of 90/4 degrees.
	slerp, err := Slerp(a, b, 5)
	if err != nil {
		t.Fatal(err)
	}
	for i, z := range slerp {
		norm := math.Hypot(float64(z[0]), float64(z[1]))
		angle := math.Atan2(float64(z[1]), float64(z[0]))
		if math.Abs(norm-2) > 1e-5 || math.Abs(angle-float64(i)*math.Pi/8) > 1e-5 || z[2] != 0 {
			t.Errorf("slerp[%d] = %v: norm %g, angle %g; want norm 2, angle %g", i, z, norm, angle, float64(i)*math.Pi/8)
		}
	}
	// Parallel codes fall back to the straight line.
	par, err := Slerp([]float32{1, 1}, []float32{2, 2}, 3)
	if err != nil || !slices.Equal(par[1], []float32{1.5, 1.5}) {
		t.Errorf("Slerp of parallel codes = %v, %v", par, err)
	}
	if _, err := Lerp(a, []float32{1}, 3); err == nil {
		t.Error("Lerp of codes of different sizes: expected an error")
	}
	if _, err := Slerp(a, b, 1); err == nil {
		t.Error("Slerp with 1 step: expected an error")
	}
}

// Manifold, Traverse and Interpolate decode exactly the codes they describe, in the
// documented order (manifold: row r is y[r], as plot.Manifold expects).
func TestLatentPicturesDecodeTheirCodes(t *testing.T) {
	cfg := smallConfig()
	m, err := Train(cfg, syntheticSet(128, 1), syntheticSet(32, 2), TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	base := []float32{0.1, 0.2, 0.3, 0.4}
	xs, ys := []float64{-1, 0, 1}, []float64{-2, 2}
	man, err := m.Manifold(xs, ys, [2]int{3, 1}, base)
	if err != nil {
		t.Fatal(err)
	}
	codes := [][]float32{
		{0.1, -2, 0.3, -1}, {0.1, -2, 0.3, 0}, {0.1, -2, 0.3, 1}, // Row 0: y = -2.
		{0.1, 2, 0.3, -1}, {0.1, 2, 0.3, 0}, {0.1, 2, 0.3, 1},
	}
	want, err := m.Decode(codes)
	if err != nil {
		t.Fatal(err)
	}
	if len(man.Images) != 6 || man.Height != 28 || man.DimX != 3 || man.DimY != 1 {
		t.Fatalf("manifold: %d images %dx%d dims (%d, %d)", len(man.Images), man.Height, man.Width, man.DimX, man.DimY)
	}
	for i := range want {
		if !slices.Equal(man.Images[i], want[i]) {
			t.Errorf("manifold image %d is not the decoded code %v", i, codes[i])
		}
	}
	trav, err := m.Traverse(base, 2, []float64{-3, 3})
	if err != nil {
		t.Fatal(err)
	}
	wantTrav, _ := m.Decode([][]float32{{0.1, 0.2, -3, 0.4}, {0.1, 0.2, 3, 0.4}})
	if !slices.Equal(trav[0], wantTrav[0]) || !slices.Equal(trav[1], wantTrav[1]) {
		t.Error("Traverse does not decode base with the one dimension swept")
	}
	// Interpolate decodes every point of the path between the two posterior means: the
	// great-circle arc when spherical, the straight line otherwise, which differ between
	// the ends. (The codes of two blobs point the same way; a blank image's does not.)
	images := [][]float32{syntheticSet(1, 9).Image(0), make([]float32, 784)}
	var paths [2][][]float32
	for k, spherical := range []bool{false, true} {
		got, want, cos := interpolationFrames(t, m, images[0], images[1], 5, spherical)
		if cos > 0.9 {
			t.Fatalf("test data: the two codes have cosine %.3f: Slerp is close to Lerp (or falls back to it)", cos)
		}
		if len(got) != len(want) {
			t.Fatalf("spherical=%v: Interpolate gave %d images, want %d", spherical, len(got), len(want))
		}
		for i := range want {
			if d := maxAbsDifference(got[i], want[i]); d > 1e-6 {
				t.Errorf("spherical=%v: frame %d differs from the decoded interpolated code by %g", spherical, i, d)
			}
		}
		paths[k] = got
	}
	for i := 1; i < 4; i++ {
		if d := maxAbsDifference(paths[0][i], paths[1][i]); d < 1e-3 {
			t.Errorf("frame %d: linear and spherical interpolation differ by at most %g", i, d)
		}
	}
	for _, bad := range []func() error{
		func() error { _, err := m.Manifold(xs, ys, [2]int{0, 4}, nil); return err },
		func() error { _, err := m.Manifold(xs, ys, [2]int{1, 1}, nil); return err },
		func() error { _, err := m.Manifold(nil, ys, [2]int{0, 1}, nil); return err },
		func() error { _, err := m.Manifold(xs, ys, [2]int{0, 1}, []float32{1}); return err },
		func() error { _, err := m.Traverse(base, -1, xs); return err },
		func() error { _, err := m.Traverse(base, 0, nil); return err },
		func() error { _, err := m.Interpolate(images[0], []float32{1}, 4, false); return err },
	} {
		if bad() == nil {
			t.Error("expected an error for bad latent-picture arguments")
		}
	}
}

// LogMeanExp stays exact where exp underflows: weights near e^-1000.
func TestLogMeanExpIsStable(t *testing.T) {
	x := [][]float32{{-1000, -1000 + float32(math.Log(3))}, {0, 0}}
	got := tensors.MustCopyFlatData[float32](MustExecOnce(testBackend(t), func(x *Node) *Node { return LogMeanExp(x, -1) }, x))
	if math.Abs(float64(got[0])-(-1000+math.Ln2)) > 1e-3 || math.Abs(float64(got[1])) > 1e-6 {
		t.Errorf("LogMeanExp = %v, want [%g 0]", got, -1000+math.Ln2)
	}
}

// TrainOrLoad trains once per Config: the same settings load the cached model (same
// weights, no training), a changed setting trains another.
func TestTrainOrLoadCachesByConfig(t *testing.T) {
	t.Setenv("VAEKIT_MODELS", t.TempDir())
	cfg := smallConfig()
	trainSet, heldOut := syntheticSet(128, 1), syntheticSet(32, 2)
	first, err := TrainOrLoad(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	again, err := TrainOrLoad(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.trainer != nil || again.GlobalStep() != cfg.Steps {
		t.Errorf("second TrainOrLoad trained again (step %d)", again.GlobalStep())
	}
	w1, _ := tensorsCopy(first, "/encoder/mean/dense/weights")
	w2, _ := tensorsCopy(again, "/encoder/mean/dense/weights")
	if len(w1) == 0 || !slices.Equal(w1, w2) {
		t.Error("the cached model's weights differ from the trained one's")
	}
	changed := cfg.Clone()
	changed.KLWeight = 0.5
	d1, _ := CachedModelDir(cfg)
	d2, _ := CachedModelDir(changed)
	if d1 == d2 {
		t.Fatalf("kl_weight change kept the cache directory %s", d1)
	}
	other, err := TrainOrLoad(changed, trainSet, heldOut, TrainOptions{Quiet: true})
	if err != nil || other.Config.KLWeight != 0.5 || !HasSavedModel(d2) {
		t.Errorf("changed setting: %v, kl_weight %v", err, other.Config.KLWeight)
	}
}

// interpolationFrames returns the images Interpolate draws from image a to image b, the
// ones it should draw (the decoded points of Slerp when spherical, of Lerp otherwise,
// between the posterior means of a and b), and the cosine of the angle between those
// means. It holds the interpolation checks' calls to the public API.
func interpolationFrames(t *testing.T, m *Model, a, b []float32, steps int, spherical bool) (got, want [][]float32, cos float64) {
	t.Helper()
	got, err := m.Interpolate(a, b, steps, spherical)
	if err != nil {
		t.Fatal(err)
	}
	means, _, err := m.Encode([][]float32{a, b})
	if err != nil {
		t.Fatal(err)
	}
	interpolate := Lerp
	if spherical {
		interpolate = Slerp
	}
	codes, err := interpolate(means[0], means[1], steps)
	if err != nil {
		t.Fatal(err)
	}
	if want, err = m.Decode(codes); err != nil {
		t.Fatal(err)
	}
	var dot, na, nb float64
	for j := range means[0] {
		p, q := float64(means[0][j]), float64(means[1][j])
		dot, na, nb = dot+p*q, na+p*p, nb+q*q
	}
	return got, want, dot / math.Sqrt(na*nb)
}

// maxAbsDifference is the largest |a[i] - b[i]|.
func maxAbsDifference(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}
