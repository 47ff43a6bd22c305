package vaekit

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/internal/workarounds"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit/data"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
)

// smallConvConfig is the TensorFlow tutorial's convolutional VAE (strides, kernel, heads,
// log-std posterior, SSE + KL, dropout 0.2), narrowed to 8 filters to train quickly.
func smallConvConfig() Config {
	cfg := smallConfig()
	cfg.Architecture = "conv"
	cfg.ConvFilters = 8
	cfg.LatentDim = 8
	cfg.Activation = "leaky_relu"
	cfg.Dropout = 0.2
	cfg.Posterior = "log_std"
	cfg.Reconstruction = "sse"
	cfg.LearningRate = 5e-4
	cfg.BatchSize = 16
	cfg.Steps = 40
	cfg.EvalEvery = 20
	return cfg
}

// familyVariants are edits of smallConfig covering every architecture, activation,
// posterior, reconstruction term, initializer and optimizer.
func familyVariants() map[string]func(*Config) {
	conv := smallConvConfig()
	return map[string]func(*Config){
		"conv tutorial": func(c *Config) { *c = conv },
		"mlp tanh rmsprop bernoulli": func(c *Config) {
			c.Activation, c.Optimizer, c.HiddenDims = "tanh", "rmsprop", []int{64}
		},
		"mlp tanh rmsprop_tf1 tf1_glorot_init": func(c *Config) {
			c.Activation, c.Optimizer, c.Initializer, c.HiddenDims = "tanh", "rmsprop_tf1", "tf1_glorot_init", []int{64}
		},
		"mlp rmsprop_keras keras": func(c *Config) { c.Optimizer, c.Initializer = "rmsprop_keras", "keras" },
		"mlp heads on the code":   func(c *Config) { c.PosteriorHeads, c.Reconstruction = "code", "sse" },
		"mlp ae with a code layer": func(c *Config) {
			c.Model, c.PosteriorHeads, c.Reconstruction = "ae", "code", "sse"
		},
		"mlp relu bernoulli_mean kl mean": func(c *Config) {
			c.Reconstruction, c.KLReduction, c.KLWeight, c.HiddenDims = "bernoulli_mean", "mean", 0.1, []int{32, 32}
		},
		"mlp leaky log_std gaussian dropout": func(c *Config) {
			c.Activation, c.Posterior, c.Reconstruction, c.Dropout = "leaky_relu", "log_std", "gaussian", 0.1
		},
		"mlp warm-up free bits": func(c *Config) { c.KLWarmupSteps, c.FreeBits = 20, 1.5 },
		"conv ae":               func(c *Config) { *c = conv; c.Model = "ae"; c.Dropout = 0 },
	}
}

// Every architecture, activation, posterior, reconstruction term and optimizer trains on
// the go backend: the held-out loss falls and the model round-trips through Save/Load.
func TestModelFamilyTrains(t *testing.T) {
	trainSet, heldOut := syntheticSet(256, 11), syntheticSet(64, 12)
	for name, edit := range familyVariants() {
		t.Run(name, func(t *testing.T) {
			cfg := smallConfig()
			edit(&cfg)
			m, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
			if err != nil {
				t.Fatal(err)
			}
			first, last := m.History[0].HeldOut, m.History[len(m.History)-1].HeldOut
			start := untrainedTerms(t, cfg, heldOut)
			if !(last.NegELBO < start.NegELBO) || math.IsNaN(last.NegELBO) {
				t.Errorf("held-out negative ELBO %.2f (step %d) -> %.2f (step %d) from %.2f untrained: expected a fall",
					first.NegELBO, m.History[0].Step, last.NegELBO, m.GlobalStep(), start.NegELBO)
			}
			images := heldOut.Head(3)
			recon, err := m.Reconstruct(images)
			if err != nil || recon.N != 3 || recon.Height*recon.Width != 784 || len(recon.Images) != 3*784 {
				t.Fatalf("Reconstruct: %+v, err %v", recon, err)
			}
			// Inference is deterministic (no dropout, posterior mean) and survives Save/Load.
			again, err := savedCopy(t, m).Reconstruct(images)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(recon.Images, again.Images) {
				t.Fatal("the reconstruction differs after Save/Load (or inference is random)")
			}
		})
	}
}

