package vaekit

import (
	"math"
	"testing"
)

// Burda et al.'s schedule: 3^i epochs at learning_rate * 10^(-i/7), i = 0..7, so the
// stages start at epochs 0, 1, 4, 13, 40, 121, 364 and 1093, and end after epoch 3279.
func TestLearningRateAtFollowsTheIWAESchedule(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LRSchedule = "iwae"
	for _, c := range []struct{ epoch, stage int }{
		{0, 0}, {1, 1}, {3, 1}, {4, 2}, {12, 2}, {13, 3}, {39, 3}, {40, 4}, {121, 5}, {363, 5}, {364, 6}, {1092, 6}, {1093, 7}, {3279, 7}, {5000, 7},
	} {
		want := 1e-3 * math.Pow(10, -float64(c.stage)/7)
		if got := cfg.LearningRateAt(c.epoch); math.Abs(got-want) > 1e-15 {
			t.Errorf("epoch %d: learning rate %g, want stage %d's %g", c.epoch, got, c.stage, want)
		}
	}
	cfg.LRSchedule = "constant"
	if got := cfg.LearningRateAt(4000); got != 1e-3 {
		t.Errorf("lr_schedule=constant: epoch 4000 at %g, want 1e-3", got)
	}
}

// Training under lr_schedule=iwae takes the same steps as training at a constant rate
// that is lowered by hand at the schedule's epoch boundaries (here one step per epoch: a
// deterministic autoencoder whose batch is the whole training set).
func TestTrainingFollowsTheLearningRateSchedule(t *testing.T) {
	set := syntheticSet(64, 5)
	cfg := smallConfig()
	cfg.Model, cfg.Reconstruction = "ae", "sse"
	cfg.BatchSize, cfg.EvalBatchSize, cfg.Steps, cfg.EvalEvery = 64, 64, 6, 0
	scheduled := cfg.Clone()
	scheduled.LRSchedule = "iwae"
	a, err := Train(scheduled, set, set, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	byHand, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, stage := range []struct{ until, next int }{{1, 1}, {4, 2}, {6, -1}} {
		byHand.Config.Steps = stage.until
		if err := byHand.Fit(set, set, TrainOptions{Quiet: true}); err != nil {
			t.Fatal(err)
		}
		if stage.next >= 0 {
			if err := byHand.setLearningRate(cfg.LearningRate * math.Pow(10, -float64(stage.next)/7)); err != nil {
				t.Fatal(err)
			}
		}
	}
	constant, err := Train(cfg, set, set, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	wa, _ := tensorsCopy(a, "/decoder/logits/dense/weights")
	wb, _ := tensorsCopy(byHand, "/decoder/logits/dense/weights")
	wc, _ := tensorsCopy(constant, "/decoder/logits/dense/weights")
	var diffHand, diffConstant float64
	for i := range wa {
		diffHand = max(diffHand, math.Abs(float64(wa[i]-wb[i])))
		diffConstant = max(diffConstant, math.Abs(float64(wa[i]-wc[i])))
	}
	if diffHand > 1e-6 || diffConstant < 1e-4 {
		t.Errorf("decoder weights after 6 steps: scheduled vs lowered by hand differ by %g (want < 1e-6), scheduled vs constant by %g (want > 1e-4)", diffHand, diffConstant)
	}
}
