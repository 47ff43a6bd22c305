package vaekit

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/vaekit/vaekit/internal/ckptfile"
	"github.com/vaekit/vaekit/vaekit/data"
)

func tensorsCopy(m *Model, path string) ([]float32, error) {
	v := m.store.GetVariable(path)
	if v == nil {
		return nil, fmt.Errorf("no variable %s", path)
	}
	value, err := v.Value()
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[float32](value)
}

// savedCopy saves m to a temporary directory and loads it back.
func savedCopy(t *testing.T, m *Model) *Model {
	t.Helper()
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return loaded
}

// syntheticSet makes n 28x28 images: blurry blobs at random places, values in [0,1].
func syntheticSet(n int, seed uint64) *data.Set {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := &data.Set{Name: "mnist", Split: "train", N: n, Height: 28, Width: 28,
		Images: make([]float32, n*28*28), Labels: make([]uint8, n)}
	for i := range n {
		cx, cy := 6+rng.Float64()*16, 6+rng.Float64()*16
		for y := range 28 {
			for x := range 28 {
				d2 := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
				s.Images[i*784+y*28+x] = float32(math.Exp(-d2 / 18))
			}
		}
		s.Labels[i] = uint8(i % 10)
	}
	return s
}

func smallConfig() Config {
	cfg := DefaultConfig()
	cfg.HiddenDims = []int{64}
	cfg.LatentDim = 4
	cfg.BatchSize = 32
	cfg.Steps = 30
	cfg.EvalEvery = 10
	cfg.EvalBatchSize = 64
	return cfg
}

