package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
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
		r, err := RunGo(m, RunOptions{Steps: 4, Window: 2, Batch: 8, HeldOutImages: heldOut, NLLImages: 3, NLLK: 4}, trainSet, testSet)
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
		// The IWAE bound lies below the negative ELBO's ~543 nats, never far below it.
		if l := r.Likelihood; m.Likelihood && (l == nil || l.Images != 3 || l.K != 4 || len(l.ImageNLL) != 3 || l.NLL < 300 || l.NLL > 1000 ||
			l.StdErr <= 0 || l.UnitImages != testSet.N || l.ActiveUnits < 0 || l.ActiveUnits > m.Latent) {
			t.Errorf("%s: implausible likelihood %+v", m.Name, l)
		} else if !m.Likelihood && l != nil {
			t.Errorf("%s: a likelihood it was not asked for", m.Name)
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

// writtenAndRead writes report's results.json and reads it back.
func writtenAndRead(t *testing.T, report *Report) *Report {
	t.Helper()
	dir := t.TempDir()
	if err := report.write(dir); err != nil {
		t.Fatal(err)
	}
	read, err := ReadResults(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	return read
}

// results.json keeps the machine and the rounds; -report re-aggregates it, and still
// reads the bare list of summaries earlier versions wrote.
func TestReportRoundTrip(t *testing.T) {
	s := roundsWithDifferentMedians()
	s.aggregate()
	report := &Report{Machine: Machine{CPU: CPU{Model: "Test CPU", Features: []string{"avx2"}}, Column: "avx2"}, Rounds: 5, Summaries: []Summary{s}}
	read := writtenAndRead(t, report)
	if read.String() != report.String() || read.Machine.Column != "avx2" || read.Summaries[0].ELBOGap != 1 {
		t.Errorf("read back:\n%s\nwrote:\n%s", read, report)
	}
	old, err := json.Marshal(report.Summaries)
	if err != nil {
		t.Fatal(err)
	}
	oldPath := filepath.Join(t.TempDir(), "old.json")
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

// notebook05Settings returns the settings string of notebook 05's cfg.Set (its Go string
// literals, concatenated) and the source of its code cells.
func notebook05Settings(t *testing.T) (settings, code string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "notebooks", "05_likelihood.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			CellType string   `json:"cell_type"`
			Source   []string `json:"source"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	for _, c := range nb.Cells {
		if c.CellType == "code" {
			src.WriteString(strings.Join(c.Source, "") + "\n")
		}
	}
	code = src.String()
	call := regexp.MustCompile(`cfg\.Set\(((?:\s*"[^"]*"\s*\+?)+)\)`).FindStringSubmatch(code)
	if call == nil {
		t.Fatal("notebook 05 has no cfg.Set(\"...\") call")
	}
	for _, lit := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(call[1], -1) {
		settings += lit[1]
	}
	return settings, code
}

// The burda-* models are notebook 05's: its Config (cfg.Set on the default) for the VAE,
// and for the IWAEs the same with objective=iwae and k from its default --iwae_ks.
func TestBurdaConfigsAreNotebook05s(t *testing.T) {
	settings, code := notebook05Settings(t)
	want := vaekit.DefaultConfig()
	if err := want.Set(settings); err != nil {
		t.Fatal(err)
	}
	got, err := BurdaConfig(1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("BurdaConfig(1) = %s\nnotebook 05's cfg = %s", got, want)
	}
	for _, fragment := range []string{`c.Objective, c.IWAESamples = "iwae", k`, `flag.String("iwae_ks", "5,50"`} {
		if !strings.Contains(code, fragment) {
			t.Errorf("notebook 05 no longer has %q: check its IWAE variants against BurdaConfig", fragment)
		}
	}
	for _, k := range []int{5, 50} {
		iwae, err := BurdaConfig(k)
		want := want.Clone()
		want.Objective, want.IWAESamples = "iwae", k
		if err != nil || !reflect.DeepEqual(iwae, want) {
			t.Errorf("BurdaConfig(%d) = %s, %v; want %s", k, iwae, err, want)
		}
	}
	// What the description says: 784-200-200-50 tanh, Bernoulli, Glorot uniform, Adam eps 1e-4, batch 20.
	if !slices.Equal(want.HiddenDims, []int{200, 200}) || want.LatentDim != 50 || want.Activation != "tanh" ||
		want.Reconstruction != "bernoulli" || want.Binarize != "dynamic" || want.Initializer != "keras" ||
		want.Optimizer != "adam" || want.AdamEpsilon != 1e-4 || want.LearningRate != 1e-3 || want.LRSchedule != "iwae" || want.BatchSize != 20 {
		t.Errorf("notebook 05's Config is no longer Burda et al.'s model: %s", want)
	}

	for _, tc := range []struct {
		name          string
		k, steps      int
		epochs        int
		likelihood    bool
		defaultModels bool
	}{
		{"burda-b20", 1, 3000, 0, false, true},
		{"burda-iwae50-b20", 50, 1000, 0, false, true},
		{"burda-vae", 1, 30000, 10, true, false},
		{"burda-iwae5", 5, 30000, 10, true, false},
	} {
		m, err := FindModel(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != "burda" || m.IWAESamples != tc.k || m.Batch != 20 || m.Hidden != 200 || m.Latent != 50 ||
			m.DefaultSteps != tc.steps || m.Epochs != tc.epochs || m.Likelihood != tc.likelihood || m.Window != 200 {
			t.Errorf("%s: %+v", tc.name, m)
		}
		if got := slices.Contains(DefaultModelNames(), tc.name); got != tc.defaultModels {
			t.Errorf("%s among the default models: %v, want %v", tc.name, got, tc.defaultModels)
		}
	}
}

// pythonFacts reads torch_peer.py with Python's ast (no torch needed): its MODELS' names,
// its command-line options, and Burda's learning rate of epochs 0..n-1 by its own function.
func pythonFacts(t *testing.T, n int) (models, options []string, rates []float64) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	const script = `
import ast, json, sys
tree = ast.parse(open("torch_peer.py").read())
models, options, env = [], [], {}
for node in ast.walk(tree):
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "MODELS" for t in node.targets):
        models = [k.value for k in node.value.keys]
    if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument":
        options.append(node.args[0].value)
    if isinstance(node, ast.FunctionDef) and node.name == "burda_learning_rate":
        exec(compile(ast.Module(body=[node], type_ignores=[]), "torch_peer.py", "exec"), env)
rate = env["burda_learning_rate"]
print(json.dumps({"models": models, "options": options, "rates": [rate(e) for e in range(int(sys.argv[1]))]}))
`
	out, err := exec.Command(python, "-c", script, strconv.Itoa(n)).Output()
	if err != nil {
		t.Fatalf("reading torch_peer.py: %v", err)
	}
	var facts struct {
		Models, Options []string
		Rates           []float64
	}
	if err := json.Unmarshal(out, &facts); err != nil {
		t.Fatal(err)
	}
	return facts.Models, facts.Options, facts.Rates
}

// The peer knows every model, its learning-rate schedule is vaekit's, and it accepts every
// option the driver passes it.
func TestTorchPeerMatchesTheDriver(t *testing.T) {
	models, options, rates := pythonFacts(t, 3300)
	for _, name := range ModelNames() {
		if !slices.Contains(models, name) {
			t.Errorf("torch_peer.py's MODELS lacks %s", name)
		}
	}
	cfg, err := BurdaConfig(1)
	if err != nil {
		t.Fatal(err)
	}
	for epoch, rate := range rates {
		if want := cfg.LearningRateAt(epoch); math.Abs(rate-want) > 1e-15 {
			t.Fatalf("epoch %d: the peer's learning rate %g, vaekit's %g", epoch, rate, want)
		}
	}
	p := &torchPeer{script: "torch_peer.py", mnistDir: "/mnist", threads: 2}
	opts := Options{Window: 50, NLLImages: 2000, NLLK: 5000, Models: ModelNames()}
	for _, m := range Models {
		for _, arg := range p.args(m, opts, 1, "/run/test.idx") {
			if strings.HasPrefix(arg, "--") && !slices.Contains(options, arg) {
				t.Errorf("%s: the driver passes %s, which torch_peer.py does not define", m.Name, arg)
			}
		}
	}
}

// The arguments of both children: a parity model's full budget, its window, the same
// binarised test images and the likelihood estimate's size for both frameworks.
func TestChildArguments(t *testing.T) {
	p := &torchPeer{script: "peer.py", mnistDir: "/mnist", threads: 2}
	opts := Options{Window: 50, HeldOutImages: 0, NLLImages: 2000, NLLK: 5000}
	vae, _ := FindModel("burda-vae")
	speed, _ := FindModel("burda-iwae50-b20")
	examples, _ := FindModel("pytorch-examples")
	quick := opts
	quick.Steps, quick.Window, quick.NLLImages, quick.NLLK = 60, 20, 50, 100
	for _, tc := range []struct {
		name       string
		got        []string
		want, lack []string
	}{
		{"vaekit burda-vae", goChildArgs(vae, opts, 2, "/run/test.idx"),
			[]string{"-child burda-vae", "-steps 30000", "-window 200", "-seed 2", "-heldout 0", "-binary-test /run/test.idx", "-nll-images 2000", "-nll-k 5000"}, nil},
		{"pytorch burda-vae", p.args(vae, opts, 2, "/run/test.idx"),
			[]string{"--model burda-vae", "--epochs 10", "--window 200", "--seed 2", "--held-out 0", "--binary-test /run/test.idx", "--nll-images 2000", "--nll-k 5000"}, []string{"--steps"}},
		{"vaekit burda-vae -quick", goChildArgs(vae, quick, 1, "/run/test.idx"),
			[]string{"-steps 60", "-window 20", "-nll-images 50", "-nll-k 100"}, nil},
		{"pytorch burda-vae -quick", p.args(vae, quick, 1, "/run/test.idx"),
			[]string{"--steps 60", "--window 20", "--nll-images 50", "--nll-k 100"}, []string{"--epochs"}},
		{"vaekit burda-iwae50-b20", goChildArgs(speed, opts, 1, "/run/test.idx"),
			[]string{"-steps 1000", "-window 200", "-binary-test /run/test.idx"}, []string{"-nll-images"}},
		{"pytorch burda-iwae50-b20", p.args(speed, opts, 1, "/run/test.idx"),
			[]string{"--steps 1000", "--window 200", "--binary-test /run/test.idx"}, []string{"--nll-images"}},
		{"vaekit pytorch-examples", goChildArgs(examples, opts, 1, "/run/test.idx"),
			[]string{"-steps 4680", "-window 50"}, []string{"-binary-test", "-nll-images"}},
		{"pytorch pytorch-examples", p.args(examples, opts, 1, "/run/test.idx"),
			[]string{"--epochs 10", "--window 50"}, []string{"--binary-test", "--nll-images"}},
	} {
		line := " " + strings.Join(tc.got, " ") + " "
		for _, w := range tc.want {
			if !strings.Contains(line, " "+w+" ") {
				t.Errorf("%s: %q lacks %q", tc.name, line, w)
			}
		}
		for _, l := range tc.lack {
			if strings.Contains(line, " "+l+" ") {
				t.Errorf("%s: %q has %q", tc.name, line, l)
			}
		}
	}
}

// The binarised test images go through the file unchanged, and vaekit's own binarisation
// of evaluation images (a Bernoulli draw per pixel) leaves them as they are.
func TestBinarizedTestImages(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	set := &data.Set{Name: data.MNIST, Split: data.Test, N: 3, Height: 28, Width: 28, Channels: 1, Images: make([]float32, 3*784)}
	for i := range set.Images {
		set.Images[i] = float32(rng.IntN(256)) / 255
	}
	bin := BinarizedTestImages(set)
	if again := BinarizedTestImages(set); !slices.Equal(bin.Images, again.Images) {
		t.Error("two binarisations differ: the seed is not fixed")
	}
	ones := 0
	for _, p := range bin.Images {
		if p != 0 && p != 1 {
			t.Fatalf("pixel %g", p)
		}
		ones += int(p)
	}
	if ones == 0 || ones == len(bin.Images) {
		t.Errorf("%d ones of %d pixels", ones, len(bin.Images))
	}
	path := filepath.Join(t.TempDir(), "test.idx")
	if err := WriteBinaryImages(path, bin); err != nil {
		t.Fatal(err)
	}
	read, err := ReadBinaryImages(path)
	if err != nil {
		t.Fatal(err)
	}
	if read.N != 3 || read.Height != 28 || read.Width != 28 || !slices.Equal(read.Images, bin.Images) {
		t.Errorf("read back %d images %dx%d, equal: %v", read.N, read.Height, read.Width, slices.Equal(read.Images, bin.Images))
	}
	if redrawn := read.BernoulliBinarized(rand.New(rand.NewPCG(9, 0xb1))); !slices.Equal(redrawn.Images, bin.Images) {
		t.Error("a Bernoulli draw of the binarised images changed them")
	}
	if err := WriteBinaryImages(path, set); err == nil {
		t.Error("WriteBinaryImages took grey pixels")
	}
}

// burdaRounds is two rounds of burda-vae whose per-image values make the paired standard
// error of the difference much smaller than either framework's own.
func burdaRounds() Summary {
	m, _ := FindModel("burda-vae")
	result := func(seed int64, base []float64, shift float64, units int) Result {
		nll := make([]float64, len(base))
		for i, v := range base {
			nll[i] = v + shift + 0.1*float64(i%2) // Differences alternate shift, shift + 0.1.
		}
		l := newLikelihood(5000, nll)
		l.ActiveUnits, l.UnitImages = units, 10000
		return Result{Steps: 30000, Seed: seed, ImagesPerSec: 100, PeakRSSMB: 100, Likelihood: l}
	}
	base := []float64{80, 90, 100, 70}
	return Summary{
		Model: m,
		Go:    []Result{result(1, base, 0.5, 20), result(2, base, -0.2, 21)},
		Torch: []Result{result(1, base, 0, 19), result(2, base, 0, 22)},
	}
}

func TestLikelihoodLines(t *testing.T) {
	s := burdaRounds()
	s.aggregate()
	if len(s.NLLRounds) != 2 {
		t.Fatalf("%d rounds compared, want 2", len(s.NLLRounds))
	}
	// Round 1: vaekit's per-image values are PyTorch's + 0.5 (0.1 more on every other image
	// on both sides: it cancels), so the difference is 0.5 with no spread at all.
	r := s.NLLRounds[0]
	if math.Abs(r.Diff-0.5) > 1e-12 || r.DiffStdErr > 1e-12 || r.GoUnits != 20 || r.TorchUnits != 19 || r.Images != 4 || r.K != 5000 || r.Seed != 1 {
		t.Errorf("round 1: %+v", r)
	}
	table := Table([]Summary{s}, 2, "")
	for _, want := range []string{
		"Likelihood parity, burda-vae: IWAE NLL (k=5000) of the first 4 MNIST test images binarised once (seed 1, the same images for both), after 30000 steps; active units (Var over x of E_q[z_u|x] > 0.01) over 10000 of them. vaekit - PyTorch, median of the rounds: +0.15 nats.",
		"- seed 1: vaekit 85.55, PyTorch 85.05 nats; difference +0.50 ± 0.00 (paired s.e. over images); active units vaekit 20, PyTorch 19",
		"- seed 2: vaekit 84.85, PyTorch 85.05 nats; difference -0.20 ± 0.00",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "Parity, burda-vae: held-out -ELBO") {
		t.Errorf("a likelihood model got the -ELBO parity line:\n%s", table)
	}
	// A round whose frameworks scored different images is left out; a shortened run says so.
	s.Torch[1].Likelihood.ImageNLL = s.Torch[1].Likelihood.ImageNLL[:3]
	for i := range s.Go {
		s.Go[i].Steps = 60
	}
	s.aggregate()
	if table := Table([]Summary{s}, 2, ""); len(s.NLLRounds) != 1 || !strings.Contains(table, "after 60 of the 30000 steps (a shortened run") {
		t.Errorf("%d rounds compared; table:\n%s", len(s.NLLRounds), table)
	}
	// The per-image values stay in the rounds' results, not in the medians.
	if s.GoMed.Likelihood != nil {
		t.Error("the median result carries a likelihood")
	}
}

// -seeds: the rounds' seeds reach the table and results.json.
func TestSeeds(t *testing.T) {
	if got := roundSeeds(Options{Rounds: 3}); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("roundSeeds(3 rounds) = %v", got)
	}
	if got := roundSeeds(Options{Rounds: 3, Seeds: []int{7, 9}}); !slices.Equal(got, []int{7, 9}) {
		t.Errorf("roundSeeds(seeds 7, 9) = %v", got)
	}
	s := burdaRounds()
	s.aggregate()
	report := &Report{Machine: Machine{CPU: CPU{Model: "Test CPU"}}, Rounds: 2, Seeds: []int{7, 9}, Summaries: []Summary{s}}
	if !strings.Contains(report.String(), "Medians of 2 interleaved round(s) (seeds 7, 9: each round trains both frameworks from its seed)") {
		t.Errorf("table:\n%s", report)
	}
	read := writtenAndRead(t, report)
	if !slices.Equal(read.Seeds, []int{7, 9}) || read.String() != report.String() || len(read.Summaries[0].NLLRounds) != 2 {
		t.Errorf("read back seeds %v, rounds %d:\n%s", read.Seeds, len(read.Summaries[0].NLLRounds), read)
	}
}
