package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
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
// the benchmark measures (no PyTorch), scores a few held-out images, and reports sane
// numbers.
func TestSmokeAllModels(t *testing.T) {
	trainSet, testSet, err := LoadMNIST()
	if err != nil {
		t.Fatalf("MNIST is needed (scripts/setup.sh puts an offline copy in the Go module cache): %v", err)
	}
	start := time.Now()
	const heldOut = 20
	for _, m := range Models {
		r, err := RunGo(m, RunOptions{Steps: 4, Window: 2, Batch: 8, HeldOutImages: heldOut}, trainSet, testSet)
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if r.ImagesPerSec <= 0 || r.Steps != 4 || r.PeakRSSMB <= 0 || r.Params <= 0 ||
			math.IsNaN(r.FinalLoss) || r.FinalLoss <= 0 || r.EpochSec <= 0 || r.Seed != 1 {
			t.Errorf("%s: implausible result %+v", m.Name, r)
		}
		// Barely trained, the decoder's logits are near 0, where each pixel costs about
		// log 2 nats whatever its value: 784 log 2 = 543 nats an image.
		h := r.HeldOut
		if h == nil || h.Images != heldOut || h.KL < 0 || h.Reconstruction < 300 || h.Reconstruction > 1000 ||
			math.Abs(h.NegELBO-(h.Reconstruction+h.KL)) > 1e-3*h.NegELBO {
			t.Errorf("%s: implausible held-out terms %+v", m.Name, h)
		}
	}
	t.Logf("%d models in %s", len(Models), time.Since(start))
}

