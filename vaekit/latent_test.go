package vaekit

import (
	"math"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/vaekit/data"
)

func TestGrids(t *testing.T) {
	lin, err := LinearGrid(5, -3, 3)
	if err != nil || !slices.Equal(lin, []float32{-3, -1.5, 0, 1.5, 3}) {
		t.Errorf("LinearGrid(5, -3, 3) = %v, %v", lin, err)
	}
	// Standard normal quantiles: Phi^-1(0.05) = -1.6448536, Phi^-1(0.5) = 0.
	q, err := QuantileGrid(3, 0.05, 0.95)
	if err != nil || math.Abs(float64(q[0])+1.6448536) > 1e-6 || math.Abs(float64(q[1])) > 1e-12 || math.Abs(float64(q[2])-1.6448536) > 1e-6 {
		t.Errorf("QuantileGrid(3, 0.05, 0.95) = %v, %v", q, err)
	}
	// normalQuantile inverts the CDF 1/2 (1 + erf(x / sqrt 2)).
	for _, p := range []float64{0.01, 0.2, 0.7, 0.999} {
		if cdf := 0.5 * (1 + math.Erf(normalQuantile(p)/math.Sqrt2)); math.Abs(cdf-p) > 1e-12 {
			t.Errorf("CDF(normalQuantile(%g)) = %g", p, cdf)
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
// documented order (manifold: row r is y[r], as plot.Manifold expects; interpolation: the
// path's codes, pair after pair).
func TestLatentPicturesDecodeTheirCodes(t *testing.T) {
	cfg := smallConfig()
	m, err := Train(cfg, syntheticSet(128, 1), syntheticSet(32, 2), TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	base := []float32{0.1, 0.2, 0.3, 0.4}
	xs, ys := []float32{-1, 0, 1}, []float32{-2, 2}
	man, err := m.Manifold(base, [2]int{3, 1}, xs, ys)
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
	if man.Images.N != 6 || man.Images.Height != 28 || man.DimX != 3 || man.DimY != 1 {
		t.Fatalf("manifold: %d images %dx%d dims (%d, %d)", man.Images.N, man.Images.Height, man.Images.Width, man.DimX, man.DimY)
	}
	if !slices.Equal(man.Images.Images, want.Images) {
		t.Error("the manifold's images are not the decoded codes, row by row")
	}
	trav, err := m.Traverse(base, 2, []float32{-3, 3})
	if err != nil {
		t.Fatal(err)
	}
	wantTrav, _ := m.Decode([][]float32{{0.1, 0.2, -3, 0.4}, {0.1, 0.2, 3, 0.4}})
	if !slices.Equal(trav.Images, wantTrav.Images) {
		t.Error("Traverse does not decode base with the one dimension swept")
	}

	// Interpolate: two pairs, 5 frames each; every frame is the decoded code of the path
	// between the pair's codes (Embed), and a spherical path differs from a straight one in
	// the middle frames (its ends are the same).
	from, to := syntheticSet(2, 9), syntheticSet(2, 10)
	a, _ := m.Embed(from)
	b, _ := m.Embed(to)
	frames := map[string]*data.Set{}
	for name, path := range map[string]Path{"lerp": Lerp, "slerp": Slerp} {
		got, err := m.Interpolate(from, to, 5, path)
		if err != nil || got.N != 10 {
			t.Fatalf("Interpolate(%s): %v, %v", name, got, err)
		}
		var codes [][]float32
		for i := range a {
			walk, _ := path(a[i], b[i], 5)
			codes = append(codes, walk...)
		}
		want, _ := m.Decode(codes)
		for j, v := range got.Images {
			// Batches of different sizes may round differently in the matmul.
			if math.Abs(float64(v-want.Images[j])) > 1e-5 {
				t.Fatalf("Interpolate(%s): pixel %d of frame %d is %g, the decoded path %g", name, j%784, j/784, v, want.Images[j])
			}
		}
		frames[name] = got
	}
	for frame := range 10 {
		lerp, _ := frames["lerp"].Select(frame)
		slerp, _ := frames["slerp"].Select(frame)
		mse, _ := ReconstructionMSE(lerp, slerp)
		if end := frame%5 == 0 || frame%5 == 4; end != (mse < 1e-10) {
			t.Errorf("frame %d: lerp and slerp differ by %.3g (an end: %v): expected equal ends and different middles", frame, mse, end)
		}
	}

	for _, bad := range []func() error{
		func() error { _, err := m.Manifold(nil, [2]int{0, 4}, xs, ys); return err },
		func() error { _, err := m.Manifold(nil, [2]int{1, 1}, xs, ys); return err },
		func() error { _, err := m.Manifold(nil, [2]int{0, 1}, nil, ys); return err },
		func() error { _, err := m.Manifold([]float32{1}, [2]int{0, 1}, xs, ys); return err },
		func() error { _, err := m.Traverse(base, -1, xs); return err },
		func() error { _, err := m.Traverse(base, 0, nil); return err },
		func() error { _, err := m.Interpolate(from, to, 1, Lerp); return err },
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