// The conv encoder and decoder have the tutorial's layer shapes; counted by hand:
// encoder convs 4*4*1*F+F, 2x (4*4*F*F+F), heads 2x (7*7*F*L+L); decoder dense L*24+24,
// 24*49+49, deconvs 4*4*1*F+F, 2x (4*4*F*F+F), output 14*14*F*784+784.
func TestConvParameterCount(t *testing.T) {
	cfg := smallConvConfig()
	m, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.evaluate(syntheticSet(8, 1)); err != nil {
		t.Fatal(err)
	}
	F, L := cfg.ConvFilters, cfg.LatentDim
	conv := func(in int) int { return 16*in*F + F }
	want := conv(1) + 2*conv(F) + 2*(49*F*L+L) + (L*24 + 24) + (24*49 + 49) + conv(1) + 2*conv(F) + (196*F*784 + 784)
	if got, err := m.NumParameters(); err != nil || got != want {
		t.Errorf("conv VAE has %d parameters, want %d (err %v)", got, want, err)
	}
}

// Dropout: in training, a fraction `rate` of values is zeroed and the rest scaled by
// 1/(1-rate), keeping the mean; outside training it is the identity.
func TestDropout(t *testing.T) {
	const n, rate = 100_000, 0.2
	for _, training := range []bool{true, false} {
		store := model.NewStore()
		if err := store.SetRNGStateFromSeed(3); err != nil {
			t.Fatal(err)
		}
		out, err := model.CallOnceN(testBackend(t), store, func(scope *model.Scope, g *Graph) []*Node {
			workarounds.SetTraining(g, training)
			return []*Node{Dropout(scope, Ones(g, shapesOf(n)), rate)}
		})
		if err != nil {
			t.Fatal(err)
		}
		values := tensors.MustCopyFlatData[float32](out[0])
		zeros, sum := 0, 0.0
		for _, v := range values {
			if v == 0 {
				zeros++
			} else if training && math.Abs(float64(v)-1/(1-rate)) > 1e-6 {
				t.Fatalf("kept value %g, want %g", v, 1/(1-rate))
			}
			sum += float64(v)
		}
		frac, mean := float64(zeros)/n, sum/n
		if training && (math.Abs(frac-rate) > 0.01 || math.Abs(mean-1) > 0.01) {
			t.Errorf("training: %.4f zeroed (want %.2f), mean %.4f (want 1)", frac, rate, mean)
		}
		if !training && (zeros != 0 || mean != 1) {
			t.Errorf("inference: %d zeroed, mean %g: expected the identity", zeros, mean)
		}
	}
}

// Active units (Burda et al.): a plain autoencoder uses every unit; a VAE whose KL weight
// is far too large collapses every unit onto the prior.
func TestActiveUnits(t *testing.T) {
	trainSet, heldOut := syntheticSet(512, 21), syntheticSet(200, 22)
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want int
	}{
		{"autoencoder", func(c *Config) { c.Model = "ae" }, 4},
		{"over-regularised VAE (beta 50)", func(c *Config) { c.KLWeight = 50 }, 0},
	} {
		cfg := smallConfig()
		cfg.Steps, cfg.EvalEvery, cfg.LearningRate = 300, 0, 3e-3
		tc.edit(&cfg)
		m, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
		if err != nil {
			t.Fatal(err)
		}
		metrics, err := m.Measure(heldOut, MeasureOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: activity %.4g", tc.name, metrics.Activity)
		if metrics.ActiveUnits != tc.want {
			t.Errorf("%s: %d active units (activity %.4g), want %d", tc.name, metrics.ActiveUnits, metrics.Activity, tc.want)
		}
	}
}

