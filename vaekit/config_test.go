package vaekit

import (
	"encoding/json"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit/data"
)

func TestConfigSet(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults must be valid: %v", err)
	}
	if err := cfg.Set("kl_weight=0.5;latent_dim=2;hidden_dims=512,256;optimizer=rmsprop;train_steps=1_000;seed=42"); err != nil {
		t.Fatal(err)
	}
	if cfg.KLWeight != 0.5 || cfg.LatentDim != 2 || !slices.Equal(cfg.HiddenDims, []int{512, 256}) ||
		cfg.Optimizer != "rmsprop" || cfg.Steps != 1000 || cfg.Seed != 42 {
		t.Errorf("Set did not apply every setting: %+v", cfg)
	}
	// A file of settings, GoMLX's "file:" syntax.
	path := filepath.Join(t.TempDir(), "settings.txt")
	if err := os.WriteFile(path, []byte("# comment\nactivation=tanh\nbatch_size=64\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Set("file:" + path); err != nil {
		t.Fatal(err)
	}
	if cfg.Activation != "tanh" || cfg.BatchSize != 64 {
		t.Errorf("file settings not applied: %+v", cfg)
	}
	// String round-trips through Set.
	var again Config = DefaultConfig()
	if err := again.Set(cfg.String()); err != nil {
		t.Fatal(err)
	}
	if again.String() != cfg.String() {
		t.Errorf("String/Set round trip:\n%s\n%s", cfg.String(), again.String())
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ settings, want string }{
		{"latent_dim=0", "latent_dim=0: expected >= 1"},
		{"kl_weight=-1", "kl_weight=-1: expected a finite number >= 0"},
		{"reconstruction=poisson", `reconstruction="poisson": expected one of bernoulli, bernoulli_mean, gaussian, sse`},
		{"optimizer=sgd", "optimizer"},
		{"activation=swish", "activation"},
		{"model=gan", "model"},
		{"dataset=cifar", "dataset"},
		{"hidden_dims=400,0", "hidden_dims[1]=0"},
		{"learning_rate=0", "learning_rate=0: expected a finite number > 0"},
		{"batch_size=0", "batch_size=0"},
		{"train_steps=0;epochs=0", "expected one of them > 0"},
		{"latent_size=3", `latent_size`},
		{"latent_dim=two", `"two"`},
		{"latent_dim", `"latent_dim": expected name=value`},
		{"architecture=resnet", `architecture="resnet": expected one of mlp, conv`},
		{"posterior=log_scale", `posterior="log_scale"`},
		{"kl_reduction=max", `kl_reduction="max"`},
		{"dropout=1", "dropout=1: expected a rate in [0, 1)"},
		{"free_bits=-0.5", "free_bits=-0.5"},
		{"kl_warmup_steps=-3", "kl_warmup_steps=-3"},
		{"model=ae;free_bits=1", "model=ae has no KL term"},
		{"architecture=conv;conv_strides=2,2,2,2,2", "shrinks 28x28 images to 1 pixel"},
		{"architecture=conv;conv_kernel=2;conv_strides=3", "conv_strides[0]=3: expected a stride between 1 and conv_kernel=2"},
		{"architecture=conv;deconv_strides=0", "deconv_strides[0]=0"},
		{"architecture=conv;conv_filters=0", "conv_filters=0"},
		{"architecture=conv;conv_kernel=100", "conv_kernel=100: larger than the 28x28 input of the encoder's convolution 1 (image_shape=28,28,1, conv_strides=2,2,1, deconv_strides=2,1,1): expected conv_kernel <= 7"},
		{"architecture=conv;conv_kernel=28", "conv_kernel=28: larger than the 14x14 input of the encoder's convolution 2"},
		{"architecture=conv;conv_kernel=8", "conv_kernel=8: larger than the 7x7 input of the encoder's convolution 3"},
		{"architecture=conv;conv_strides=2,2;deconv_strides=1;conv_kernel=9;dataset=folder;image_shape=32,32,1", "conv_kernel=9: larger than the 8x8 input of the decoder's transposed convolution 1 (image_shape=32,32,1, conv_strides=2,2, deconv_strides=1): expected conv_kernel <= 8"},
	} {
		cfg := DefaultConfig()
		err := cfg.Set(tc.settings)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Set(%q): error %v, expected it to mention %q", tc.settings, err, tc.want)
		}
		if cfg.String() != DefaultConfig().String() {
			t.Errorf("Set(%q) failed but changed the config to %s", tc.settings, cfg)
		}
	}
	// Infinite values can only come in through the struct; Validate refuses them.
	inf := DefaultConfig()
	inf.LearningRate, inf.KLWeight, inf.FreeBits = math.Inf(1), math.Inf(1), math.Inf(1)
	if err := inf.Validate(); err == nil || !strings.Contains(err.Error(), "learning_rate=+Inf") ||
		!strings.Contains(err.Error(), "kl_weight=+Inf") || !strings.Contains(err.Error(), "free_bits=+Inf") {
		t.Errorf("Validate with infinite settings: %v", err)
	}
	// Every problem is reported at once.
	cfg := DefaultConfig()
	cfg.LatentDim, cfg.KLWeight = 0, -2
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "latent_dim") || !strings.Contains(err.Error(), "kl_weight") {
		t.Errorf("Validate should list both problems, got %v", err)
	}
}

