package vaekit

// Bad input to each public function of the package: an error that says what is wrong,
// never a panic. (Config.Set and Validate: config_test.go; Fit's data checks:
// TestFitRejectsBadData; corrupt model directories: reliability_test.go.)

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit/data"
)

func TestNewModelRejectsBadConfig(t *testing.T) {
	cfg := smallConfig()
	cfg.LatentDim, cfg.Activation = 0, "swish"
	err := noPanic(t, "NewModel", func() error { _, err := NewModel(cfg); return err })
	wantError(t, "NewModel", err, "invalid config", "latent_dim=0", `activation="swish"`)

	err = noPanic(t, "Train", func() error {
		_, err := Train(cfg, syntheticSet(64, 1), syntheticSet(16, 2), TrainOptions{Quiet: true})
		return err
	})
	wantError(t, "Train with an invalid config", err, "invalid config", "latent_dim=0")
}

func TestConfigSetRejectsMalformedSettings(t *testing.T) {
	for _, tc := range []struct{ settings, want string }{
		{"latent_dim=", "latent_dim"},
		{"=3", "known parameters"},
		{"hidden_dims=a,b", "hidden_dims"},
		{"kl_weight=NaN", "kl_weight=NaN"},
		{"learning_rate=NaN", "learning_rate=NaN"},
		{"learning_rate=-1e-3", "learning_rate=-0.001"},
		{"batch_size=1.5", "batch_size"},
		{"seed=99999999999999999999", "seed"},
		{"file:/nonexistent/settings.txt", "/nonexistent/settings.txt"},
	} {
		cfg := DefaultConfig()
		err := noPanic(t, "Set", func() error { return cfg.Set(tc.settings) })
		wantError(t, "Set("+tc.settings+")", err, tc.want)
		if cfg.String() != DefaultConfig().String() {
			t.Errorf("Set(%q) failed but changed the config", tc.settings)
		}
	}
}

func TestConfigUnmarshalRejectsMalformedJSON(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`[1, 2]`, "cannot unmarshal array"},
		{`{"latent_dim": "4"}`, `hyperparameter "latent_dim"`},
		{`{"hidden_dims": 400}`, `hyperparameter "hidden_dims"`},
		{`{"learning_rate": true}`, `hyperparameter "learning_rate"`},
		{`{"latent_dim": 4`, "unexpected end of JSON input"},
		{`null`, ""}, // JSON null leaves the Config as it was: no error, nothing set.
	} {
		var cfg Config
		err := noPanic(t, "json.Unmarshal", func() error { return json.Unmarshal([]byte(tc.json), &cfg) })
		if tc.want == "" {
			if err != nil {
				t.Errorf("json.Unmarshal(%s): %v", tc.json, err)
			}
			continue
		}
		wantError(t, "json.Unmarshal("+tc.json+")", err, tc.want)
	}
}

