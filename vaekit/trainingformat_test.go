package vaekit

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
)

// trainingFingerprints are the terms a few short training runs give (fingerprintConfigs),
// recorded under TrainingFormat Format. They change when what a Config trains to
// changes: a loss term, an initialiser, an optimiser, the data pipeline, the random draws.
var trainingFingerprints = struct {
	Format int
	Runs   map[string][]float64
}{
	Format: 1,
	Runs: map[string][]float64{
		// beta-tcvae was recorded when objective=beta_tcvae was added (no earlier models of it).
		"beta-tcvae":     {590.696503, 537.913208, 0.0184172131, 538.983521, 0.01861066, 579.587982, 527.632996, 0.0381854475, 528.708862, 0.035923183},
		"ae-sse":         {167.515579, 610.090454, 0, 610.125122, 0, 158.806274, 597.300903, 0, 597.600647, 0},
		"conv-gaussian":  {802.207977, 795.637329, 0.000713149086, 795.728638, 0.000719997101, 793.310974, 785.880615, 0.000131325796, 785.999146, 0.000123041682},
		"cvae-kl-tricks": {544.914276, 539.385254, 0.0211172123, 539.058655, 0.0238971636, 538.904724, 532.414246, 0.0367209464, 533.031372, 0.0392268673},
		"iwae-burda":     {544.267456, 542.562134, 0.563905001, 544.259521, 0.476566732, 539.306519, 537.438721, 0.869349539, 538.195435, 0.628804207},
		"mlp-default":    {546.978607, 537.895508, 0.0195068568, 538.940796, 0.0189972315, 535.9133, 527.70282, 0.0411485136, 528.733704, 0.0382482074},
		"mlp-keras-tf2":  {0.984169304, 685.357666, 0.0240154713, 714.493652, 0.0631221235, 0.90004915, 710.015381, 0.0152689628, 658.984009, 0.047379829},
		"mlp-tf1":        {654.846039, 627.338135, 1.91629195, 632.743896, 2.12071991, 629.025848, 604.851562, 1.09215975, 611.562378, 1.30779374},
	},
}

// fingerprintConfigs are small models that between them use every setting that changes
// what is trained: each architecture, objective, reconstruction term, initialiser,
// optimiser, binarisation, schedule and KL variant.
func fingerprintConfigs() map[string]Config {
	base := smallConfig()
	base.BatchSize, base.Steps, base.EvalEvery, base.EvalBatchSize = 16, 4, 2, 32
	runs := map[string]string{
		"mlp-default":    "",
		"mlp-tf1":        "latent_dim=2;activation=tanh;optimizer=rmsprop_tf1;initializer=tf1_glorot_init",
		"iwae-burda":     "objective=iwae;iwae_samples=5;binarize=dynamic;lr_schedule=iwae;initializer=keras;adam_epsilon=1e-4;activation=tanh",
		"cvae-kl-tricks": "condition=label;kl_warmup_steps=3;free_bits=0.25;posterior=log_std",
		"ae-sse":         "model=ae;reconstruction=sse;optimizer=rmsprop_keras",
		"mlp-keras-tf2":  "posterior_heads=code;binarize=static;reconstruction=bernoulli_mean;kl_reduction=mean;kl_weight=0.2;initializer=gomlx;dropout=0.2",
		"conv-gaussian":  "architecture=conv;conv_filters=8;conv_dense=8;activation=leaky_relu;reconstruction=gaussian;dropout=0.2;posterior=log_std",
		"beta-tcvae":     "objective=beta_tcvae;tc_alpha=0.5;tc_beta=6;tc_gamma=2",
	}
	out := map[string]Config{}
	for name, settings := range runs {
		cfg := base.Clone()
		if settings != "" {
			if err := cfg.Set(settings); err != nil {
				panic(fmt.Sprintf("fingerprint config %s: %v", name, err))
			}
		}
		out[name] = cfg
	}
	return out
}