// UnitActivity, klPerDim, ReconstructionMSE and PosteriorStdStats against hand values.
func TestMetricHelpers(t *testing.T) {
	means := [][]float32{{0, 1, 0.3}, {0.2, -1, 0.3}, {0.4, 0, 0.3}}
	activity, err := UnitActivity(means)
	if err != nil {
		t.Fatal(err)
	}
	count := countActive(activity)
	// Variances (population): dim 0: mean 0.2, var 0.08/3; dim 1: 2/3; dim 2: 0.
	want := []float64{0.08 / 3, 2.0 / 3, 0}
	for j := range want {
		if math.Abs(activity[j]-want[j]) > 1e-6 {
			t.Errorf("activity[%d] = %g, want %g", j, activity[j], want[j])
		}
	}
	if count != 2 {
		t.Errorf("active units %d, want 2", count)
	}
	logVars := [][]float32{{0, float32(math.Log(0.25)), 0}, {0, 0, 0}, {0, 0, float32(math.Log(4))}}
	kl, err := klPerDim(means, logVars)
	if err != nil {
		t.Fatal(err)
	}
	klOne := func(mu, v float64) float64 { return 0.5 * (v + mu*mu - 1 - math.Log(v)) }
	wantKL := []float64{
		(klOne(0, 1) + klOne(0.2, 1) + klOne(0.4, 1)) / 3,
		(klOne(1, 0.25) + klOne(-1, 1) + klOne(0, 1)) / 3,
		(klOne(0.3, 1) + klOne(0.3, 1) + klOne(0.3, 4)) / 3,
	}
	for j := range wantKL {
		if math.Abs(kl[j]-wantKL[j]) > 1e-6 {
			t.Errorf("KLPerDim[%d] = %g, want %g", j, kl[j], wantKL[j])
		}
	}
	images, _ := data.FromImages([][]float32{{0, 1}, {0.5, 0.5}}, 1, 2)
	recons, _ := data.FromImages([][]float32{{0.5, 1}, {0.5, 0}}, 1, 2)
	if got, err := ReconstructionMSE(images, recons); err != nil || math.Abs(got-0.125) > 1e-9 {
		t.Errorf("ReconstructionMSE = %g, %v; want 0.125", got, err)
	}
	s, err := PosteriorStdStats(logVars)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(s.Min-0.5) > 1e-6 || math.Abs(s.Max-2) > 1e-6 || math.Abs(s.Mean-(7+0.5+2)/9) > 1e-6 ||
		math.Abs(s.PerDim[1]-(0.5+1+1)/3) > 1e-6 || len(s.Values) != 9 {
		t.Errorf("PosteriorStdStats = %+v", s)
	}
}

func shapesOf(n int) shapes.Shape { return shapes.Make(dtypes.Float32, n) }

// Without the KL term nothing holds sigma up: the posterior standard deviation recorded at
// each evaluation falls, and the VAE degenerates into an autoencoder. With it, sigma stays
// near 1 for the unused dimensions.
func TestHistoryRecordsPosteriorCollapseDiagnostics(t *testing.T) {
	trainSet, heldOut := syntheticSet(512, 31), syntheticSet(128, 32)
	cfg := smallConfig()
	cfg.KLWeight, cfg.Steps, cfg.EvalEvery, cfg.LearningRate = 0, 300, 100, 3e-3
	m, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	var stds []float64
	for _, r := range m.History {
		stds = append(stds, r.PosteriorStdMean)
	}
	if len(stds) != 3 || !(stds[0] > stds[1] && stds[1] > stds[2]) || stds[2] > 0.2 || m.History[2].ActiveUnits != 4 {
		t.Errorf("kl_weight=0: posterior std over evaluations %v, active units %d: expected a fall below 0.2, 4 active", stds, m.History[2].ActiveUnits)
	}
	cfg.KLWeight = 1
	m, err = Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if last := m.History[len(m.History)-1].PosteriorStdMean; last < 3*stds[2] {
		t.Errorf("kl_weight=1: posterior std %.3f, kl_weight=0: %.3f: expected the KL term to keep it several times higher", last, stds[2])
	}
	t.Logf("posterior std: kl_weight=0 %v; kl_weight=1 %.3f", stds, m.History[len(m.History)-1].PosteriorStdMean)
}

// Ragged or empty input to the metric helpers is an error naming the argument, not a panic.
func TestMetricHelpersRejectBadInput(t *testing.T) {
	ragged := [][]float32{{1, 2}, {3}}
	for name, call := range map[string]func() error{
		"CodeStats(nil)":          func() error { _, _, err := CodeStats(nil); return err },
		"CodeStats(ragged)":       func() error { _, _, err := CodeStats(ragged); return err },
		"UnitActivity(ragged)":    func() error { _, err := UnitActivity(ragged); return err },
		"klPerDim(shapes differ)": func() error { _, err := klPerDim([][]float32{{1, 2}}, [][]float32{{1}}); return err },
		"klPerDim(rows differ)":   func() error { _, err := klPerDim([][]float32{{1}, {2}}, [][]float32{{1}}); return err },
		"ReconstructionMSE": func() error {
			a, _ := data.FromImages([][]float32{{1, 2}}, 1, 2)
			b, _ := data.FromImages([][]float32{{1, 2, 3}}, 1, 3)
			_, err := ReconstructionMSE(a, b)
			return err
		},
		"PosteriorStdStats(nil)": func() error { _, err := PosteriorStdStats(nil); return err },
		"MeanPosteriorStd":       func() error { _, err := MeanPosteriorStd(ragged); return err },
	} {
		if err := call(); err == nil || !strings.Contains(err.Error(), "vaekit: ") {
			t.Errorf("%s: error %v, expected a vaekit error", name, err)
		}
	}
}
