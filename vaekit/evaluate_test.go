package vaekit

import (
	"math"
	"testing"

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
		terms, err := m.Evaluate(s)
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
	fresh, err := loaded.Evaluate(a)
	if err != nil {
		t.Fatal(err)
	}
	if after == sa || math.Abs(after-fresh.Reconstruction) > 1e-3*after {
		t.Errorf("after 30 more steps Evaluate gives %.3f (before: %.3f), a fresh load of the weights %.3f", after, sa, fresh.Reconstruction)
	}
}
