package vaekit

import (
	"slices"
	"testing"
)

func conditionalConfig() Config {
	cfg := smallConfig()
	cfg.Condition = "label"
	return cfg
}

// The label reaches both networks: the encoder's first layer sees the pixels and the
// one-hot label (784 + 10 inputs), the decoder's the code and the label (latent + 10);
// for the conv architecture the label joins the flattened features before the heads and
// the code before the dense layers. Counted by hand.
func TestConditionalParameterCounts(t *testing.T) {
	const H, L, C = 64, 4, 10
	cfg := conditionalConfig()
	m, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.initVariables(); err != nil {
		t.Fatal(err)
	}
	want := (784+C)*H + H + 2*(H*L+L) + (L+C)*H + H + H*784 + 784
	if got, err := m.NumParameters(); err != nil || got != want {
		t.Errorf("conditional MLP: %d parameters, want %d (err %v)", got, want, err)
	}

	conv := smallConvConfig()
	conv.Condition = "label"
	m, err = NewModel(conv)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.initVariables(); err != nil {
		t.Fatal(err)
	}
	F, Lc := conv.ConvFilters, conv.LatentDim
	convLayer := func(in int) int { return 16*in*F + F }
	want = convLayer(1) + 2*convLayer(F) + 2*((49*F+C)*Lc+Lc) + ((Lc+C)*24 + 24) + (24*49 + 49) + convLayer(1) + 2*convLayer(F) + (196*F*784 + 784)
	if got, err := m.NumParameters(); err != nil || got != want {
		t.Errorf("conditional conv VAE: %d parameters, want %d (err %v)", got, want, err)
	}
}

