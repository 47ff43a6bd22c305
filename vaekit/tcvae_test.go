package vaekit

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// The tests of objective=beta_tcvae (Chen et al. 2018) and of KLDecomposition check the
// graph and the host estimator against float64 computations written here with direct
// loops, and against closed forms.

// Adding the beta_tcvae and decoder settings (laterParams) changes no existing model's name in the model cache:
// the hashes below are those of the code before them.
func TestTCVAEKeepsExistingHashes(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.Hash() != "82ca5e40392f" || cfg.settingsHash() != "63aca6d1bd4c" {
		t.Errorf("default Config: Hash %s, settingsHash %s; want 82ca5e40392f and 63aca6d1bd4c, as before tc_* and dataset_size", cfg.Hash(), cfg.settingsHash())
	}
	if err := cfg.Set("objective=iwae;iwae_samples=5"); err != nil {
		t.Fatal(err)
	}
	if cfg.Hash() != "04a6a10e5688" || cfg.settingsHash() != "4df0f9b81e3a" {
		t.Errorf("iwae k=5: Hash %s, settingsHash %s; want 04a6a10e5688 and 4df0f9b81e3a", cfg.Hash(), cfg.settingsHash())
	}
	a, b := DefaultConfig(), DefaultConfig()
	if err := a.Set("objective=beta_tcvae"); err != nil {
		t.Fatal(err)
	}
	if err := b.Set("objective=beta_tcvae;tc_beta=6"); err != nil {
		t.Fatal(err)
	}
	if a.Hash() == b.Hash() || a.Hash() == DefaultConfig().Hash() {
		t.Errorf("tc_beta=6 and objective=beta_tcvae must change the hash: %s %s %s", a.Hash(), b.Hash(), DefaultConfig().Hash())
	}
	// A model saved before the settings existed reads as it was trained.
	var old Config
	if err := json.Unmarshal([]byte(`{"objective": "elbo", "latent_dim": 2}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.TCAlpha != 1 || old.TCBeta != 1 || old.TCGamma != 1 || old.DatasetSize != 0 {
		t.Errorf("an older model file reads tc_alpha=%g tc_beta=%g tc_gamma=%g dataset_size=%d; want 1 1 1 0", old.TCAlpha, old.TCBeta, old.TCGamma, old.DatasetSize)
	}
}

func TestTCVAEConfigErrors(t *testing.T) {
	for _, tc := range []struct{ settings, want string }{
		{"objective=beta_tcvae;tc_alpha=-1", "tc_alpha=-1: expected a finite number >= 0"},
		{"objective=beta_tcvae;tc_beta=-0.5", "tc_beta=-0.5: expected a finite number >= 0"},
		{"objective=beta_tcvae;tc_gamma=NaN", "tc_gamma=NaN: expected a finite number"},
		{"objective=beta_tcvae;tc_beta=inf", "tc_beta=inf: expected a finite number"},
		{"tc_beta=6", "tc_beta=6: used by objective=beta_tcvae only, expected 1 with objective=elbo"},
		{"objective=iwae;iwae_samples=5;tc_alpha=0", "tc_alpha=0: used by objective=beta_tcvae only, expected 1 with objective=iwae"},
		{"dataset_size=60000", "dataset_size=60000: used by objective=beta_tcvae only, expected 0 with objective=elbo"},
		{"objective=beta_tcvae;kl_weight=2", "objective=beta_tcvae weighs the KL's three parts itself"},
		{"objective=beta_tcvae;model=ae", "expected model=vae kl_weight=1"},
		{"objective=beta_tcvae;free_bits=0.5", "objective=beta_tcvae weighs"},
		{"objective=beta_tcvae;kl_warmup_steps=10", "objective=beta_tcvae weighs"},
		{"objective=beta_tcvae;kl_reduction=mean", "objective=beta_tcvae weighs"},
		{"objective=beta_tcvae;iwae_samples=5", "iwae_samples=5: used by objective=iwae only, expected 1 with objective=beta_tcvae"},
		{"objective=beta_tcvae;dataset_size=100", "dataset_size=100: smaller than batch_size=128"},
		{"objective=beta_tcvae;dataset_size=-1", "dataset_size=-1: expected >= 0"},
		{"objective=beta_tcvae;tc_estimator=exact", `tc_estimator="exact": expected one of mws, mss`},
		{"tc_estimator=mss", `tc_estimator=mss: used by objective=beta_tcvae only, expected "mws" with objective=elbo`},
		{"objective=beta_tcvae;tc_estimator=mss;batch_size=1", "tc_estimator=mss with batch_size=1"},
	} {
		cfg := DefaultConfig()
		if err := cfg.Set(tc.settings); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Set(%q): error %v, expected it to mention %q", tc.settings, err, tc.want)
		}
	}
	// Infinite values come in through the struct only; Validate names each.
	cfg := DefaultConfig()
	cfg.Objective, cfg.TCAlpha, cfg.TCBeta, cfg.TCGamma = "beta_tcvae", math.Inf(1), math.NaN(), -2
	err := cfg.Validate()
	for _, want := range []string{"tc_alpha=+Inf", "tc_beta=NaN", "tc_gamma=-2"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, expected it to mention %s", err, want)
		}
	}
	good := DefaultConfig()
	if err := good.Set("objective=beta_tcvae;tc_alpha=0;tc_beta=6;tc_gamma=2;dataset_size=128;condition=label"); err != nil {
		t.Errorf("a valid beta_tcvae Config: %v", err)
	}
}

// logNormal is log N(x; mean, exp(logVar)).
func logNormal(x, mean, logVar float64) float64 {
	return -0.5 * (math.Log(2*math.Pi) + logVar + (x-mean)*(x-mean)/math.Exp(logVar))
}

func logSumExp(xs []float64) float64 {
	m := math.Inf(-1)
	for _, x := range xs {
		m = max(m, x)
	}
	var sum float64
	for _, x := range xs {
		sum += math.Exp(x - m)
	}
	return m + math.Log(sum)
}

// tcReference is Chen et al.'s minibatch-weighted estimate, by direct loops: for each
// example i of the batch its MI, TC and dimKL, and log q(z_i|n_i) - log p(z_i).
type tcReference struct{ mi, tc, dimKL, kl []float64 }

func referenceTC(mean, logVar, z [][]float64, datasetSize int, estimator string) tcReference {
	var r tcReference
	m, n := len(mean), float64(datasetSize)
	// log w_ij, the weight of example j's posterior in the estimate of q(z_i).
	logWeight := func(i, j int) float64 {
		switch {
		case estimator == "mws":
			return -math.Log(n * float64(m))
		case i == j: // The sample's own posterior stands for itself.
			return -math.Log(n)
		case j == (i+1)%m: // One of the others also for what the batch leaves out.
			return math.Log((n - float64(m-1)) / (n * float64(m-1)))
		}
		return -math.Log(float64(m - 1))
	}
	for i := range m {
		var logQzx, logPz, sumLogQzd float64
		joint := make([]float64, m) // log w_ij + log q(z_i|n_j).
		for j := range m {
			joint[j] = logWeight(i, j)
		}
		for d := range z[i] {
			logQzx += logNormal(z[i][d], mean[i][d], logVar[i][d])
			logPz += logNormal(z[i][d], 0, 0)
			perDim := make([]float64, m) // log w_ij + log q(z_id|n_j).
			for j := range m {
				q := logNormal(z[i][d], mean[j][d], logVar[j][d])
				perDim[j] = logWeight(i, j) + q
				joint[j] += q
			}
			sumLogQzd += logSumExp(perDim)
		}
		logQz := logSumExp(joint)
		r.mi = append(r.mi, logQzx-logQz)
		r.tc = append(r.tc, logQz-sumLogQzd)
		r.dimKL = append(r.dimKL, sumLogQzd-logPz)
		r.kl = append(r.kl, logQzx-logPz)
	}
	return r
}

// randomPosteriors draws m posteriors of d dimensions and a z from each.
func randomPosteriors(rng *rand.Rand, m, d int, spread float64) (mean, logVar, z [][]float64) {
	for range m {
		mu, lv, zi := make([]float64, d), make([]float64, d), make([]float64, d)
		for j := range d {
			// Rounded to float32, so that the graph gets exactly these values.
			mu[j] = float64(float32(spread * rng.NormFloat64()))
			lv[j] = float64(float32(rng.Float64()*3 - 2))
			zi[j] = float64(float32(mu[j] + math.Exp(lv[j]/2)*rng.NormFloat64()))
		}
		mean, logVar, z = append(mean, mu), append(logVar, lv), append(z, zi)
	}
	return mean, logVar, z
}

func rowsFloat32(rows [][]float64) [][]float32 {
	out := make([][]float32, len(rows))
	for i, row := range rows {
		for _, v := range row {
			out[i] = append(out[i], float32(v))
		}
	}
	return out
}

// The graph's per-example MI, TC and dimKL of a random batch (M=5, D=3, N=100) against
// the reference, for both estimators, and their sum against log q(z|x) - log p(z).
func TestTCDecompositionGraph(t *testing.T) {
	const batch, latent, datasetSize = 5, 3, 100
	mean, logVar, z := randomPosteriors(rand.New(rand.NewPCG(3, 4)), batch, latent, 1.5)
	for _, estimator := range knownTCEstimators {
		want := referenceTC(mean, logVar, z, datasetSize, estimator)
		outs := MustExecOnceN(testBackend(t), func(mean, logVar, z *Node) []*Node {
			mi, tc, dimKL := tcDecomposition(mean, logVar, z, datasetSize, estimator)
			return []*Node{mi, tc, dimKL}
		}, tensors.FromValue(rowsFloat32(mean)), tensors.FromValue(rowsFloat32(logVar)), tensors.FromValue(rowsFloat32(z)))
		got := make([][]float32, 3)
		for k := range got {
			got[k] = tensors.MustCopyFlatData[float32](outs[k])
		}
		worst := 0.0
		for i := range batch {
			for k, w := range [][]float64{want.mi, want.tc, want.dimKL} {
				diff := math.Abs(float64(got[k][i]) - w[i])
				worst = max(worst, diff)
				if diff > 1e-4*max(1, math.Abs(w[i])) {
					t.Errorf("%s, example %d: %s %.6f, reference %.6f", estimator, i, []string{"MI", "TC", "dimKL"}[k], got[k][i], w[i])
				}
			}
			sum := float64(got[0][i]) + float64(got[1][i]) + float64(got[2][i])
			if math.Abs(sum-want.kl[i]) > 1e-4*max(1, math.Abs(want.kl[i])) {
				t.Errorf("%s, example %d: MI + TC + dimKL = %.6f, log q(z|x) - log p(z) = %.6f", estimator, i, sum, want.kl[i])
			}
		}
		t.Logf("%s, example 0: MI %.4f TC %.4f dimKL %.4f (reference %.4f %.4f %.4f), sum %.4f = log q(z|x) - log p(z) %.4f; largest difference %.2g",
			estimator, got[0][0], got[1][0], got[2][0], want.mi[0], want.tc[0], want.dimKL[0], float64(got[0][0])+float64(got[1][0])+float64(got[2][0]), want.kl[0], worst)
	}
}

// Each row of the stratified weights sums to 1: the batch stands for the whole data set.
func TestMSSWeightsSumToOne(t *testing.T) {
	for _, c := range []struct{ batch, n int }{{5, 100}, {64, 60000}, {2, 10}} {
		for i, row := range mssWeights(c.batch, c.n) {
			sum := 0.0
			for _, lw := range row {
				sum += math.Exp(float64(lw))
			}
			if math.Abs(sum-1) > 1e-6 || math.Abs(float64(row[i])+math.Log(float64(c.n))) > 1e-5 {
				t.Errorf("batch %d of %d: row %d sums to %.8f with its own weight exp(%g), expected 1 and 1/N", c.batch, c.n, i, sum, row[i])
			}
		}
	}
}

// tcvaeConfig is a small beta-TCVAE with weights that tell the three parts apart.
func tcvaeConfig(t *testing.T, settings string) Config {
	t.Helper()
	cfg := smallConfig()
	if err := cfg.Set("objective=beta_tcvae;" + settings); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The loss modelFn trains on, for one batch in evaluation and in training, against the
// hand computation of objective_test.go (the model's weights and random draws in
// float64) with the reference estimate above: the mean of the reconstruction term +
// alpha MI + beta TC + gamma dimKL. With alpha = beta = gamma = 1 it is the ELBO with a
// one-sample KL, log q(z|x) - log p(z), whatever N.
func TestTCVAEObjective(t *testing.T) {
	const completed = 7
	images := fixedBatch(8, 3)
	for _, settings := range []string{
		"tc_alpha=0.5;tc_beta=6;tc_gamma=2;dataset_size=100",
		"tc_alpha=0.5;tc_beta=6;tc_gamma=2;dataset_size=100;tc_estimator=mss",
		"tc_alpha=1;tc_beta=1;tc_gamma=1;dataset_size=60000",
		"tc_alpha=0;tc_beta=3;tc_gamma=1;dataset_size=40;binarize=dynamic;dropout=0.2",
	} {
		cfg := tcvaeConfig(t, settings)
		for _, training := range []bool{false, true} {
			m, err := NewModel(cfg)
			if err != nil {
				t.Fatal(err)
			}
			run := newModelFnRunner(t, m, training, images)
			spreadPosterior(t, m)
			got, hand := run.runTCVAE(t, images, completed)
			if !closeTo(got.loss, hand.loss) {
				t.Errorf("%s, training %v: loss %.5f, by hand %.5f", settings, training, got.loss, hand.loss)
			}
			for i := range hand.nll { // The curves' terms stay the ELBO's.
				if !closeTo(float64(got.nll[i]), hand.nll[i]) {
					t.Errorf("%s: example %d: -log p(x|z) %.5f, by hand %.5f", settings, i, got.nll[i], hand.nll[i])
				}
			}
			if cfg.TCAlpha == 1 && cfg.TCBeta == 1 && cfg.TCGamma == 1 && !closeTo(got.loss, hand.elboLoss) {
				t.Errorf("%s: loss %.5f, the ELBO's with a one-sample KL %.5f", settings, got.loss, hand.elboLoss)
			}
			t.Logf("%s, training %v: loss %.4f, by hand %.4f (reconstruction %.4f; MI %.4f TC %.4f dimKL %.4f; one-sample ELBO loss %.4f)",
				settings, training, got.loss, hand.loss, hand.recon, hand.mi, hand.tc, hand.dimKL, hand.elboLoss)
		}
	}
}

// tcvaeHand is the hand computation of a beta-TCVAE batch: batch means of its terms.
type tcvaeHand struct {
	nll                        []float64
	loss, recon, mi, tc, dimKL float64
	elboLoss                   float64 // Reconstruction + log q(z|x) - log p(z).
}

// runTCVAE runs modelFn after `completed` steps and computes the same by hand, drawing
// the model's random numbers in the graph's order: binarisation, encoder dropout, eps,
// decoder dropout.
func (r *modelFnRunner) runTCVAE(t *testing.T, images [][]float32, completed int) (modelFnOutputs, tcvaeHand) {
	t.Helper()
	if err := optimizer.GetGlobalStepVar(r.m.store).SetValue(tensors.FromValue(int64(completed))); err != nil {
		t.Fatal(err)
	}
	h := &handModel{t: t, cfg: r.m.Config, weights: hostWeights(t, r.m), training: r.training, draws: newRNGReplay(t, r.m)}
	got := r.run(t, images)
	inputs := h.binarise(images)
	mean, logVar := h.encode(inputs)
	z := h.sample(mean, logVar)
	recon, nll := h.reconstruction(inputs, h.decode(z))
	ref := referenceTC(mean, logVar, z, r.m.Config.DatasetSize, r.m.Config.TCEstimator)
	cfg := &r.m.Config
	hand := tcvaeHand{nll: nll, recon: mean64(recon), mi: mean64(ref.mi), tc: mean64(ref.tc), dimKL: mean64(ref.dimKL)}
	hand.loss = hand.recon + cfg.TCAlpha*hand.mi + cfg.TCBeta*hand.tc + cfg.TCGamma*hand.dimKL
	hand.elboLoss = hand.recon + mean64(ref.kl)
	return got, hand
}

// A small beta-TCVAE trains, conditional or not, with finite losses that fall; Train
// takes dataset_size from the training set when it is 0 and keeps one set by hand. N
// shifts the loss by a constant only: N = 256 and N = 60,000 train the same weights.
func TestTCVAETrains(t *testing.T) {
	trainSet, heldOut := syntheticSet(256, 11), syntheticSet(64, 12)
	byN := map[int]Record{}
	for _, settings := range []string{"tc_beta=6", "tc_beta=6;condition=label", "tc_beta=6;dataset_size=60000"} {
		cfg := tcvaeConfig(t, settings+";train_steps=40;eval_every=20")
		m, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
		if err != nil {
			t.Fatalf("%s: %v", settings, err)
		}
		wantN := 256
		if cfg.DatasetSize != 0 {
			wantN = cfg.DatasetSize
		}
		if m.Config.DatasetSize != wantN {
			t.Errorf("%s: dataset_size %d after Train, want %d", settings, m.Config.DatasetSize, wantN)
		}
		first, last := m.History[0], m.History[len(m.History)-1]
		for _, r := range m.History {
			for _, v := range []float64{r.StepLoss, r.Train.Loss, r.HeldOut.Loss, r.HeldOut.Reconstruction, r.HeldOut.KL} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("%s: step %d: a term is %v: %+v", settings, r.Step, v, r)
				}
			}
		}
		if last.StepLoss >= first.StepLoss {
			t.Errorf("%s: the step loss went from %.2f to %.2f; expected it to fall", settings, first.StepLoss, last.StepLoss)
		}
		t.Logf("%s: step loss %.2f -> %.2f; held-out loss %.2f, reconstruction %.2f, KL %.3f", settings, first.StepLoss, last.StepLoss, last.HeldOut.Loss, last.HeldOut.Reconstruction, last.HeldOut.KL)
		if !cfg.Conditional() {
			byN[m.Config.DatasetSize] = last
		}
	}
	a, b := byN[256], byN[60000]
	if a.HeldOut.Reconstruction != b.HeldOut.Reconstruction || a.HeldOut.KL != b.HeldOut.KL || a.HeldOut.Loss == b.HeldOut.Loss {
		t.Errorf("N = 256 and 60,000: held-out terms %+v and %+v; want the same reconstruction and KL (the same weights), other losses", a.HeldOut, b.HeldOut)
	}
}

// A beta-TCVAE made with NewModel has no training set to take dataset_size from: Fit and
// evaluation say what is missing instead of computing with N = 0.
func TestTCVAENeedsDatasetSize(t *testing.T) {
	cfg := tcvaeConfig(t, "train_steps=4")
	m, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	trainSet, heldOut := syntheticSet(64, 1), syntheticSet(32, 2)
	want := "objective=beta_tcvae needs dataset_size, the training set's size"
	if err := m.Fit(trainSet, heldOut, TrainOptions{Quiet: true}); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "set dataset_size=64") {
		t.Errorf("Fit without dataset_size: %v; want an error saying %q and dataset_size=64", err, want)
	}
	if _, err := m.evaluate(heldOut); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("evaluate without dataset_size: %v; want %q", err, want)
	}
	// The graph itself refuses too, for any other way to build it.
	m.getTrainer()
	ds, err := m.evalDataset(heldOut, "eval")
	if err != nil {
		t.Fatal(err)
	}
	defer ds.FinalizeAll()
	if _, err := m.evaluateDS(ds); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("the graph without dataset_size: %v; want %q", err, want)
	}
	cfg.DatasetSize = 64
	set, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Fit(trainSet, heldOut, TrainOptions{Quiet: true}); err != nil {
		t.Errorf("Fit with dataset_size=64: %v", err)
	}
	// A training set smaller than a batch is named as such, not as a dataset_size.
	cfg.DatasetSize, cfg.BatchSize = 0, 128
	if _, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true}); err == nil || !strings.Contains(err.Error(), "the training set has 64 images, fewer than batch_size=128") {
		t.Errorf("Train on 64 images with batch_size=128: %v", err)
	}
}

// TrainOrLoad takes dataset_size from the training data before it names the cache's
// entry: the same Config and data load the model the first call trained, and a set of
// another size is another model.
func TestTCVAETrainOrLoad(t *testing.T) {
	t.Setenv("VAEKIT_MODELS", t.TempDir())
	cfg := tcvaeConfig(t, "tc_beta=6;train_steps=8;eval_every=0")
	heldOut := syntheticSet(32, 2)
	first, err := TrainOrLoad(cfg, syntheticSet(96, 1), heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	again, err := TrainOrLoad(cfg, syntheticSet(96, 1), heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	other, err := TrainOrLoad(cfg, syntheticSet(128, 1), heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if first.Config.DatasetSize != 96 || again.trainer != nil || again.Config.Hash() != first.Config.Hash() {
		t.Errorf("dataset_size %d (want 96); the second call trained again: %v", first.Config.DatasetSize, again.trainer != nil)
	}
	if other.Config.DatasetSize != 128 || other.Config.Hash() == first.Config.Hash() {
		t.Errorf("128 images: dataset_size %d, hash %s (96 images: %s)", other.Config.DatasetSize, other.Config.Hash(), first.Config.Hash())
	}
}

// The memory estimate counts the beta-TCVAE's pairs of samples and posteriors, which grow
// with the batch's square: more than the ELBO's model by what was measured at batch 1000,
// latent_dim 20 (about 150 MB more at an evaluation, 315 MB in a training step, on the Go
// backend), and a batch of 100,000 is refused naming the setting.
func TestTCVAEMemoryEstimate(t *testing.T) {
	elbo := smallConfig()
	elbo.LatentDim, elbo.BatchSize, elbo.EvalBatchSize = 20, 1000, 1000
	tc := elbo.Clone()
	tc.Objective = "beta_tcvae"
	for _, training := range []bool{false, true} {
		more := EstimateMemory(tc, MemoryUse{Training: training}).Total() - EstimateMemory(elbo, MemoryUse{Training: training}).Total()
		measured := map[bool]float64{false: 150e6, true: 315e6}[training]
		t.Logf("training %v: the estimate adds %s for beta_tcvae (measured about %s)", training, ByteSize(more), ByteSize(measured))
		if more < measured || more > 3*measured {
			t.Errorf("training %v: the estimate adds %s for beta_tcvae, measured about %s", training, ByteSize(more), ByteSize(measured))
		}
	}
	tc.BatchSize, tc.EvalBatchSize = 32, 100_000
	_, err := Train(tc, syntheticSet(64, 1), syntheticSet(16, 2), TrainOptions{Quiet: true, MemoryLimit: MemoryLimit{Bytes: 16 << 30, Source: "16 GiB"}})
	var mem *MemoryError
	if !errors.As(err, &mem) || !strings.Contains(err.Error(), "eval_batch_size=100000") {
		t.Errorf("beta_tcvae with eval_batch_size=100000: %v; want a *MemoryError naming it", err)
	}
}
