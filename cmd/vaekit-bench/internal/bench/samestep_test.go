package bench

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/vaekit/vaekit/internal/workarounds"
	"github.com/vaekit/vaekit/vaekit"
)

// Notebook 05's VAE takes the same training steps in vaekit's graph code (Encoder,
// Decoder, BernoulliNLL, KLDivergence, the Config's Adam with the flush of subnormal
// state that Model uses) as in the PyTorch peer's BurdaVAE with its Adam, when both start
// from the same weights and see the same binarised batches and standard-normal draws: so
// the likelihood parity's runs differ only in their random draws and the float rounding
// that chaos amplifies, not in what a step computes. (vaekit's
// TestTrainingStepIsTheELBOsAdamStep shows that Model's training step is this step.)
// Skipped where python cannot import torch.
func TestBurdaStepIsPyTorchs(t *testing.T) {
	peer, err := newTorchPeer(Options{Threads: 1})
	if err != nil {
		t.Skipf("no PyTorch peer: %v", err)
	}
	defer peer.Close()
	cfg, err := BurdaConfig(1)
	if err != nil {
		t.Fatal(err)
	}
	trainSet, _, err := LoadMNIST()
	if err != nil {
		t.Fatal(err)
	}
	const steps, batch = 20, 20
	dir := t.TempDir()
	write := func(name string, values []float32) {
		t.Helper()
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := binary.Write(f, binary.LittleEndian, values); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(5, 20))
	store := model.NewStore()
	for _, l := range []struct {
		name    string
		in, out int
	}{{"encoder/hidden_0", 784, 200}, {"encoder/hidden_1", 200, 200}, {"encoder/mean", 200, 50}, {"encoder/log_var", 200, 50},
		{"decoder/hidden_0", 50, 200}, {"decoder/hidden_1", 200, 200}, {"decoder/logits", 200, 784}} {
		limit := math.Sqrt(6 / float64(l.in+l.out)) // Glorot-uniform weights; biases nonzero, so that a swapped one shows.
		weights, biases := make([]float32, l.in*l.out), make([]float32, l.out)
		for i := range weights {
			weights[i] = float32(limit * (2*rng.Float64() - 1))
		}
		for i := range biases {
			biases[i] = float32(0.1 * (2*rng.Float64() - 1))
		}
		scope := store.RootScope()
		for _, part := range strings.Split(l.name, "/") {
			scope = scope.In("%s", part)
		}
		scope = scope.In("dense")
		scope.VariableWithValue("weights", tensors.FromFlatDataAndDimensions(weights, l.in, l.out))
		scope.VariableWithValue("biases", biases)
		file := strings.ReplaceAll(l.name, "/", ".")
		write(file+".weights", weights)
		write(file+".biases", biases)
	}
	xs, eps := make([]float32, steps*batch*784), make([]float32, steps*batch*cfg.LatentDim)
	for i := range steps * batch {
		image := trainSet.Image(rng.IntN(trainSet.N))
		for p, v := range image {
			if rng.Float32() < v {
				xs[i*784+p] = 1
			}
		}
	}
	for i := range eps {
		eps[i] = float32(rng.NormFloat64())
	}
	write("x", xs)
	write("eps", eps)
	spec, _ := json.Marshal(map[string]int{"steps": steps, "batch": batch})
	if err := os.WriteFile(filepath.Join(dir, "replay.json"), spec, 0o644); err != nil {
		t.Fatal(err)
	}

	backend, err := vaekit.Backend()
	if err != nil {
		t.Fatal(err)
	}
	elbo := func(scope *model.Scope, _ any, inputs []*Node) []*Node {
		x, e := inputs[0], inputs[1]
		mean, logVar := vaekit.Encoder(scope, &cfg, x, nil)
		z := Add(mean, Mul(Exp(MulScalar(logVar, 0.5)), e))
		logits := vaekit.Decoder(scope, &cfg, z, nil)
		return []*Node{Add(ReduceAllMean(vaekit.BernoulliNLL(x, logits)), ReduceAllMean(vaekit.KLDivergence(mean, logVar)))}
	}
	adam := optimizer.Adam().LearningRate(cfg.LearningRateAt(0)).Epsilon(cfg.AdamEpsilon).Done()
	trainer := train.NewTrainer(backend, store, elbo, func(_, p []*Node) *Node { return p[0] }, workarounds.FlushSubnormals{Interface: adam}, nil, nil)
	goLosses := make([]float64, steps)
	for s := range steps {
		x := tensors.FromFlatDataAndDimensions(xs[s*batch*784:(s+1)*batch*784], batch, 784)
		e := tensors.FromFlatDataAndDimensions(eps[s*batch*cfg.LatentDim:(s+1)*batch*cfg.LatentDim], batch, cfg.LatentDim)
		metrics, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{x, e}})
		if err != nil {
			t.Fatal(err)
		}
		goLosses[s] = float64(tensors.ToScalar[float32](metrics[0]))
	}

	out, err := peer.cmd("", peer.script, "--replay", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("torch_peer.py --replay: %v\n%s", err, out)
	}
	_, result, found := strings.Cut(string(out), "REPLAY ")
	var replayed struct{ Losses []float64 }
	if !found || json.Unmarshal([]byte(result), &replayed) != nil || len(replayed.Losses) != steps {
		t.Fatalf("torch_peer.py --replay printed no %d losses:\n%s", steps, out)
	}
	// Float32 rounding differs between the two (summation orders); chaos amplifies it
	// slowly: over 20 steps the losses stay within 1e-5 of each other, relatively.
	largest := 0.0
	for s := range steps {
		off := math.Abs(goLosses[s]-replayed.Losses[s]) / replayed.Losses[s]
		largest = max(largest, off)
		if !(off <= 1e-5) {
			t.Fatalf("step %d: vaekit's loss %.6f, PyTorch's %.6f (relative difference %.2g)\nvaekit: %.4f\nPyTorch: %.4f",
				s+1, goLosses[s], replayed.Losses[s], off, goLosses, replayed.Losses)
		}
	}
	t.Logf("losses of %d steps (vaekit, PyTorch): first %.4f, %.4f; last %.4f, %.4f; largest relative difference %.2g",
		steps, goLosses[0], replayed.Losses[0], goLosses[steps-1], replayed.Losses[steps-1], largest)
}
