package vaekit

import (
	"slices"
	"testing"

	"github.com/vaekit/vaekit/vaekit/data"
)

// Dynamic binarisation: every training step feeds the encoder a fresh Bernoulli draw of
// every pixel, 0 or 1, and evaluation sees the grey levels. The hand computation that
// matches the model's loss tells which inputs the model saw.
func TestDynamicBinarisationDrawsEachStep(t *testing.T) {
	cfg := smallConfig()
	cfg.Binarize = "dynamic"
	m, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	images := fixedBatch(8, 4)
	var expectedChanges float64 // Between two independent draws.
	for _, img := range images {
		for _, p := range img {
			expectedChanges += 2 * float64(p) * (1 - float64(p))
		}
	}
	if expectedChanges < 100 {
		t.Fatalf("test data: only %.0f pixels expected to change between draws", expectedChanges)
	}
	run := newModelFnRunner(t, m, true, images)
	spreadPosterior(t, m)
	var previous [][]float64
	for step := range 2 {
		// What a model that skips the binarisation would compute: the same eps on grey pixels.
		skipping := handModel{t: t, cfg: m.Config, weights: hostWeights(t, m), training: true, draws: newRNGReplay(t, m)}
		skipping.cfg.Binarize = "none"
		got, want := run.runAndCompute(t, images, step)
		if d := maxDifference(skipping.pass(images, step), want); d < 0.01 {
			t.Fatalf("test data: on grey pixels the outputs differ by at most %g from those on the binarised ones: too little to tell them apart", d)
		}
		compareOutputs(t, "training", got, want)
		for i, row := range want.inputs {
			for j, v := range row {
				if v != 0 && v != 1 {
					t.Fatalf("step %d: input %d pixel %d is %g, expected 0 or 1", step, i, j, v)
				}
			}
		}
		if previous != nil {
			changed := 0
			for i := range previous {
				for j := range previous[i] {
					if previous[i][j] != want.inputs[i][j] {
						changed++
					}
				}
			}
			// A pixel of grey level p draws another value with probability 2p(1-p).
			if float64(changed) < expectedChanges/2 {
				t.Errorf("step %d: %d grey pixels drew another value than at the step before, expected about %.0f", step, changed, expectedChanges)
			}
		}
		previous = want.inputs
	}
	// Evaluation scores the pixels as they are (a fixed draw is made on the host, before).
	got, want := newModelFnRunner(t, m, false, images).runAndCompute(t, images, 2)
	compareOutputs(t, "evaluation", got, want)
}

// Static binarisation: training (and every evaluation) sees each pixel thresholded at
// 0.5. A model trained with binarize=static on grey images is, weight for weight and record
// for record, the model trained on images thresholded by hand.
func TestStaticBinarisation(t *testing.T) {
	grey, heldOut := syntheticSet(128, 8), syntheticSet(32, 9)
	cfg := smallConfig()
	cfg.Steps, cfg.EvalEvery = 10, 5
	static := cfg.Clone()
	static.Binarize = "static"
	binarised := fitModel(t, static, grey, heldOut)
	byHand := fitModel(t, cfg, thresholded(grey), thresholded(heldOut))
	if savedStateHash(t, binarised) != savedStateHash(t, byHand) {
		t.Error("binarize=static trained other weights than training on the thresholded images")
	}
	if !slices.Equal(curves(binarised.History), curves(byHand.History)) {
		t.Errorf("binarize=static: history\n%+v\ntraining on the thresholded images:\n%+v", binarised.History, byHand.History)
	}
	if onGrey := fitModel(t, cfg, grey, heldOut); savedStateHash(t, onGrey) == savedStateHash(t, byHand) {
		t.Fatal("test data: training on the grey and on the thresholded images gave the same weights")
	}
}

// thresholded is s with every pixel above 0.5 set to 1 and the others to 0.
func thresholded(s *data.Set) *data.Set {
	out := *s
	out.Images = make([]float32, len(s.Images))
	for i, p := range s.Images {
		if p > 0.5 {
			out.Images[i] = 1
		}
	}
	return &out
}

// fitModel trains a model of cfg on trainSet (the one call to the public training API in
// this file).
func fitModel(t *testing.T, cfg Config, trainSet, heldOut *data.Set) *Model {
	t.Helper()
	m, err := Train(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
