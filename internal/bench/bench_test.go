package bench

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/vaekit/vaekit/vaekit"
)

func TestMain(m *testing.M) {
	if _, found := os.LookupEnv(compute.ConfigEnvVar); !found {
		os.Setenv(compute.ConfigEnvVar, "go") // Never depend on an XLA plugin.
	}
	os.Exit(m.Run())
}

func randomTensor(rng *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// The sub-pixel formulation must compute conv3x3(upsample2x(x)) and its gradients exactly
// as the direct formulation (GoMLX's ConvGeneral on the upsampled map, odd kernel).
func TestSubPixelUpsampleConvMatchesDirect(t *testing.T) {
	backend, err := vaekit.Backend()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := randomTensor(rng, 2, 5, 4, 3)
	k := randomTensor(rng, 3, 3, 3, 4)
	run := func(subPixel bool) []*tensors.Tensor {
		return MustExecOnceN(backend, func(x, k *Node) []*Node {
			var y *Node
			if subPixel {
				y = subPixelUpsampleConv(x, k)
			} else {
				y = Convolve(upsample2x(x), k).PaddingPerDim([][2]int{{1, 1}, {1, 1}}).Done()
			}
			weights := Reshape(Sin(Iota(x.Graph(), y.Shape(), 3)), y.Shape().Dimensions...)
			weights = Add(weights, Cos(Iota(x.Graph(), y.Shape(), 1)))
			grads := Gradient(ReduceAllSum(Mul(y, weights)), x, k)
			return []*Node{y, grads[0], grads[1]}
		}, x, k)
	}
	want, got := run(false), run(true)
	for i, name := range []string{"output", "gradient wrt x", "gradient wrt kernel"} {
		if a, b := want[i].Shape(), got[i].Shape(); !a.Equal(b) {
			t.Fatalf("%s: shape %s, want %s", name, b, a)
		}
		w, g := tensors.MustCopyFlatData[float32](want[i]), tensors.MustCopyFlatData[float32](got[i])
		for j := range w {
			if math.Abs(float64(w[j]-g[j])) > 1e-4*(1+math.Abs(float64(w[j]))) {
				t.Errorf("%s[%d] = %g, want %g", name, j, g[j], w[j])
				break
			}
		}
	}
}

// The smoke test CI runs: every benchmark model trains a few steps through the same code
// the benchmark measures (no PyTorch), and reports sane numbers.
func TestSmokeAllModels(t *testing.T) {
	trainSet, testSet, err := LoadMNIST()
	if err != nil {
		t.Fatalf("MNIST is needed (scripts/setup.sh puts an offline copy in the Go module cache): %v", err)
	}
	start := time.Now()
	for _, m := range Models {
		r, err := RunGo(m, RunOptions{Steps: 4, Window: 2, Batch: 8}, trainSet, testSet)
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if r.ImagesPerSec <= 0 || r.Steps != 4 || r.PeakRSSMB <= 0 || r.Params <= 0 ||
			math.IsNaN(r.FinalLoss) || r.FinalLoss <= 0 || r.EpochSec <= 0 {
			t.Errorf("%s: implausible result %+v", m.Name, r)
		}
	}
	t.Logf("%d models in %s", len(Models), time.Since(start))
	s := Summary{Model: Models[0], Go: []Result{{ImagesPerSec: 2, PeakRSSMB: 3, EpochSec: 1, EpochMeasured: true}},
		Torch: []Result{{ImagesPerSec: 1, PeakRSSMB: 2, EpochSec: 2}}}
	s.aggregate()
	if s.SpeedRatio != 2 || s.MemoryRatio != 1.5 {
		t.Errorf("aggregate: speed ratio %g (want 2), memory ratio %g (want 1.5)", s.SpeedRatio, s.MemoryRatio)
	}
	if table := Table([]Summary{s}, 1); len(table) == 0 {
		t.Error("empty table")
	}
}
