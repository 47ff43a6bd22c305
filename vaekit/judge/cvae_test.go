package judge_test

import (
	"io"
	"testing"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
	"github.com/vaekit/vaekit/vaekit/judge"
)

// A short conditional VAE run on MNIST: the judge calls its samples of class k "k" far
// more often than chance (1 in 10), and far more often than for the class asked of an
// unconditional VAE's samples. Two latent dimensions leave the class to the label (with
// 20, a short run keeps much of it in z: 37% here). The judge comes from the model cache
// when TestJudgeMNIST trained it first; alone, this test trains it.
func TestShortCVAERunMakesSamplesOfTheAskedClass(t *testing.T) {
	j, err := judge.Load(data.MNIST, judge.Options{Data: data.Options{NoDownload: true}, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	trainSet, testSet, err := data.LoadBoth(data.MNIST, data.Options{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	classAccuracy := func(condition string) float64 {
		cfg := vaekit.DefaultConfig()
		cfg.Condition, cfg.Steps, cfg.EvalEvery, cfg.LatentDim = condition, 1000, 0, 2
		m, err := vaekit.Train(cfg, trainSet, testSet.Head(1000), vaekit.TrainOptions{Quiet: true})
		if err != nil {
			t.Fatal(err)
		}
		asked := make([]uint8, 2000)
		for i := range asked {
			asked[i] = uint8(i % 10)
		}
		var samples *data.Set
		if condition == "label" {
			samples, err = m.Sample(len(asked), 1, asked...)
		} else {
			samples, err = m.Sample(len(asked), 1)
		}
		if err != nil {
			t.Fatal(err)
		}
		samples.Labels = asked
		scores, err := j.ClassAccuracy(samples)
		if err != nil {
			t.Fatal(err)
		}
		return scores.Accuracy
	}
	conditional, unconditional := classAccuracy("label"), classAccuracy("none")
	t.Logf("after 1,000 steps the judge gives %.1f%% of the CVAE's samples the class asked for (the VAE's: %.1f%%)", 100*conditional, 100*unconditional)
	if conditional < 0.6 || unconditional > 0.2 {
		t.Errorf("class accuracy of the samples: CVAE %.3f (want >= 0.6), unconditional VAE %.3f (want <= 0.2, chance is 0.1)", conditional, unconditional)
	}
}