// dsprites is a known data set of 64x64 grey images: the Config takes that shape, and
// another one is refused with the shape to set.
func TestConfigDSprites(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Set("dataset=dsprites"); err != nil || cfg.Dataset != data.DSprites || intList(cfg.ImageShape) != "64,64,1" {
		t.Fatalf("dataset=dsprites: dataset %q, image_shape=%v, %v; expected dsprites and 64,64,1", cfg.Dataset, cfg.ImageShape, err)
	}
	byHand := DefaultConfig()
	byHand.Dataset, byHand.ImageShape = "dsprites", []int{64, 64, 1}
	if err := byHand.Validate(); err != nil {
		t.Errorf("Config{Dataset: dsprites, ImageShape: 64,64,1}: %v", err)
	}
	wrong := DefaultConfig()
	err := wrong.Set("dataset=dsprites;image_shape=28,28,1")
	wantError(t, "dataset=dsprites;image_shape=28,28,1", err, "dsprites's images are 64,64,1: expected image_shape=64,64,1")
	byHand.ImageShape = []int{64, 64, 3}
	wantError(t, "Validate dsprites 64,64,3", byHand.Validate(), "image_shape=64,64,3", "expected image_shape=64,64,1")
}

func TestConfigFlags(t *testing.T) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.RegisterFlags(fs)
	if err := fs.Parse([]string{"--kl_weight=3", "--latent_dim=2", "-set=epochs=5;reconstruction=gaussian"}); err != nil {
		t.Fatal(err)
	}
	if cfg.KLWeight != 3 || cfg.LatentDim != 2 || cfg.Epochs != 5 || cfg.Reconstruction != "gaussian" {
		t.Errorf("flags not applied: %s", cfg)
	}
	if err := fs.Parse([]string{"--latent_dim=-1"}); err == nil || !strings.Contains(err.Error(), "latent_dim=-1") {
		t.Errorf("bad flag value: error %v", err)
	}
	// Settings that constrain one another wait for Validate: any flag order works.
	for _, args := range [][]string{{"--epochs=0", "--train_steps=30"}, {"--train_steps=30", "--epochs=0"}} {
		c := DefaultConfig()
		fs := flag.NewFlagSet("order", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c.RegisterFlags(fs)
		if err := fs.Parse(args); err != nil || c.Validate() != nil || c.Steps != 30 || c.Epochs != 0 {
			t.Errorf("flags %v: parse error %v, validate %v, steps %d, epochs %d", args, err, c.Validate(), c.Steps, c.Epochs)
		}
	}
	c := DefaultConfig()
	alone := flag.NewFlagSet("alone", flag.ContinueOnError)
	c.RegisterFlags(alone)
	if err := alone.Parse([]string{"--epochs=0"}); err != nil || c.Validate() == nil {
		t.Errorf("--epochs=0 alone: parse error %v, validate %v: expected Validate to refuse", err, c.Validate())
	}
	if f := fs.Lookup("hidden_dims"); f == nil || f.DefValue != "400" {
		t.Errorf("hidden_dims flag default shown as %q, expected 400", f.DefValue)
	}
}