func TestInferenceRejectsBadInput(t *testing.T) {
	m, err := NewModel(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	image := make([]float32, 784)
	for _, tc := range []struct {
		name string
		call func() error
		want []string
	}{
		{"Encode(nil)", func() error { _, _, err := m.Encode(nil); return err }, []string{"no images given"}},
		{"Encode(empty)", func() error { _, _, err := m.Encode([][]float32{}); return err }, []string{"no images given"}},
		{"Encode(nil image)", func() error { _, _, err := m.Encode([][]float32{image, nil}); return err }, []string{"images[1] has 0 values, expected 784"}},
		{"Encode(ragged)", func() error { _, _, err := m.Encode([][]float32{image, make([]float32, 785)}); return err }, []string{"images[1] has 785 values, expected 784"}},
		{"Reconstruct(nil)", func() error { _, err := m.Reconstruct(nil); return err }, []string{"no images given"}},
		{"Reconstruct(a 32x32 image)", func() error { _, err := m.Reconstruct([][]float32{make([]float32, 32*32)}); return err }, []string{"images[0] has 1024 values, expected 784"}},
		{"Decode(nil)", func() error { _, err := m.Decode(nil); return err }, []string{"no latent codes given"}},
		{"Decode(ragged)", func() error { _, err := m.Decode([][]float32{{1, 2, 3, 4}, {1, 2, 3}}); return err }, []string{"latent codes[1] has 3 values, expected 4"}},
		{"Sample(0)", func() error { _, err := m.Sample(0); return err }, []string{"Sample(0)", "n >= 1"}},
		{"Sample(-5)", func() error { _, err := m.Sample(-5); return err }, []string{"Sample(-5)", "n >= 1"}},
		{"Evaluate(nil)", func() error { _, err := m.Evaluate(nil); return err }, []string{"no evaluation set"}},
		{"Evaluate(empty)", func() error { _, err := m.Evaluate(syntheticSet(4, 1).Subset(0)); return err }, []string{"evaluation set is empty"}},
		{"Evaluate(images missing)", func() error {
			s := syntheticSet(4, 1)
			s.Images = s.Images[:3*784]
			_, err := m.Evaluate(s)
			return err
		}, []string{"holds 2352 pixel values", "expected 4 images x 784"}},
		{"Evaluate(fashion-mnist with an mnist model)", func() error {
			s := syntheticSet(4, 1)
			s.Name = data.FashionMNIST
			_, err := m.Evaluate(s)
			return err
		}, []string{"is fashion-mnist", "dataset=mnist"}},
	} {
		err := noPanic(t, tc.name, tc.call)
		wantError(t, tc.name, err, tc.want...)
	}

	// Non-finite input is not an error for inference, but must not crash either, and
	// must not disturb the model: the next call gives the same answer as before.
	z := [][]float32{{0.5, -1, 0, 2}}
	before, err := m.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	nan := float32(math.NaN())
	bad := []float32{nan, float32(math.Inf(1)), float32(math.Inf(-1)), 1e30}
	if err := noPanic(t, "Decode(NaN, Inf)", func() error { _, err := m.Decode([][]float32{bad}); return err }); err != nil {
		t.Errorf("Decode of non-finite codes: %v", err)
	}
	badImage := make([]float32, 784)
	for i := range badImage {
		badImage[i] = bad[i%len(bad)]
	}
	if err := noPanic(t, "Encode(NaN, Inf)", func() error { _, _, err := m.Encode([][]float32{badImage}); return err }); err != nil {
		t.Errorf("Encode of non-finite pixels: %v", err)
	}
	after, err := m.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	for j := range before[0] {
		if before[0][j] != after[0][j] {
			t.Fatal("decoding non-finite codes changed what the model decodes afterwards")
		}
	}
}

// Non-finite pixels are refused before training starts, naming the image and the pixel,
// and nothing is checkpointed.
func TestTrainingOnNonFiniteDataStops(t *testing.T) {
	for _, value := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		set := syntheticSet(64, 50)
		for i := 0; i < len(set.Images); i += 784 {
			set.Images[i+400] = value // One bad pixel in every image.
		}
		dir := filepath.Join(t.TempDir(), "model")
		cfg := smallConfig()
		err := noPanic(t, "Train", func() error {
			_, err := Train(cfg, set, syntheticSet(16, 51), TrainOptions{Quiet: true, Dir: dir})
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "non-finite pixel") || !strings.Contains(err.Error(), "image 0, pixel 400") {
			t.Errorf("training on pixels of value %v: error %v, expected it to name the non-finite pixel", value, err)
		} else {
			t.Logf("pixels of value %v -> %v", value, err)
		}
		if HasSavedModel(dir) {
			t.Errorf("training on pixels of value %v saved a checkpoint", value)
		}
	}
}

func TestSaveLoadRejectBadPaths(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "a-file")
	if err := os.WriteFile(file, []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		call func() error
		want []string
	}{
		{"Save into a file", func() error { return m.Save(file) }, []string{file}},
		{"Save under a file", func() error { return m.Save(filepath.Join(file, "model")) }, []string{file, "not a directory"}},
		{"Load(\"\")", func() error { _, err := Load(""); return err }, []string{"no model directory given"}},
		{"Load(missing)", func() error { _, err := Load(filepath.Join(tmp, "missing")); return err }, []string{filepath.Join(tmp, "missing"), "no such file"}},
		{"Load(a file)", func() error { _, err := Load(file); return err }, []string{file, "not a directory"}},
		{"Load(an empty directory)", func() error { _, err := Load(t.TempDir()); return err }, []string{"not a vaekit model directory"}},
		{"Train into a file", func() error {
			_, err := Train(smallConfig(), syntheticSet(64, 1), syntheticSet(16, 2), TrainOptions{Quiet: true, Dir: file})
			return err
		}, []string{file}},
	} {
		err := noPanic(t, tc.name, tc.call)
		wantError(t, tc.name, err, tc.want...)
	}
	if HasSavedModel(file) || HasSavedModel(filepath.Join(tmp, "missing")) || HasSavedModel("") {
		t.Error("HasSavedModel is true for a file, a missing directory or \"\"")
	}
}
