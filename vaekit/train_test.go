package vaekit

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/vaekit/vaekit/vaekit/data"
)

var (
	mnistOnce         sync.Once
	mnistTrain, mnist *data.Set
	mnistErr          error
)

// realMNIST loads MNIST from the offline copy (setup installs it; no network in tests).
func realMNIST(t testing.TB) (train, test *data.Set) {
	t.Helper()
	mnistOnce.Do(func() {
		mnistTrain, mnist, mnistErr = data.LoadBoth("mnist", data.Options{NoDownload: true})
	})
	if mnistErr != nil {
		t.Fatalf("MNIST is needed (scripts/setup.sh puts an offline copy in the Go module cache): %v", mnistErr)
	}
	return mnistTrain, mnist
}

// The foundation's acceptance run: real MNIST, the pytorch/examples architecture
// (784-400-20, Adam 1e-3, batch 128). The untrained held-out negative ELBO is above
// 784*log(2) = 543 nats (what a decoder predicting p=0.5 everywhere scores; GoMLX's He
// initialisation starts at about 760) and must fall below 150 nats within 600 steps
// (1.3 epochs; pytorch/examples reports about 128 after 2 epochs).
func TestShortTrainingRunOnMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for ~600 steps")
	}
	trainSet, testSet := realMNIST(t)
	cfg := DefaultConfig()
	cfg.Steps = 600
	cfg.EvalEvery = 300
	m, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	before, err := m.evaluate(testSet)
	if err != nil {
		t.Fatal(err)
	}
	if before.NegELBO < 784*math.Ln2 {
		t.Errorf("untrained held-out negative ELBO %.1f nats, expected above %.1f", before.NegELBO, 784*math.Ln2)
	}
	start := time.Now()
	if err := m.Fit(trainSet, testSet, TrainOptions{Quiet: true, TrainEvalSize: 2000}); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	after := m.History[len(m.History)-1]
	t.Logf("held-out negative ELBO: %.1f -> %.1f nats (recon %.1f + KL %.1f) after %d steps in %s (%.1f steps/s incl. evaluation)",
		before.NegELBO, after.HeldOut.NegELBO, after.HeldOut.Reconstruction, after.HeldOut.KL, m.GlobalStep(), elapsed, float64(cfg.Steps)/elapsed.Seconds())
	if m.GlobalStep() != 600 || len(m.History) != 2 || m.History[0].Step != 300 {
		t.Fatalf("global step %d, history %+v: expected evaluations at 300 and 600", m.GlobalStep(), m.History)
	}
	if mid := m.History[0].HeldOut.NegELBO; !(after.HeldOut.NegELBO < mid && mid < before.NegELBO) {
		t.Errorf("held-out negative ELBO %.1f -> %.1f (step 300) -> %.1f (step 600): expected it to fall", before.NegELBO, mid, after.HeldOut.NegELBO)
	}
	if after.HeldOut.NegELBO > 150 {
		t.Errorf("held-out negative ELBO %.1f nats after 600 steps, expected < 150", after.HeldOut.NegELBO)
	}
	if d := after.HeldOut.NegELBO - (after.HeldOut.Reconstruction + after.HeldOut.KL); math.Abs(d) > 1e-2 {
		t.Errorf("negative ELBO is not reconstruction + KL: off by %g", d)
	}
	if after.HeldOut.KL < 5 {
		t.Errorf("KL %.2f nats: the posterior collapsed onto the prior, expected an informative code", after.HeldOut.KL)
	}

	checkIWAEBound(t, m, testSet.Head(1000))
}

// checkIWAEBound: on a trained model the importance-weighted NLL estimate is at most the
// negative ELBO, agrees with it at k = 1 (IWAE_1 is the ELBO), and does not increase with
// k = 1, 5, 50 (Burda et al. 2016, theorem 1), up to Monte Carlo error.
func checkIWAEBound(t *testing.T, m *Model, set *data.Set) {
	nll := map[int]float64{}
	var terms Terms
	for _, k := range []int{1, 5, 50} {
		metrics, err := m.Measure(set, MeasureOptions{IWAESamples: k, Seed: uint64(k)})
		if err != nil {
			t.Fatal(err)
		}
		nll[k], terms = metrics.IWAENLL, metrics.Terms
	}
	t.Logf("negative ELBO %.2f; IWAE NLL k=1 %.2f, k=5 %.2f, k=50 %.2f nats", terms.NegELBO, nll[1], nll[5], nll[50])
	// One z per image over 1,000 images: the two single-sample estimates differ by noise
	// of about 0.3 nats (standard error); 1.5 nats is 5 of those.
	if math.Abs(nll[1]-terms.NegELBO) > 1.5 {
		t.Errorf("IWAE k=1 %.2f, expected the negative ELBO %.2f", nll[1], terms.NegELBO)
	}
	if !(nll[50] < terms.NegELBO && nll[50] <= nll[5]+0.1 && nll[5] <= nll[1]+0.1) {
		t.Errorf("IWAE NLL k=1 %.2f, k=5 %.2f, k=50 %.2f, negative ELBO %.2f: expected a non-increasing estimate below the negative ELBO",
			nll[1], nll[5], nll[50], terms.NegELBO)
	}
}

// Each record's StepLoss is the mean training loss of the steps since the previous one.
// With one batch holding the whole (deterministic, autoencoder) training set, step s's
// loss is the loss of the weights after step s-1 on that set, which the record of step
// s-1 evaluated as Train.Loss (and, for step 1, the untrained model's).
func TestStepLossAveragesTheTrainingSteps(t *testing.T) {
	set := syntheticSet(64, 5)
	cfg := smallConfig()
	cfg.Model, cfg.Reconstruction = "ae", "sse"
	cfg.BatchSize, cfg.EvalBatchSize, cfg.Steps, cfg.EvalEvery = 64, 64, 4, 1
	start := untrainedTerms(t, cfg, set)
	m, err := Train(cfg, set, set, TrainOptions{Quiet: true, TrainEvalSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	previous := start.Loss
	for _, r := range m.History {
		if math.Abs(r.StepLoss-previous) > 1e-4*previous {
			t.Errorf("step %d: StepLoss %.6f, want the loss of the weights before the step, %.6f", r.Step, r.StepLoss, previous)
		}
		previous = r.Train.Loss
	}

	// Over several steps it is their mean: two records of two steps each.
	cfg.EvalEvery = 2
	m2, err := Train(cfg, set, set, TrainOptions{Quiet: true, TrainEvalSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	want := (m.History[2].StepLoss + m.History[3].StepLoss) / 2 // Same seed: the same steps.
	if got := m2.History[1].StepLoss; math.Abs(got-want) > 1e-4*want {
		t.Errorf("StepLoss over steps 3-4 = %.6f, want their mean %.6f", got, want)
	}
}
