package vaekit

// Bad input to each public function of the package: an error that says what is wrong,
// never a panic. (Config.Set and Validate: config_test.go; Fit's data checks:
// TestFitRejectsBadData; corrupt model directories: reliability_test.go.)

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
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
	nan := float32(math.NaN())
	withNaN := syntheticSet(2, 1)
	withNaN.Images[784+5] = nan
	for _, tc := range []struct {
		name string
		call func() error
		want []string
	}{
		{"Encode(nil)", func() error { _, _, err := m.Encode(nil); return err }, []string{"no images given (nil)"}},
		{"Embed(empty)", func() error { _, err := m.Embed(syntheticSet(4, 1).Head(0)); return err }, []string{"images is empty"}},
		{"Reconstruct(32x32 images)", func() error {
			s, _ := data.FromImages([][]float32{make([]float32, 32*32)}, 32, 32)
			_, err := m.Reconstruct(s)
			return err
		}, []string{"32x32x1 images", "expects 28x28x1"}},
		{"Encode(NaN pixel)", func() error { _, _, err := m.Encode(withNaN); return err }, []string{"non-finite pixel", "image 1, pixel 5"}},
		{"Decode(nil)", func() error { _, err := m.Decode(nil); return err }, []string{"no latent codes given"}},
		{"Decode(ragged)", func() error { _, err := m.Decode([][]float32{{1, 2, 3, 4}, {1, 2, 3}}); return err }, []string{"latent codes[1] has 3 values, expected 4"}},
		{"Sample(0)", func() error { _, err := m.Sample(0, 1); return err }, []string{"PriorCodes(0)", "n >= 1"}},
		{"Sample(-5)", func() error { _, err := m.Sample(-5, 1); return err }, []string{"PriorCodes(-5)", "n >= 1"}},
		{"Measure(nil)", func() error { _, err := m.Measure(nil, MeasureOptions{}); return err }, []string{"no evaluation set"}},
		{"Measure(empty)", func() error { _, err := m.Measure(syntheticSet(4, 1).Head(0), MeasureOptions{}); return err }, []string{"evaluation set is empty"}},
		{"Measure(images missing)", func() error {
			s := syntheticSet(4, 1)
			s.Images = s.Images[:3*784]
			_, err := m.Measure(s, MeasureOptions{})
			return err
		}, []string{"holds 2352 pixel values", "expected 4 images x 784"}},
		{"Measure(fashion-mnist with an mnist model)", func() error {
			s := syntheticSet(4, 1)
			s.Name = data.FashionMNIST
			_, err := m.Measure(s, MeasureOptions{})
			return err
		}, []string{"is fashion-mnist", "dataset=mnist"}},
		{"Measure(IWAE -1)", func() error { _, err := m.Measure(syntheticSet(4, 1), MeasureOptions{IWAESamples: -1}); return err }, []string{"IWAESamples=-1", ">= 0"}},
		{"Interpolate(no path)", func() error { _, err := m.Interpolate(syntheticSet(2, 1), syntheticSet(2, 2), 5, nil); return err }, []string{"no path given"}},
		{"Interpolate(2 to 3)", func() error { _, err := m.Interpolate(syntheticSet(2, 1), syntheticSet(3, 2), 5, Lerp); return err }, []string{"as many images"}},
		{"traversalCodes(dim 4 of 4)", func() error { _, err := traversalCodes(make([]float32, 4), 4, []float32{1}); return err }, []string{"dimension 4", "0..3"}},
	} {
		err := noPanic(t, tc.name, tc.call)
		wantError(t, tc.name, err, tc.want...)
	}

	// Non-finite codes are no error for Decode, but must not crash either, and must not
	// disturb the model: the next call gives the same answer as before.
	z := [][]float32{{0.5, -1, 0, 2}}
	before, err := m.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	bad := []float32{nan, float32(math.Inf(1)), float32(math.Inf(-1)), 1e30}
	if err := noPanic(t, "Decode(NaN, Inf)", func() error { _, err := m.Decode([][]float32{bad}); return err }); err != nil {
		t.Errorf("Decode of non-finite codes: %v", err)
	}
	after, err := m.Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before.Images, after.Images) {
		t.Fatal("decoding non-finite codes changed what the model decodes afterwards")
	}

	// A plain autoencoder has codes but no posterior, and no likelihood bound.
	ae := smallConfig()
	ae.Model = "ae"
	mae, err := NewModel(ae)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = mae.Encode(syntheticSet(2, 1))
	wantError(t, "Encode on an autoencoder", err, "autoencoder", "use Embed")
	_, err = mae.Measure(syntheticSet(2, 1), MeasureOptions{IWAESamples: 5})
	wantError(t, "Measure(IWAE) on an autoencoder", err, "autoencoder", "no likelihood bound")
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
