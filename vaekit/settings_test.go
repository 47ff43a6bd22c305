package vaekit

import (
	"reflect"
	"strings"
	"testing"
)

// Each malformed value is refused with an error that names the setting, the value, what
// was expected and the default; spaces around names and values are trimmed.
func TestSettingsSyntax(t *testing.T) {
	for _, tc := range []struct{ settings, want, wantNot string }{
		{"hidden_dims=a,b", `hidden_dims="a,b": "a" is not an integer: expected integers, comma separated (default 400)`, "[]int{"},
		{"latent_dim=two", `latent_dim="two": expected an integer (default 20)`, ""},
		{"kl_weight=NaN", "kl_weight=NaN: expected a finite number (default 1)", "invalid character"},
		{"learning_rate=inf", "learning_rate=inf: expected a finite number", "invalid character"},
		{"free_bits=-Inf", "free_bits=-Inf: expected a finite number", ""},
		{"kl_weight=1e999", "kl_weight=1e999: expected a finite number", ""},
		{"kl_weight=heavy", `kl_weight="heavy": expected a number (default 1)`, ""},
		{"seed=-1", `seed="-1": expected an integer >= 0`, ""},
		{"latent_dim=2=3", `"latent_dim=2=3": expected one = between a name and its value`, ""},
		{"a/latent_dim=2", `unknown hyperparameter "a/latent_dim"`, ""},
		{"latent_dim=2;latent_dim=x;batch_size=y", `latent_dim="x"`, ""},
	} {
		cfg := DefaultConfig()
		err := noPanic(t, "Set", func() error { return cfg.Set(tc.settings) })
		wantError(t, "Set("+tc.settings+")", err, tc.want)
		if err != nil && tc.wantNot != "" && strings.Contains(err.Error(), tc.wantNot) {
			t.Errorf("Set(%q): the error shows %q: %v", tc.settings, tc.wantNot, err)
		}
		if cfg.String() != DefaultConfig().String() {
			t.Errorf("Set(%q) failed but changed the config", tc.settings)
		}
	}
	// Every bad value at once.
	cfg := DefaultConfig()
	wantError(t, "two bad values", cfg.Set("latent_dim=x;batch_size=y"), `latent_dim="x"`, `batch_size="y"`)

	cfg = DefaultConfig()
	if err := cfg.Set(" latent_dim = 2 ; hidden_dims = 64 , 32 ;; activation= tanh "); err != nil {
		t.Fatalf("settings with spaces: %v", err)
	}
	if cfg.LatentDim != 2 || !reflect.DeepEqual(cfg.HiddenDims, []int{64, 32}) || cfg.Activation != "tanh" {
		t.Errorf("settings with spaces: got %s", cfg)
	}
	// A flag's value is one value: a ";" in it does not set other hyperparameters.
	cfg = DefaultConfig()
	wantError(t, "a flag value with ;", cfg.setOne("activation", "tanh;latent_dim=5"), `activation="tanh;latent_dim=5": expected one value`)
	if cfg.LatentDim != 20 {
		t.Errorf("a flag value with ; set latent_dim=%d", cfg.LatentDim)
	}
}

// FuzzConfigSet: Set never panics; a refused setting leaves the Config as it was; an
// accepted one round-trips, Set(c.String()) giving the same Config.
func FuzzConfigSet(f *testing.F) {
	for _, seed := range []string{
		"", "latent_dim=2", " latent_dim = 2 ", "kl_weight=0.5;latent_dim=2;hidden_dims=512,256;optimizer=rmsprop;train_steps=1_000;seed=42",
		"hidden_dims=a,b", "hidden_dims=", "hidden_dims=1,,2", "kl_weight=NaN", "learning_rate=inf", "learning_rate=1e-300",
		"dataset=cifar10", "dataset=cifar10;image_shape=28,28,1", "dataset=folder;image_shape=6,6,1", "architecture=conv;conv_kernel=2;conv_strides=3",
		"=3", "latent_dim", "a=b=c", ";;;", "seed=18446744073709551615", "seed=18446744073709551616", "data_id= x y ",
		"model=ae;posterior_heads=code", "objective=iwae;iwae_samples=5", "latent_dim=100000000000", "kl_weight=-0",
		"batch_size=1.5", "train_steps=0;epochs=0", "dropout=0.999", "condition=label;classes=2",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, settings string) {
		if strings.Contains(settings, "file:") {
			t.Skip("file: reads files: not for a fuzzer")
		}
		cfg := DefaultConfig()
		if err := cfg.Set(settings); err != nil {
			if !reflect.DeepEqual(cfg, DefaultConfig()) {
				t.Fatalf("Set(%q) failed (%v) but changed the config to %s", settings, err, cfg)
			}
			return
		}
		again := DefaultConfig()
		if err := again.Set(cfg.String()); err != nil {
			t.Fatalf("Set(%q) gave %s, which Set refuses: %v", settings, cfg, err)
		}
		if !reflect.DeepEqual(again, cfg) {
			t.Fatalf("Set(%q) gave\n%s\nbut Set of that gave\n%s", settings, cfg, again)
		}
	})
}