func TestConfigHash(t *testing.T) {
	a, b := DefaultConfig(), DefaultConfig()
	if a.Hash() != b.Hash() || len(a.Hash()) != 12 {
		t.Errorf("equal configs: hashes %q %q", a.Hash(), b.Hash())
	}
	b.KLWeight = 0.5
	if a.Hash() == b.Hash() {
		t.Error("a changed setting must change the hash")
	}
}

func TestConfigJSON(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HiddenDims = []int{32, 16}
	cfg.Model = "ae"
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"hidden_dims":[32,16]`) {
		t.Errorf("JSON should use the parameter names: %s", raw)
	}
	var back Config
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back.String() != cfg.String() {
		t.Errorf("JSON round trip: %s vs %s", back, cfg)
	}
	if err := json.Unmarshal([]byte(`{"latent_size": 3}`), &back); err == nil || !strings.Contains(err.Error(), "latent_size") {
		t.Errorf("unknown name in JSON: error %v", err)
	}
}

func TestStepsFor(t *testing.T) {
	cfg := DefaultConfig() // 10 epochs of batch 128.
	if got := cfg.StepsFor(60000); got != 10*468 {
		t.Errorf("StepsFor(60000) = %d, want %d", got, 10*468)
	}
	cfg.Steps = 77
	if got := cfg.StepsFor(60000); got != 77 {
		t.Errorf("train_steps must win: got %d", got)
	}
}

// The KL weight relative to the ELBO's sums: one tutorial's averaged terms (Fashion-MNIST,
// 784 pixels, 20 latent dimensions, KL weight 0.2) train a beta of 0.2 * 784 / 20.
func TestELBOBeta(t *testing.T) {
	for _, tc := range []struct {
		settings string
		want     float64
	}{
		{"kl_weight=1", 1},
		{"kl_weight=3;reconstruction=sse", 3},
		{"kl_weight=0.2;reconstruction=bernoulli_mean;kl_reduction=mean;latent_dim=20", 0.2 * 784 / 20},
		{"kl_weight=0.5;reconstruction=bernoulli_mean", 0.5 * 784},
		{"kl_weight=2;kl_reduction=mean;latent_dim=8", 2.0 / 8},
		{"model=ae", 0},
	} {
		cfg := DefaultConfig()
		if err := cfg.Set(tc.settings); err != nil {
			t.Fatal(err)
		}
		if got := cfg.ELBOBeta(); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: ELBOBeta() = %g, want %g", tc.settings, got, tc.want)
		}
	}
}

// Every Config field is one row of the params table (so Set, flags, JSON, Params and
// validation all know it), and the defaults the table gives pass its own checks.
func TestEveryFieldIsOneParam(t *testing.T) {
	var c Config
	byField := map[uintptr]string{}
	for _, p := range c.params() {
		addr := reflect.ValueOf(p.ptr).Pointer()
		if other, dup := byField[addr]; dup {
			t.Errorf("params %q and %q set the same field", other, p.name)
		}
		byField[addr] = p.name
		if field, def := reflect.TypeOf(p.ptr).Elem(), reflect.TypeOf(p.def); field != def {
			t.Errorf("param %q: default of type %v for a field of type %v", p.name, def, field)
		}
	}
	v := reflect.ValueOf(&c).Elem()
	for i := range v.NumField() {
		if _, ok := byField[v.Field(i).Addr().Pointer()]; !ok {
			t.Errorf("Config.%s has no row in the params table", v.Type().Field(i).Name)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("the table's defaults fail its checks: %v", err)
	}
}