// The same code decoded with two labels gives two images; the same label twice the same
// image. Reconstruct uses each image's own label, Sample and Decode the labels given, and
// the decoded sets carry them.
func TestConditioningChangesTheOutput(t *testing.T) {
	cfg := conditionalConfig()
	trainSet := syntheticSet(128, 1)
	m, err := Train(cfg, trainSet, syntheticSet(32, 2), TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	z := [][]float32{{0.3, -0.2, 0.5, 1}}
	three, err := m.Decode(z, 3)
	if err != nil {
		t.Fatal(err)
	}
	seven, _ := m.Decode(z, 7)
	threeAgain, _ := m.Decode(z, 3)
	if mse, _ := ReconstructionMSE(three, seven); mse < 1e-6 {
		t.Errorf("one code decoded with labels 3 and 7: images differ by an MSE of %g, expected different images", mse)
	}
	if !slices.Equal(three.Images, threeAgain.Images) || !slices.Equal(three.Labels, []uint8{3}) {
		t.Errorf("decoding with label 3 twice differs, or the set's labels are %v", three.Labels)
	}
	// Decode with one label per code equals decoding each alone.
	both, err := m.Decode([][]float32{z[0], z[0]}, 3, 7)
	if err != nil || !slices.Equal(both.Image(0), three.Image(0)) || !slices.Equal(both.Image(1), seven.Image(0)) {
		t.Errorf("per-code labels: %v", err)
	}
	samples, err := m.Sample(4, 1, 5)
	if err != nil || samples.N != 4 || !slices.Equal(samples.Labels, []uint8{5, 5, 5, 5}) {
		t.Errorf("Sample(4, 1, 5): %v labels %v", err, samples.Labels)
	}
	// Reconstruct decodes with each image's label: changing the labels changes the output.
	images := trainSet.Head(2)
	relabelled := *images
	relabelled.Labels = []uint8{9, 9}
	a, err := m.Reconstruct(images)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Reconstruct(&relabelled)
	if slices.Equal(a.Images, b.Images) {
		t.Error("Reconstruct ignores the images' labels")
	}
	// Manifold and Traverse at a fixed class.
	man, err := m.Manifold(nil, [2]int{0, 1}, []float32{0, 1}, []float32{0}, 4)
	if err != nil || !slices.Equal(man.Images.Labels, []uint8{4, 4}) {
		t.Errorf("Manifold at class 4: %v, labels %v", err, man.Images.Labels)
	}
	trav, err := m.Traverse(nil, 2, []float32{-1, 1}, 6)
	if err != nil || !slices.Equal(trav.Labels, []uint8{6, 6}) {
		t.Errorf("Traverse at class 6: %v", err)
	}
	// Or one label per image, as Decode takes them: the same code decoded as each class.
	perValue, err := m.Traverse(nil, 2, []float32{1, 1}, 3, 8)
	if err != nil || !slices.Equal(perValue.Labels, []uint8{3, 8}) || slices.Equal(perValue.Image(0), perValue.Image(1)) {
		t.Errorf("Traverse with a label per value: %v, labels %v (want 3 and 8, two different images)", err, perValue.Labels)
	}
}

// Labels are required where a conditional model needs them and refused where a model does
// not, with errors that say so.
func TestConditionalLabelErrors(t *testing.T) {
	m, err := NewModel(conditionalConfig())
	if err != nil {
		t.Fatal(err)
	}
	plain, err := NewModel(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	unlabelled := syntheticSet(64, 1)
	unlabelled.Labels = nil
	short := syntheticSet(4, 1)
	short.Labels = short.Labels[:3]
	outOfRange := syntheticSet(4, 1)
	outOfRange.Labels[2] = 10
	z := [][]float32{{0, 0, 0, 0}, {1, 1, 1, 1}}
	for _, tc := range []struct {
		name string
		call func() error
		want []string
	}{
		{"Encode without labels", func() error { _, _, err := m.Encode(unlabelled); return err }, []string{"0 labels for 64 images", "condition=label"}},
		{"Embed with 3 labels for 4 images", func() error { _, err := m.Embed(short); return err }, []string{"3 labels for 4 images"}},
		{"Reconstruct with label 10", func() error { _, err := m.Reconstruct(outOfRange); return err }, []string{"label 2 is 10", "expected 0..9"}},
		{"Decode without labels", func() error { _, err := m.Decode(z); return err }, []string{"0 labels for 2 codes"}},
		{"Decode with 3 labels for 2 codes", func() error { _, err := m.Decode(z, 1, 2, 3); return err }, []string{"3 labels for 2 codes"}},
		{"Sample of class 12", func() error { _, err := m.Sample(2, 1, 12); return err }, []string{"label 0 is 12"}},
		{"Manifold with 2 labels for 1 image", func() error { _, err := m.Manifold(nil, [2]int{0, 1}, []float32{0}, []float32{0}, 1, 2); return err }, []string{"2 labels for 1 codes", "one label for all or one per code"}},
		{"Traverse with 3 labels for 2 values", func() error { _, err := m.Traverse(nil, 0, []float32{0, 1}, 1, 2, 3); return err }, []string{"3 labels for 2 codes"}},
		{"Train on images without labels", func() error {
			_, err := Train(conditionalConfig(), unlabelled, syntheticSet(8, 2), TrainOptions{Quiet: true})
			return err
		}, []string{"train set: 0 labels for 64 images"}},
		{"labels to an unconditional model", func() error { _, err := plain.Decode(z, 1); return err }, []string{"1 labels given", "not conditional"}},
	} {
		err := noPanic(t, tc.name, tc.call)
		wantError(t, tc.name, err, tc.want...)
	}
}

// Save, Load and the model cache keep the conditioning, and a cached conditional model is
// another entry than the unconditional one.
func TestConditioningSurvivesSaveLoadAndTheCache(t *testing.T) {
	t.Setenv("VAEKIT_MODELS", t.TempDir())
	cfg := conditionalConfig()
	trainSet, heldOut := syntheticSet(128, 1), syntheticSet(32, 2)
	m, err := TrainOrLoad(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.Decode([][]float32{{0.1, 0.2, 0.3, 0.4}}, 8)
	loaded := savedCopy(t, m)
	cached, err := TrainOrLoad(cfg, trainSet, heldOut, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, other := range map[string]*Model{"saved and loaded": loaded, "from the cache": cached} {
		if other.Config.Condition != "label" || other.Config.Classes != 10 {
			t.Errorf("%s: condition=%s classes=%d", name, other.Config.Condition, other.Config.Classes)
		}
		got, err := other.Decode([][]float32{{0.1, 0.2, 0.3, 0.4}}, 8)
		if err != nil || !slices.Equal(got.Images, want.Images) {
			t.Errorf("%s decodes differently (%v)", name, err)
		}
	}
	plain := cfg.Clone()
	plain.Condition = "none"
	a, _ := CachedModelDir(cfg)
	b, _ := CachedModelDir(plain)
	if a == b {
		t.Error("the conditional and the unconditional model share a cache entry")
	}
}

// The k-nearest-neighbour accuracy on hand-made codes: two well separated clusters score
// 1, the same codes with shuffled labels 1/2 on average; ties go to the nearest class.
func TestKNNAccuracy(t *testing.T) {
	train := [][]float32{{0, 0}, {0.1, 0}, {0, 0.1}, {5, 5}, {5.1, 5}, {5, 5.1}}
	labels := []uint8{0, 0, 0, 1, 1, 1}
	test := [][]float32{{0.05, 0.05}, {4.9, 5}}
	if acc, err := KNNAccuracy(train, labels, test, []uint8{0, 1}, 3); err != nil || acc != 1 {
		t.Errorf("separated clusters: accuracy %v, %v; want 1", acc, err)
	}
	if acc, _ := KNNAccuracy(train, labels, test, []uint8{1, 1}, 3); acc != 0.5 {
		t.Errorf("one wrong label of two: accuracy %v, want 0.5", acc)
	}
	// k=2 with one neighbour of each class: the nearer one's class wins.
	tie := [][]float32{{0, 0}, {1, 0}}
	if acc, _ := KNNAccuracy(tie, []uint8{3, 4}, [][]float32{{0.4, 0}}, []uint8{3}, 2); acc != 1 {
		t.Errorf("tie: accuracy %v, want the nearer class 3", acc)
	}
	if acc, _ := KNNAccuracy(tie, []uint8{3, 4}, [][]float32{{0.6, 0}}, []uint8{4}, 2); acc != 1 {
		t.Errorf("tie: accuracy %v, want the nearer class 4", acc)
	}
	for name, call := range map[string]func() error{
		"k=0":            func() error { _, err := KNNAccuracy(train, labels, test, []uint8{0, 1}, 0); return err },
		"k=7 of 6":       func() error { _, err := KNNAccuracy(train, labels, test, []uint8{0, 1}, 7); return err },
		"labels missing": func() error { _, err := KNNAccuracy(train, labels[:5], test, []uint8{0, 1}, 3); return err },
		"widths differ":  func() error { _, err := KNNAccuracy(train, labels, [][]float32{{1}}, []uint8{0}, 3); return err },
	} {
		if err := call(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
