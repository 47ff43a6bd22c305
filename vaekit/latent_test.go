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
	images := syntheticSet(2, 9).ImageSlices(0)
	path, err := m.Interpolate(images[0], images[1], 4, true)
	if err != nil || len(path) != 4 {
		t.Fatalf("Interpolate: %d images, %v", len(path), err)
	}
	recon, _ := m.Reconstruct(images)
	// Batches of 4 and 2 codes may round differently in the matmul: compare to 1e-5.
	for j := range recon[0] {
		if math.Abs(float64(path[0][j]-recon[0][j])) > 1e-5 || math.Abs(float64(path[3][j]-recon[1][j])) > 1e-5 {
			t.Fatalf("pixel %d: Interpolate's ends (%g, %g) are not the reconstructions (%g, %g)", j, path[0][j], path[3][j], recon[0][j], recon[1][j])
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
