package vaekit

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/vaekit/vaekit/vaekit/data"
	"github.com/vaekit/vaekit/vaekit/judge"
)

// Measure's FD_judge is the judge's Fréchet distance between the model's seeded prior
// samples and the measured images, computed here from the parts. An untrained judge will
// do: what is checked is which images Measure compares, not what the judge thinks of them.
func TestMeasureScoresSamplesWithJudge(t *testing.T) {
	m, j, set := modelJudgeAndSet(t, smallConfig())
	const n, seed = 200, 7
	metrics, err := m.Measure(set, MeasureOptions{Judge: j, SampleQuality: n, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	samples, err := m.Sample(n, seed)
	if err != nil {
		t.Fatal(err)
	}
	want, err := j.FrechetDistance(samples, set)
	if err != nil {
		t.Fatal(err)
	}
	if metrics.JudgeFrechet != want || metrics.SamplesScored != n || want <= 0 {
		t.Errorf("Measure: judge_frechet %v of %d samples, want %v of %d (> 0)", metrics.JudgeFrechet, metrics.SamplesScored, want, n)
	}
	other, err := m.Measure(set, MeasureOptions{Judge: j, SampleQuality: n, Seed: seed + 1})
	if err != nil {
		t.Fatal(err)
	}
	if other.JudgeFrechet == metrics.JudgeFrechet {
		t.Errorf("Measure with seeds %d and %d scored the same samples (judge_frechet %v)", seed, seed+1, other.JudgeFrechet)
	}
	plain, err := m.Measure(set, MeasureOptions{Judge: j})
	if err != nil {
		t.Fatal(err)
	}
	if plain.JudgeFrechet != 0 || plain.SamplesScored != 0 {
		t.Errorf("Measure without SampleQuality scored samples: %v of %d", plain.JudgeFrechet, plain.SamplesScored)
	}
}

func TestMeasureSampleQualityBadOptions(t *testing.T) {
	m, err := NewModel(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	aeConfig := smallConfig()
	aeConfig.Model = "ae"
	ae, err := NewModel(aeConfig)
	if err != nil {
		t.Fatal(err)
	}
	mnistJudge, err := judge.Untrained(data.MNIST)
	if err != nil {
		t.Fatal(err)
	}
	fashionJudge, err := judge.Untrained(data.FashionMNIST)
	if err != nil {
		t.Fatal(err)
	}
	set := syntheticSet(10, 1)
	for _, tc := range []struct {
		name  string
		model *Model
		opts  MeasureOptions
		want  string
	}{
		{"negative", m, MeasureOptions{Judge: mnistJudge, SampleQuality: -1}, "SampleQuality=-1, expected a number of samples >= 0"},
		{"one sample", m, MeasureOptions{Judge: mnistJudge, SampleQuality: 1}, "SampleQuality=1, expected at least 2 samples"},
		{"no judge", m, MeasureOptions{SampleQuality: 100}, "SampleQuality is set but Judge is nil"},
		{"autoencoder", ae, MeasureOptions{Judge: mnistJudge, SampleQuality: 100}, "a plain autoencoder (model=ae) has no prior to sample from"},
		{"other data set", m, MeasureOptions{Judge: fashionJudge, SampleQuality: 100}, "the judge is of fashion-mnist, the model of mnist"},
	} {
		_, err := tc.model.Measure(set, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// A conditional model's samples are asked for in every class in turn, and Measure reports
// how often the judge agrees, with the judge that said so. The decoder is set to draw a
// picture per class that the judge calls by that class where it can (an untrained model
// draws one grey picture for every class, which a judge calls one class: any balanced
// labelling of it would score the same).
func TestMeasureJudgesConditionalSamplesByClass(t *testing.T) {
	m, j, set := modelJudgeAndSet(t, conditionalConfig())
	drawOnePicturePerClass(t, m, picturesJudgedAsTheirClass(t, j, set))
	set.Labels = make([]uint8, set.N)
	const n, seed = 200, 11
	metrics, err := m.Measure(set, MeasureOptions{Judge: j, SampleQuality: n, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	asked := make([]uint8, n)
	for i := range asked {
		asked[i] = uint8(i % 10)
	}
	samples, err := m.Sample(n, seed, asked...)
	if err != nil {
		t.Fatal(err)
	}
	judged, err := j.Classify(samples)
	if err != nil {
		t.Fatal(err)
	}
	agree, agreeWithNext := 0, 0
	for i := range judged {
		if judged[i] == asked[i] {
			agree++
		}
		if judged[i] == (asked[i]+1)%10 {
			agreeWithNext++
		}
	}
	if agree == agreeWithNext {
		t.Fatalf("test data: %d samples judged the class asked for, and as many the next class: scoring against the wrong class would go unnoticed", agree)
	}
	if want := float64(agree) / n; metrics.SampleClassAccuracy != want {
		t.Errorf("Measure: sample_class_accuracy %v, want %v (%d of %d samples judged the class asked for)", metrics.SampleClassAccuracy, want, agree, n)
	}
	if metrics.JudgeDir != j.Dir() || metrics.JudgeTestAccuracy != j.Info.TestAccuracy {
		t.Errorf("Measure: judge %q (accuracy %v), want %q (%v)", metrics.JudgeDir, metrics.JudgeTestAccuracy, j.Dir(), j.Info.TestAccuracy)
	}
}

// modelJudgeAndSet returns an untrained model of cfg, an untrained MNIST judge and 300
// synthetic images to measure on.
func modelJudgeAndSet(t *testing.T, cfg Config) (*Model, *judge.Judge, *data.Set) {
	t.Helper()
	m, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	j, err := judge.Untrained(data.MNIST)
	if err != nil {
		t.Fatal(err)
	}
	return m, j, syntheticSet(300, 3)
}

// picturesJudgedAsTheirClass returns one image of pool per class c: one the judge calls c,
// else (no such image in pool) one it does not call c+1.
func picturesJudgedAsTheirClass(t *testing.T, j *judge.Judge, pool *data.Set) [][]float32 {
	t.Helper()
	verdicts, err := j.Classify(pool)
	if err != nil {
		t.Fatal(err)
	}
	pictures := make([][]float32, 10)
	for c := range pictures {
		for i, v := range verdicts {
			if v == uint8(c) {
				pictures[c] = pool.Image(i)
				break
			}
			if pictures[c] == nil && v != uint8(c+1)%10 {
				pictures[c] = pool.Image(i)
			}
		}
	}
	return pictures
}

// drawOnePicturePerClass sets the weights of a conditional MLP model with one hidden ReLU
// layer so that it decodes every code with label c to pictures[c]: hidden unit c is the
// one-hot label's c (the code is ignored), and its output weights are the logits of the
// picture's pixels.
func drawOnePicturePerClass(t *testing.T, m *Model, pictures [][]float32) {
	t.Helper()
	if err := m.initVariables(); err != nil {
		t.Fatal(err)
	}
	latent, hidden, pixels := m.Config.LatentDim, m.Config.HiddenDims[0], m.Pixels()
	if m.Config.Activation != "relu" || len(m.Config.HiddenDims) != 1 || hidden < len(pictures) {
		t.Fatalf("test model: %s activation, hidden layers %v: expected one ReLU layer of at least %d units", m.Config.Activation, m.Config.HiddenDims, len(pictures))
	}
	toHidden := make([]float32, (latent+len(pictures))*hidden)
	toPixels := make([]float32, hidden*pixels)
	for c, picture := range pictures {
		toHidden[(latent+c)*hidden+c] = 1
		for p, v := range picture {
			v = min(max(v, 1e-4), 1-1e-4)
			toPixels[c*pixels+p] = float32(math.Log(float64(v / (1 - v))))
		}
	}
	for path, values := range map[string][]float32{
		"/decoder/hidden_0/dense/weights": toHidden, "/decoder/hidden_0/dense/biases": make([]float32, hidden),
		"/decoder/logits/dense/weights": toPixels, "/decoder/logits/dense/biases": make([]float32, pixels),
	} {
		v := m.store.GetVariable(path)
		if v == nil {
			t.Fatalf("test model: no variable %s", path)
		}
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(values, value.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
}