// fingerprint trains cfg a few steps on fixed synthetic images and returns, for each
// evaluation, the steps' mean loss and the train and held-out terms.
func fingerprint(t *testing.T, cfg Config) []float64 {
	t.Helper()
	m, err := Train(cfg, syntheticSet(64, 7), syntheticSet(32, 8), TrainOptions{Quiet: true, TrainEvalSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	for _, r := range m.History {
		out = append(out, r.StepLoss, r.Train.Reconstruction, r.Train.KL, r.HeldOut.Reconstruction, r.HeldOut.KL)
	}
	return out
}

// TestTrainingFingerprints fails when what a model trains to changes while TrainingFormat
// stays: cached models and committed notebooks would then pass for today's code's.
func TestTrainingFingerprints(t *testing.T) {
	configs := fingerprintConfigs()
	names := make([]string, 0, len(configs))
	for name := range configs {
		names = append(names, name)
	}
	sort.Strings(names)
	got := map[string][]float64{}
	var changed []string
	worst := 0.0
	for _, name := range names {
		got[name] = fingerprint(t, configs[name])
		want, ok := trainingFingerprints.Runs[name]
		if !ok || !sameFingerprint(got[name], want) {
			changed = append(changed, fmt.Sprintf("%s: trained to %v, recorded %v", name, got[name], want))
			continue
		}
		worst = max(worst, fingerprintDeviation(got[name], want))
	}
	t.Logf("largest relative deviation from the recorded fingerprints: %.2g (tolerance %g)", worst, fingerprintTolerance)
	if len(changed) == 0 && trainingFingerprints.Format == TrainingFormat {
		return
	}
	var record strings.Builder
	fmt.Fprintf(&record, "\tFormat: %d,\n\tRuns: map[string][]float64{\n", TrainingFormat)
	for _, name := range names {
		fmt.Fprintf(&record, "\t\t%q: {%s},\n", name, floatList(got[name]))
	}
	record.WriteString("\t},\n")
	switch {
	case trainingFingerprints.Format != TrainingFormat:
		t.Fatalf("TrainingFormat is %d, but trainingFingerprints were recorded under format %d: record today's in trainingformat_test.go:\n%s",
			TrainingFormat, trainingFingerprints.Format, record.String())
	default:
		t.Fatalf("what a model trains to changed, but TrainingFormat is still %d:\n  %s\n"+
			"If the change is meant: bump TrainingFormat to %d in vaekit/trainingformat.go, record these fingerprints in trainingformat_test.go (with Format: %d), and regenerate the notebooks from an empty model cache (scripts/refresh_notebooks.sh --from-scratch):\n%s",
			TrainingFormat, strings.Join(changed, "\n  "), TrainingFormat+1, TrainingFormat+1, strings.Replace(record.String(), fmt.Sprintf("Format: %d", TrainingFormat), fmt.Sprintf("Format: %d", TrainingFormat+1), 1))
	}
}

// sameFingerprint compares two runs' terms up to float32 rounding, which differs between
// CPUs' kernels (AVX2, AVX-512) and with GOEXPERIMENT=simd on or off.
func sameFingerprint(a, b []float64) bool {
	return len(a) == len(b) && fingerprintDeviation(a, b) <= fingerprintTolerance
}

// fingerprintDeviation is the largest relative difference between a's and b's terms
// (relative to at least 0.01: a KL near 0 is compared in absolute terms).
func fingerprintDeviation(a, b []float64) float64 {
	worst := 0.0
	for i := range a {
		worst = max(worst, math.Abs(a[i]-b[i])/math.Max(math.Abs(b[i]), 1e-2))
	}
	return worst
}

// fingerprintTolerance is relative. Float32 rounding moved these terms by up to 4.5e-6
// between GOEXPERIMENT=simd and the plain Go kernels (measured on an AMD EPYC with
// AVX-512); a change to a loss term moves them by its own relative size (scaling the KL
// term by 1.001 fails the test).
const fingerprintTolerance = 1e-4

func floatList(values []float64) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("%.9g", v)
	}
	return strings.Join(parts, ", ")
}
