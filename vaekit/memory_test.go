package vaekit

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The estimate's weights are the network's: for every architecture and head layout, the
// count of a built model's parameters.
func TestEstimateMemoryCountsTheWeights(t *testing.T) {
	for name, settings := range map[string]string{
		"mlp":         "hidden_dims=64,32;latent_dim=4",
		"conditional": "hidden_dims=16;latent_dim=3;condition=label",
		"code heads":  "hidden_dims=16;latent_dim=3;posterior_heads=code",
		"ae":          "hidden_dims=16;latent_dim=3;model=ae",
		"conv":        "architecture=conv;conv_filters=4;conv_dense=8;latent_dim=3",
		"conv cvae":   "architecture=conv;conv_filters=4;conv_dense=8;latent_dim=3;condition=label;conv_strides=2,2;deconv_strides=2,2;conv_kernel=3",
	} {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			if err := cfg.Set(settings); err != nil {
				t.Fatal(err)
			}
			m, err := NewModel(cfg)
			if err != nil {
				t.Fatal(err)
			}
			n, err := m.NumParameters()
			if err != nil {
				t.Fatal(err)
			}
			est := EstimateMemory(cfg, MemoryUse{})
			if est.Weights != float64(n)*bytesPerValue {
				t.Errorf("estimated %.0f bytes of weights, the model has %d parameters (%d bytes)", est.Weights, n, n*bytesPerValue)
			}
			if training := EstimateMemory(cfg, MemoryUse{Training: true}); training.Weights != 4*est.Weights || !(training.Activations > 0) {
				t.Errorf("training: %.0f bytes of weights and state, %.0f of activations; want 4 x %.0f, and some activations", training.Weights, training.Activations, est.Weights)
			}
		})
	}
}

// The settings the out-of-memory crashes came from are refused, at once, naming
// the setting, the estimate and the limit (2 GiB); the defaults and notebook 06's conv VAE
// on CIFAR-10, with an IWAE bound, pass the half of a 12 GiB machine.
func TestCheckMemory(t *testing.T) {
	limit := MemoryLimit{Bytes: 2 << 30, Source: "a test's"}
	for _, tc := range []struct {
		settings, want string
	}{
		{"latent_dim=100000000000", "hidden_dims[0]=400 x latent_dim=100000000000 (the posterior's mean): training needs about "},
		{"latent_dim=5000000", "latent_dim=5000000"},
		{"dataset=folder;image_shape=4096,4096,3;batch_size=1", "hidden_dims[0]=400 x image_shape=4096,4096,3 (the decoder's output layer)"},
		{"batch_size=1000000", "batch_size=1000000, 3248 values per image: training needs about 36.3 GiB"},
		{"objective=iwae;iwae_samples=100000", "batch_size=128 x iwae_samples=100000"},
	} {
		cfg := DefaultConfig()
		if err := cfg.Set(tc.settings); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err := EstimateMemory(cfg, MemoryUse{Training: true}).Check(limit)
		var mem *MemoryError
		if !errors.As(err, &mem) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "more than the memory limit of 2.0 GiB (a test's)") {
			t.Errorf("%s: error %v; want a *MemoryError saying %q and naming the limit", tc.settings, err, tc.want)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("%s: the estimate took %v", tc.settings, took)
		}
	}
	for _, settings := range []string{
		"",
		"dataset=cifar10;architecture=conv;conv_filters=32;conv_kernel=3;conv_strides=2,2;deconv_strides=2,2;conv_dense=128;latent_dim=8;batch_size=64",
	} {
		cfg := DefaultConfig()
		if err := cfg.Set(settings); err != nil {
			t.Fatal(err)
		}
		if err := EstimateMemory(cfg, MemoryUse{Training: true, IWAESamples: 5000}).Check(MemoryLimit{Bytes: 6 << 30}); err != nil {
			t.Errorf("%q: %v", settings, err)
		}
	}
}

// Train refuses, before building anything, a model that needs more than
// TrainOptions.MemoryLimit.
func TestTrainRefusesAModelAboveTheMemoryLimit(t *testing.T) {
	cfg := smallConfig()
	cfg.LatentDim = 5_000_000
	dir := t.TempDir() + "/model"
	_, err := Train(cfg, syntheticSet(64, 1), syntheticSet(16, 2), TrainOptions{Dir: dir, Quiet: true, MemoryLimit: MemoryLimit{Bytes: 1 << 30, Source: "1 GiB"}})
	var mem *MemoryError
	if !errors.As(err, &mem) || !strings.Contains(err.Error(), "latent_dim=5000000") {
		t.Fatalf("Train: error %v, want a *MemoryError naming latent_dim=5000000", err)
	}
	if HasSavedModel(dir) {
		t.Errorf("the refused Train saved a model in %s", dir)
	}
}

// The machine's memory is read (on Linux), and the default limit is a fraction of it.
func TestDefaultMemoryLimit(t *testing.T) {
	total, source := MachineMemory()
	limit := DefaultMemoryLimit()
	if !(total > 0) || limit.Bytes != DefaultMemoryFraction*total || !strings.HasPrefix(limit.Source, "50% of ") || !strings.Contains(limit.Source, source) {
		t.Errorf("machine memory %.0f (%s), default limit %+v", total, source, limit)
	}
	t.Logf("default memory limit: %s (%s)", ByteSize(limit.Bytes), limit.Source)
}

func TestByteSize(t *testing.T) {
	for b, want := range map[float64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 12 << 30: "12.0 GiB", 1e18: "888.2 PiB"} {
		if got := ByteSize(b); got != want {
			t.Errorf("ByteSize(%g) = %q, want %q", b, got, want)
		}
	}
}