// The held-out score of the networks trained outside Model.Fit averages each term over
// the images, batch by batch (here 7 images in batches of 3): checked with terms whose
// averages are known, the pixel sum and the constant 1.
func TestEvaluateOwnAveragesTheTermsOverImages(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	set := &data.Set{N: 7, Height: 28, Width: 28, Images: make([]float32, 7*784)}
	var pixelSum float64
	for i := range set.Images {
		set.Images[i] = float32(rng.IntN(256)) / 255
		pixelSum += float64(set.Images[i])
	}
	got, err := evaluateOwn(model.NewStore(), set, 3, func(_ *model.Scope, x *Node) (recon, kl *Node) {
		return ReduceSum(x, -1), OnesLike(ReduceSum(x, -1))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := HeldOut{Reconstruction: pixelSum / 7, KL: 1, NegELBO: pixelSum/7 + 1, Images: 7}
	if got.Images != want.Images || math.Abs(got.Reconstruction-want.Reconstruction) > 1e-4 ||
		math.Abs(got.KL-want.KL) > 1e-6 || math.Abs(got.NegELBO-want.NegELBO) > 1e-4 {
		t.Errorf("evaluateOwn = %+v, want %+v", *got, want)
	}
}

// roundsWithDifferentMedians is five rounds of one model, made so that the median of the
// rounds' comparisons differs from the comparison of the medians: the report must give
// the former (a round's two runs ran back to back). Round 4's vaekit run failed; in
// round 5 the frameworks scored different numbers of held-out images.
func roundsWithDifferentMedians() Summary {
	held := func(negELBO float64, images int) *HeldOut {
		return &HeldOut{NegELBO: negELBO, Reconstruction: negELBO - 20, KL: 20, Images: images}
	}
	return Summary{
		Model: pytorchExamples(),
		Go: []Result{
			{Steps: 4680, ImagesPerSec: 10, PeakRSSMB: 100, HeldOut: held(101, 10000)},
			{Steps: 4680, ImagesPerSec: 20, PeakRSSMB: 300, HeldOut: held(102, 10000)},
			{Steps: 4680, ImagesPerSec: 30, PeakRSSMB: 200, HeldOut: held(110, 10000)},
			{Error: "killed"},
			{Steps: 4680, ImagesPerSec: 16, PeakRSSMB: 150, HeldOut: held(150, 1000)},
		},
		Torch: []Result{
			{Steps: 4690, ImagesPerSec: 10, PeakRSSMB: 100, HeldOut: held(100, 10000)},
			{Steps: 4690, ImagesPerSec: 10, PeakRSSMB: 600, HeldOut: held(105, 10000)},
			{Steps: 4690, ImagesPerSec: 40, PeakRSSMB: 100, HeldOut: held(106, 10000)},
			{Steps: 4690, ImagesPerSec: 1, PeakRSSMB: 1, HeldOut: held(1, 10000)},
			{Steps: 4690, ImagesPerSec: 16, PeakRSSMB: 150, HeldOut: held(100, 10000)},
		},
	}
}

func TestAggregateTakesTheMedianOfTheRoundsComparisons(t *testing.T) {
	s := roundsWithDifferentMedians()
	s.aggregate()
	// Speed ratios of rounds 1, 2, 3, 5: 1, 2, 0.75, 1; memory ratios 1, 0.5, 2, 1.
	if s.SpeedRatio != 1 || s.MemoryRatio != 1 {
		t.Errorf("speed ratio %g, memory ratio %g; want the medians of the rounds' ratios, 1 and 1", s.SpeedRatio, s.MemoryRatio)
	}
	// The ratio of the medians is 18/10 (and 175/100): the data can tell the two apart.
	if r := s.GoMed.ImagesPerSec / s.TorchMed.ImagesPerSec; r != 1.8 {
		t.Errorf("medians' ratio %g, want 1.8 (the test's data no longer separates the aggregations)", r)
	}
	// Held-out differences of rounds 1-3: +1, -3, +4 (round 5 scored different images).
	if !slices.Equal(s.ELBOGaps, []float64{1, -3, 4}) || s.ELBOGap != 1 {
		t.Errorf("held-out -ELBO gaps %v, median %g; want [1 -3 4], median 1", s.ELBOGaps, s.ELBOGap)
	}
	// The medians of the terms: vaekit 101, 102, 110, 150; PyTorch 100, 105, 106, 1, 100.
	g, p := s.GoMed.HeldOut, s.TorchMed.HeldOut
	if g == nil || p == nil || g.NegELBO != 106 || p.NegELBO != 100 || g.KL != 20 || g.Reconstruction != 86 {
		t.Errorf("held-out medians %+v and %+v, want -ELBO 106 (reconstruction 86, KL 20) and 100", g, p)
	}
}

func TestTableShowsTheHeldOutColumnAndTheParityLine(t *testing.T) {
	s := roundsWithDifferentMedians()
	s.aggregate()
	table := Table([]Summary{s}, 5, "avx2")
	for _, want := range []string{
		"| model (column avx2) |", "| held-out -ELBO nats (vaekit, PyTorch) |",
		"| pytorch-examples | 18 | 10 | 1.00x | 106.00, 100.00 |",
		"vaekit - PyTorch = +1.00 nats (median of the rounds' differences: +1.00, -3.00, +4.00); within 0.5 nat: NO",
		"vaekit 106.00 (reconstruction 86.00 + KL 20.00), PyTorch 100.00",
		"after the run's training steps: pytorch-examples 4680 (vaekit) and 4690 (PyTorch).",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	s.Go[2].HeldOut.NegELBO = 106.3 // Round 3's difference: +0.3, now the median.
	s.aggregate()
	if table := Table([]Summary{s}, 5, ""); !strings.Contains(table, "= +0.30 nats") || !strings.Contains(table, "within 0.5 nat: yes") {
		t.Errorf("a 0.3-nat gap should be within the target:\n%s", table)
	}
	for i := range s.Go {
		s.Go[i].Steps = 60 // -quick
	}
	s.aggregate()
	if table := Table([]Summary{s}, 5, ""); !strings.Contains(table, "within 0.5 nat: not judged (a shortened run: 60 of 4680 steps)") {
		t.Errorf("a shortened run should not be judged:\n%s", table)
	}
}

// results.json keeps the machine and the rounds; -report re-aggregates it, and still
// reads the bare list of summaries earlier versions wrote.
func TestReportRoundTrip(t *testing.T) {
	s := roundsWithDifferentMedians()
	s.aggregate()
	report := &Report{Machine: Machine{CPU: CPU{Model: "Test CPU", Features: []string{"avx2"}}, Column: "avx2"}, Rounds: 5, Summaries: []Summary{s}}
	dir := t.TempDir()
	if err := report.write(dir); err != nil {
		t.Fatal(err)
	}
	read, err := ReadResults(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if read.String() != report.String() || read.Machine.Column != "avx2" || read.Summaries[0].ELBOGap != 1 {
		t.Errorf("read back:\n%s\nwrote:\n%s", read, report)
	}
	old, err := json.Marshal(report.Summaries)
	if err != nil {
		t.Fatal(err)
	}
	oldPath := filepath.Join(dir, "old.json")
	if err := os.WriteFile(oldPath, old, 0o644); err != nil {
		t.Fatal(err)
	}
	if read, err = ReadResults(oldPath); err != nil || read.Rounds != 5 || read.Summaries[0].ELBOGap != 1 {
		t.Errorf("old format: %v, %+v", err, read)
	}
}

const cpuinfoSample = `processor	: 0
vendor_id	: AuthenticAMD
cpu family	: 26
model		: 2
model name	: AMD EPYC
flags		: fpu sse4_2 avx f16c fma avx2 avx512f avx512bw avx_vnni avx512_bf16

processor	: 1
model name	: Other
flags		: fpu
`

func TestCPUAndColumn(t *testing.T) {
	cpu := parseCPUInfo(cpuinfoSample)
	if cpu.Model != "AMD EPYC (family 26, model 2)" || !slices.Equal(cpu.Features, []string{"avx", "fma", "avx2", "avx512f", "avx512bw", "avx512_bf16"}) {
		t.Errorf("parsed %+v", cpu)
	}
	avx2Only := CPU{Model: "x", Features: []string{"avx", "avx2", "fma"}}
	for _, tc := range []struct {
		cpu        CPU
		mode, want string
	}{
		{cpu, SIMDNative, "avx512"}, {cpu, SIMDAVX2, "avx2"}, {avx2Only, SIMDNative, "avx2"}, {avx2Only, SIMDAVX2, "avx2"},
	} {
		if got, note, err := Column(tc.cpu, tc.mode); err != nil || got != tc.want || note == "" {
			t.Errorf("Column(%v, %s) = %q, %q, %v; want %q", tc.cpu.Features, tc.mode, got, note, err, tc.want)
		}
	}
	if _, _, err := Column(CPU{Features: []string{"avx"}}, SIMDAVX2); err == nil {
		t.Error("-simd=avx2 on a CPU without AVX2: no error")
	}
	if _, _, err := Column(cpu, "sse"); err == nil || !strings.Contains(err.Error(), "sse") {
		t.Errorf("-simd=sse: error %v, want one naming the value", err)
	}
}

// The children's environment: native removes inherited SIMD switches (so that the
// column is right), avx2 sets them; everything else passes through.
func TestWithSIMDAndInheritedTuning(t *testing.T) {
	env := []string{"PATH=/bin", "OPENBLAS_CORETYPE=SkylakeX", "GOMLX_GO_SIMD_AVX512=true", "OPENBLAS_L2_SIZE=512", "OMP_NUM_THREADS=8"}
	if got := withSIMD(env, "vaekit", SIMDNative); !slices.Equal(got, []string{"PATH=/bin", "OPENBLAS_CORETYPE=SkylakeX", "OPENBLAS_L2_SIZE=512", "OMP_NUM_THREADS=8"}) {
		t.Errorf("vaekit native: %v", got)
	}
	got := withSIMD(env, "pytorch", SIMDAVX2)
	want := []string{"PATH=/bin", "GOMLX_GO_SIMD_AVX512=true", "OPENBLAS_L2_SIZE=512", "OMP_NUM_THREADS=8",
		"OPENBLAS_CORETYPE=Haswell", "DNNL_MAX_CPU_ISA=AVX2", "ONEDNN_MAX_CPU_ISA=AVX2", "ATEN_CPU_CAPABILITY=avx2",
		"GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD"}
	if !slices.Equal(got, want) {
		t.Errorf("pytorch avx2: %v, want %v", got, want)
	}
	if got := inheritedTuning(env); !slices.Equal(got, []string{"OPENBLAS_L2_SIZE=512"}) {
		t.Errorf("inherited tuning %v, want [OPENBLAS_L2_SIZE=512]", got)
	}
}

// The kernel report is what GoMLX says it runs, and it follows the switches the -simd
// flag sets (read by GoMLX when the process starts: each probe is a child process).
func TestGoKernelsFollowTheSIMDSwitches(t *testing.T) {
	if !builtWithSIMD {
		t.Skip("built without GOEXPERIMENT=simd (amd64): GoMLX's SIMD kernels are not compiled in")
	}
	probe := func(mode string) string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGoKernelsProbe$", "-test.v")
		cmd.Env = append(withSIMD(os.Environ(), "vaekit", mode), "VAEKIT_BENCH_TEST_PROBE=1")
		out, err := cmd.CombinedOutput()
		_, kernels, found := strings.Cut(string(out), "kernels: ")
		if err != nil || !found {
			t.Fatalf("probe (%s): %v\n%s", mode, err, out)
		}
		kernels, _, _ = strings.Cut(kernels, "\n")
		return kernels
	}
	cpu := ReadCPU()
	want := "simd:nosimd"
	switch {
	case cpu.Has("avx512f"):
		want = "simd:avx512"
	case cpu.Has("avx2"):
		want = "simd:avx2"
	}
	if got := probe(SIMDNative); !strings.HasPrefix(got, "GoMLX matmul "+want) {
		t.Errorf("native on %v: %q, want GoMLX matmul %s", cpu.Features, got, want)
	}
	if cpu.Has("avx2") {
		if got := probe(SIMDAVX2); !strings.HasPrefix(got, "GoMLX matmul simd:avx2") || strings.Contains(got, "avx512") {
			t.Errorf("avx2 mode: %q, want GoMLX matmul simd:avx2 and no avx512", got)
		}
	}
}

func TestGoKernelsProbe(t *testing.T) {
	if os.Getenv("VAEKIT_BENCH_TEST_PROBE") == "" {
		t.Skip("a child of TestGoKernelsFollowTheSIMDSwitches")
	}
	backend, err := vaekit.Backend()
	if err != nil {
		t.Fatal(err)
	}
	kernels, err := goKernels(backend)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("kernels: " + kernels)
}
