package vaekit

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit/data"
)

// concat joins two sets of images into one.
func concat(a, b *data.Set) *data.Set {
	out := *a
	out.N = a.N + b.N
	out.Images = append(append([]float32{}, a.Images...), b.Images...)
	out.Labels = append(append([]uint8{}, a.Labels...), b.Labels...)
	return &out
}

// Evaluate must average over every batch of the data set, and must score the current
// weights, also after more training. On the go backend GoMLX embeds variables as
// constants in graphs built outside training, which would break both (metric
// accumulators stuck at their initial value, weights frozen at compile time).
// The autoencoder makes the scores deterministic (no sampled z).
func TestEvaluateAveragesBatchesAndTracksTraining(t *testing.T) {
	cfg := smallConfig()
	cfg.Model = "ae"
	cfg.EvalBatchSize = 32
	cfg.Steps = 10
	trainSet := syntheticSet(256, 19)
	a, b := syntheticSet(32, 20), syntheticSet(32, 21)
	for i := range b.Images {
		b.Images[i] *= 0.3 // A different kind of image, so the halves score differently.
	}
	both := concat(a, b)
	m, err := Train(cfg, trainSet, both, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	score := func(s *data.Set) float64 {
		terms, err := m.evaluate(s)
		if err != nil {
			t.Fatal(err)
		}
		return terms.Reconstruction
	}
	sa, sb, sBoth := score(a), score(b), score(both)
	if math.Abs(sBoth-(sa+sb)/2) > 1e-3*sBoth || math.Abs(sa-sb) < 1 {
		t.Errorf("Evaluate: halves %.3f and %.3f, whole %.3f: expected the whole to be their mean", sa, sb, sBoth)
	}
	last := m.History[len(m.History)-1].HeldOut.Reconstruction
	if math.Abs(last-sBoth) > 1e-3*sBoth {
		t.Errorf("held-out score in the history %.3f, Evaluate %.3f", last, sBoth)
	}

	m.Config.Steps = 40
	if err := m.Fit(trainSet, both, TrainOptions{Quiet: true}); err != nil {
		t.Fatal(err)
	}
	after := score(a)
	loaded := savedCopy(t, m)
	fresh, err := loaded.evaluate(a)
	if err != nil {
		t.Fatal(err)
	}
	if after == sa || math.Abs(after-fresh.Reconstruction) > 1e-3*after {
		t.Errorf("after 30 more steps Evaluate gives %.3f (before: %.3f), a fresh load of the weights %.3f", after, sa, fresh.Reconstruction)
	}
}

// Measure's Monte Carlo terms come from its seed: the same seed gives the same numbers
// whatever ran before, another seed other numbers, and the model's own random state (which
// training goes on from) is left as it was.
func TestMeasureIsSeeded(t *testing.T) {
	m, err := Train(smallConfig(), syntheticSet(128, 1), syntheticSet(32, 2), TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	set := syntheticSet(64, 3)
	state := func() []uint64 {
		v := m.store.GetVariable(model.JoinPath("/", model.RNGStateVariableName))
		return tensors.MustCopyFlatData[uint64](v.MustValue())
	}
	before := state()
	measure := func(seed uint64) *Metrics {
		metrics, err := m.Measure(set, MeasureOptions{Seed: seed, IWAESamples: 3})
		if err != nil {
			t.Fatal(err)
		}
		return metrics
	}
	a := measure(1)
	if _, err := m.Sample(3, 9); err != nil { // Something else in between.
		t.Fatal(err)
	}
	b, c := measure(1), measure(2)
	if a.NegELBO != b.NegELBO || a.IWAENLL != b.IWAENLL {
		t.Errorf("seed 1 twice: negative ELBO %v and %v, IWAE %v and %v", a.NegELBO, b.NegELBO, a.IWAENLL, b.IWAENLL)
	}
	if a.NegELBO == c.NegELBO || a.IWAENLL == c.IWAENLL {
		t.Errorf("seeds 1 and 2 gave the same numbers (%v, %v): the seed is not used", a.NegELBO, a.IWAENLL)
	}
	if after := state(); !slices.Equal(before, after) {
		t.Error("Measure changed the model's random state")
	}
}