func TestEncodeDecodeShapes(t *testing.T) {
	m, err := NewModel(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	images := syntheticSet(70, 1) // Not a multiple of EvalBatchSize: exercises padding.
	mean, logVar, err := m.Encode(images)
	if err != nil {
		t.Fatal(err)
	}
	if len(mean) != 70 || len(logVar) != 70 || len(mean[69]) != 4 || len(logVar[0]) != 4 {
		t.Fatalf("Encode shapes: %d x %d, %d x %d", len(mean), len(mean[0]), len(logVar), len(logVar[0]))
	}
	recon, err := m.Reconstruct(images)
	if err != nil {
		t.Fatal(err)
	}
	samples, err := m.Sample(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range []*data.Set{recon, samples} {
		if set.Height != 28 || set.Width != 28 || len(set.Images) != set.N*784 {
			t.Fatalf("decoded %d images of %dx%d, %d pixel values", set.N, set.Height, set.Width, len(set.Images))
		}
		for _, p := range set.Images {
			if !(p >= 0 && p <= 1) {
				t.Fatalf("decoded pixel %g outside [0,1]", p)
			}
		}
	}
	if recon.N != 70 || samples.N != 5 || !slices.Equal(recon.Labels, images.Labels) {
		t.Fatalf("%d reconstructions (labels kept: %v), %d samples", recon.N, slices.Equal(recon.Labels, images.Labels), samples.N)
	}
	// The same seed gives the same samples, another seed others, whatever ran before.
	again, err := m.Sample(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	other, err := m.Sample(5, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Images, samples.Images) || slices.Equal(other.Images, samples.Images) {
		t.Error("Sample(5, 1) twice gave different images, or Sample(5, 2) the same")
	}
	// Encoding one image alone gives the same code as in a batch (padding is invisible).
	last, err := images.Select(69)
	if err != nil {
		t.Fatal(err)
	}
	one, _, err := m.Encode(last)
	if err != nil {
		t.Fatal(err)
	}
	for j := range one[0] {
		if math.Abs(float64(one[0][j]-mean[69][j])) > 1e-5 {
			t.Fatalf("code of image 69 depends on its batch: %v vs %v", one[0], mean[69])
		}
	}
	small, _ := data.FromImages([][]float32{make([]float32, 10)}, 2, 5)
	if _, _, err := m.Encode(small); err == nil || !strings.Contains(err.Error(), "expects 28x28") {
		t.Errorf("wrong image size: error %v", err)
	}
	if _, err := m.Decode([][]float32{{1, 2}}); err == nil || !strings.Contains(err.Error(), "expected 4") {
		t.Errorf("wrong code size: error %v", err)
	}
	if _, err := m.Sample(0, 1); err == nil {
		t.Error("Sample(0) should be an error")
	}
}

// The default network is pytorch/examples' 784-400-20 VAE: count its weights by hand.
func TestNumParameters(t *testing.T) {
	m, err := NewModel(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.initVariables(); err != nil {
		t.Fatal(err)
	}
	encoder := 784*400 + 400 + 2*(400*20+20) // hidden layer, mean and log-variance heads
	decoder := 20*400 + 400 + 400*784 + 784  // hidden layer, logits
	if got, err := m.NumParameters(); err != nil || got != encoder+decoder {
		t.Errorf("NumParameters() = %d, want %d (err %v)", got, encoder+decoder, err)
	}
	// Trained (Adam's moments exist), saved and loaded: still the network's weights alone.
	cfg := DefaultConfig()
	cfg.Steps, cfg.EvalEvery = 2, 0
	trained, err := Train(cfg, syntheticSet(300, 1), syntheticSet(50, 2), TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	for what, model := range map[string]*Model{"trained": trained, "trained, saved and loaded": savedCopy(t, trained)} {
		if got, err := model.NumParameters(); err != nil || got != encoder+decoder {
			t.Errorf("%s: NumParameters() = %d, want %d (err %v)", what, got, encoder+decoder, err)
		}
	}
}

// posterior_heads=code, the PyTorch AE-vs-VAE tutorial's VAE: the autoencoder's encoder
// (784-H, then a code layer H-L) with two L-L heads on its code; the autoencoder is the
// same encoder without the heads. Counted by hand.
func TestHeadsOnTheCodeLayer(t *testing.T) {
	const H, L = 64, 6
	decoder := L*H + H + H*784 + 784
	for _, tc := range []struct {
		model string
		want  int
	}{
		{"vae", 784*H + H + H*L + L + 2*(L*L+L) + decoder},
		{"ae", 784*H + H + H*L + L + decoder},
	} {
		cfg := DefaultConfig()
		cfg.Model, cfg.PosteriorHeads, cfg.HiddenDims, cfg.LatentDim = tc.model, "code", []int{H}, L
		m, err := NewModel(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.initVariables(); err != nil {
			t.Fatal(err)
		}
		if got, err := m.NumParameters(); err != nil || got != tc.want {
			t.Errorf("model=%s posterior_heads=code: %d parameters, want %d (err %v)", tc.model, got, tc.want, err)
		}
		// The autoencoder's code is the code layer's output after the activation (ReLU).
		if tc.model == "ae" {
			codes, err := m.Embed(syntheticSet(16, 3))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range codes {
				for _, v := range c {
					if v < 0 {
						t.Fatalf("autoencoder code %v has a negative value: the code layer's ReLU is missing", c)
					}
				}
			}
		}
	}
}

func TestAutoencoderModeHasNoKL(t *testing.T) {
	cfg := smallConfig()
	cfg.Model = "ae"
	m, err := Train(cfg, syntheticSet(256, 2), syntheticSet(64, 3), TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	last := m.History[len(m.History)-1].HeldOut
	if last.KL != 0 || last.NegELBO != last.Reconstruction {
		t.Errorf("autoencoder terms %+v: expected KL 0", last)
	}
	if _, _, err := m.Encode(syntheticSet(1, 3)); err == nil {
		t.Error("autoencoder Encode: no error; expected one (no posterior: use Embed)")
	}
	codes, err := m.Embed(syntheticSet(1, 3))
	if err != nil || len(codes) != 1 || len(codes[0]) != cfg.LatentDim {
		t.Errorf("autoencoder Embed: %v, err %v", codes, err)
	}
}

func TestTrainingIsReproducible(t *testing.T) {
	trainSet, heldOut := syntheticSet(256, 4), syntheticSet(64, 5)
	run := func(seed uint64) Record {
		cfg := smallConfig()
		cfg.Seed = seed
		cfg.Binarize = "dynamic"
		m, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.History) != 3 {
			t.Fatalf("history has %d records, expected evaluations at 10, 20, 30", len(m.History))
		}
		return curves(m.History)[2]
	}
	a, b, c := run(1), run(1), run(2)
	if a != b {
		t.Errorf("same seed, different results:\n%+v\n%+v", a, b)
	}
	if a == c {
		t.Errorf("different seeds gave identical results %+v", a)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cfg := smallConfig()
	trainSet, heldOut := syntheticSet(256, 6), syntheticSet(64, 7)
	m, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	z := [][]float32{{0.5, -1, 0, 2}}
	want, err := m.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Config.String() != m.Config.String() || loaded.GlobalStep() != 30 || len(loaded.History) != 3 {
		t.Fatalf("loaded config %s, step %d, %d records", loaded.Config, loaded.GlobalStep(), len(loaded.History))
	}
	got, err := loaded.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Images, want.Images) {
		t.Error("the loaded model decodes differently from the original")
	}
	// Only the newest checkpoints are kept, and the staging area is empty.
	if bases, _ := ckptfile.List(dir); len(bases) != 3 {
		t.Errorf("%d checkpoints kept, expected 3: %v", len(bases), bases)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, stagingDirName)); len(entries) != 0 {
		t.Errorf("staging directory not empty: %v", entries)
	}
}

// Inference used during training (an OnEval callback, as a live plot does) must not leave
// the model decoding with the weights of that moment once training is over.
func TestInferenceAfterTrainingSeesFinalWeights(t *testing.T) {
	m, err := NewModel(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	z := [][]float32{{0.5, -1, 0, 2}}
	var during *data.Set
	err = m.Fit(syntheticSet(256, 13), syntheticSet(64, 14), TrainOptions{Quiet: true, OnEval: func(r Record) {
		if r.Step == 10 {
			during, err = m.Decode(z)
		}
	}})
	if err != nil || during == nil {
		t.Fatalf("Fit: %v (decoded during training: %v)", err, during != nil)
	}
	after, err := m.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(after.Images, during.Images) {
		t.Error("after 30 steps the model still decodes exactly as at step 10")
	}
	// And it matches a fresh load of the same weights.
	loaded := savedCopy(t, m)
	fresh, err := loaded.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fresh.Images, after.Images) {
		t.Error("the trained model and its saved copy decode differently")
	}
}

// Inference and evaluation between two training runs must neither freeze training nor
// read stale weights (see workarounds.BeginGraph: GoMLX's go backend bakes variables into graphs
// built outside training).
func TestInterleavedInferenceAndTraining(t *testing.T) {
	trainSet, heldOut := syntheticSet(256, 17), syntheticSet(64, 18)
	cfg := smallConfig()
	cfg.Steps = 10
	m, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	z := [][]float32{{0.5, -1, 0, 2}}
	var decoded []*data.Set
	var weights []float32
	for _, steps := range []int{10, 20, 30} {
		m.Config.Steps = steps
		if err := m.Fit(trainSet, heldOut, TrainOptions{Quiet: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.evaluate(heldOut); err != nil {
			t.Fatal(err)
		}
		out, err := m.Decode(z)
		if err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, out)
		w, err := tensorsCopy(m, "/decoder/logits/dense/biases")
		if err != nil {
			t.Fatal(err)
		}
		if weights != nil && slices.Equal(w, weights) {
			t.Fatalf("step %d: the decoder's biases did not change since the previous run", steps)
		}
		weights = w
	}
	if slices.Equal(decoded[1].Images, decoded[2].Images) {
		t.Error("Decode returns the same image after 10 more training steps")
	}
	loaded := savedCopy(t, m)
	fresh, err := loaded.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fresh.Images, decoded[2].Images) {
		t.Error("Decode after training differs from a fresh load of the same weights")
	}
}

func TestResumeContinuesFromCheckpoint(t *testing.T) {
	dir := t.TempDir()
	trainSet, heldOut := syntheticSet(256, 8), syntheticSet(64, 9)
	cfg := smallConfig()
	cfg.Steps = 20
	if _, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	// Debris of a save that was killed half-way must not matter.
	if err := os.WriteFile(filepath.Join(dir, stagingDirName, "checkpoint-n0000001-x.json"), []byte("{trunc"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Steps, cfg.EvalIWAESamples = 30, 5 // How the run is watched may change on resuming.
	m, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.History); n == 0 || !(m.History[n-1].HeldOutIWAENLL > 0) {
		t.Errorf("resumed with eval_iwae=5: the last record has no held-out IWAE NLL: %+v", m.History)
	}
	if m.GlobalStep() != 30 {
		t.Errorf("resumed run ended at step %d, expected 30", m.GlobalStep())
	}
	var steps []int
	for _, r := range m.History {
		steps = append(steps, r.Step)
	}
	if len(steps) != 3 || steps[0] != 10 || steps[1] != 20 || steps[2] != 30 {
		t.Errorf("history steps %v, expected [10 20 30]", steps)
	}
	// The wall time adds up over the two runs: the resumed run's record starts from the
	// first run's total, which the saved history kept.
	h := m.History
	if !(h[0].WallSeconds > 0 && h[1].WallSeconds > h[0].WallSeconds && h[2].WallSeconds > h[1].WallSeconds) {
		t.Errorf("wall seconds %v, %v, %v: expected them to grow over the first run and on into the resumed one",
			h[0].WallSeconds, h[1].WallSeconds, h[2].WallSeconds)
	}

	// A different architecture in the same directory is refused, naming the difference.
	other := cfg
	other.LatentDim = 8
	_, err = Train(other, trainSet, heldOut, TrainOptions{Quiet: true, Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "latent_dim: saved 4, requested 8") {
		t.Errorf("resuming with another latent_dim: error %v", err)
	}
}

func TestNaNLossStopsTraining(t *testing.T) {
	cfg := smallConfig()
	cfg.LearningRate = 1e30 // Diverges within a few steps.
	cfg.Reconstruction = "gaussian"
	cfg.EvalEvery = 0
	_, err := Train(cfg, syntheticSet(256, 10), syntheticSet(64, 11), TrainOptions{Quiet: true})
	if !errors.Is(err, ErrNotFinite) || !strings.Contains(err.Error(), "at step") {
		t.Fatalf("expected a non-finite loss error naming the step, got %v", err)
	}
}

// A run that diverges stops with an error naming the step, and the model directory keeps
// the last good checkpoint: loadable, finite, from before the divergence.
func TestNaNKeepsLastGoodCheckpoint(t *testing.T) {
	dir := t.TempDir()
	trainSet, heldOut := syntheticSet(256, 15), syntheticSet(64, 16)
	cfg := smallConfig()
	cfg.Reconstruction = "gaussian"
	cfg.Steps = 20
	if _, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	cfg.Steps, cfg.LearningRate = 40, 1e30
	_, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true, Dir: dir})
	if !errors.Is(err, ErrNotFinite) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("expected a non-finite loss error naming the kept checkpoint, got %v", err)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.GlobalStep() < 20 || m.GlobalStep() >= 40 {
		t.Errorf("kept checkpoint is from step %d, expected a step in [20, 40)", m.GlobalStep())
	}
	images, err := m.Sample(4, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range images.Images {
		if p != p {
			t.Fatal("the kept checkpoint decodes to NaN")
		}
	}
}

func TestFitRejectsBadData(t *testing.T) {
	m, err := NewModel(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	good := syntheticSet(64, 12)
	bad := *good
	bad.Height, bad.Width = 32, 32
	fashion := syntheticSet(64, 12)
	fashion.Name = data.FashionMNIST
	for _, tc := range []struct {
		train, test *data.Set
		want        string
	}{
		{nil, good, "no training set"},
		{good, &bad, "held-out set has 32x32x1 images"},
		{good.Head(8), good, "fewer than batch_size=32"},
		{fashion, good, "training set is fashion-mnist, but the config says dataset=mnist"},
	} {
		if err := m.Fit(tc.train, tc.test, TrainOptions{Quiet: true}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Fit: error %v, expected %q", err, tc.want)
		}
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a vaekit model directory") {
		t.Errorf("Load of an empty dir: error %v", err)
	}
}
