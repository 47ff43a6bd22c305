package vaekit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ui/commandline"
)

// Config holds every hyperparameter of one experiment. It is the single source of truth:
// a saved model carries it, and notebooks and commands change it by name, e.g.
//
//	cfg := vaekit.DefaultConfig()
//	err := cfg.Set("kl_weight=0.5;latent_dim=2") // GoMLX's -set syntax
//
// The defaults reproduce pytorch/examples vae/main.py: MNIST, 784-400-20 with ReLU,
// Bernoulli likelihood, Adam at 1e-3, batch 128, 10 epochs.
type Config struct {
	Model         string  // "vae", or "ae" for a plain autoencoder (deterministic z, no KL term).
	Dataset       string  // "mnist" or "fashion-mnist".
	LatentDim     int     // Size of z.
	HiddenDims    []int   // Encoder hidden layer sizes; the decoder mirrors them.
	Activation    string  // Hidden activation: "relu", "tanh", "leaky_relu" or "sigmoid".
	KLWeight      float64 // beta: weight of the KL term; 1 is the ELBO, 0 drops the prior.
	Likelihood    string  // p(x|z): "bernoulli" (logits) or "gaussian" (unit variance, mean sigmoid(logits)).
	Binarize      string  // "none", "static" (threshold 0.5) or "dynamic" (Bernoulli resample per batch).
	Optimizer     string  // "adam" or "rmsprop".
	LearningRate  float64 // Optimizer learning rate.
	BatchSize     int     // Training batch size.
	Steps         int     // Training steps; when 0, Epochs decides.
	Epochs        int     // Passes over the training set, used when Steps is 0.
	EvalEvery     int     // Steps between held-out evaluations (0: only at the end).
	EvalBatchSize int     // Batch size for evaluation and inference.
	Seed          int64   // Seeds initialisation, shuffling, sampling and binarisation.
}

// DefaultConfig returns the defaults described on Config.
func DefaultConfig() Config {
	return Config{
		Model:         "vae",
		Dataset:       "mnist",
		LatentDim:     20,
		HiddenDims:    []int{400},
		Activation:    "relu",
		KLWeight:      1.0,
		Likelihood:    "bernoulli",
		Binarize:      "none",
		Optimizer:     "adam",
		LearningRate:  1e-3,
		BatchSize:     128,
		Steps:         0,
		Epochs:        10,
		EvalEvery:     500,
		EvalBatchSize: 1000,
		Seed:          1,
	}
}

// Known values of the string hyperparameters.
var (
	KnownModels       = []string{"vae", "ae"}
	KnownDatasets     = []string{"mnist", "fashion-mnist"}
	KnownActivations  = []string{"relu", "tanh", "leaky_relu", "sigmoid"}
	KnownLikelihoods  = []string{"bernoulli", "gaussian"}
	KnownBinarization = []string{"none", "static", "dynamic"}
	KnownOptimizers   = []string{"adam", "rmsprop"}
)

// param names one hyperparameter: the name used by Set, flags and saved files.
type param struct {
	name, help string
	ptr        any // Pointer to the Config field.
}

// params lists the hyperparameters in one place; Set, flags and Params derive from it.
func (c *Config) params() []param {
	return []param{
		{"model", "model kind: " + strings.Join(KnownModels, " | "), &c.Model},
		{"dataset", "data set: " + strings.Join(KnownDatasets, " | "), &c.Dataset},
		{"latent_dim", "size of the latent code z", &c.LatentDim},
		{"hidden_dims", "encoder hidden sizes, comma separated (decoder mirrors them)", &c.HiddenDims},
		{"activation", "hidden activation: " + strings.Join(KnownActivations, " | "), &c.Activation},
		{"kl_weight", "beta, the weight of the KL term (1 = ELBO, 0 = no prior)", &c.KLWeight},
		{"likelihood", "reconstruction likelihood: " + strings.Join(KnownLikelihoods, " | "), &c.Likelihood},
		{"binarize", "pixel binarisation: " + strings.Join(KnownBinarization, " | "), &c.Binarize},
		{"optimizer", "optimizer: " + strings.Join(KnownOptimizers, " | "), &c.Optimizer},
		{"learning_rate", "optimizer learning rate", &c.LearningRate},
		{"batch_size", "training batch size", &c.BatchSize},
		{"train_steps", "training steps (0: use epochs)", &c.Steps},
		{"epochs", "passes over the training set, when train_steps is 0", &c.Epochs},
		{"eval_every", "steps between held-out evaluations (0: only at the end)", &c.EvalEvery},
		{"eval_batch_size", "batch size for evaluation and inference", &c.EvalBatchSize},
		{"seed", "random seed", &c.Seed},
	}
}

// ParamNames lists the hyperparameter names accepted by Set, in display order.
func ParamNames() []string {
	var c Config
	var names []string
	for _, p := range c.params() {
		names = append(names, p.name)
	}
	return names
}

// Params returns the hyperparameters as a name -> value map (values are copies).
func (c *Config) Params() map[string]any {
	m := make(map[string]any)
	for _, p := range c.params() {
		v := reflect.ValueOf(p.ptr).Elem().Interface()
		if s, ok := v.([]int); ok {
			v = slices.Clone(s)
		}
		m[p.name] = v
	}
	return m
}

// Set parses settings in GoMLX's -set syntax: "name=value" pairs separated by ";"
// (lists comma separated, "file:path" reads settings from a file), using GoMLX's own
// parser, then validates the result. On error, the Config is left unchanged.
func (c *Config) Set(settings string) error {
	store := model.NewStore()
	store.SetParams(c.Params())
	if _, err := commandline.ParseSettings(store, settings); err != nil {
		return fmt.Errorf("vaekit: settings %q: %v (known parameters: %s)", settings, err, strings.Join(ParamNames(), ", "))
	}
	next := c.Clone()
	for _, p := range next.params() {
		value, _ := store.GetParam(p.name)
		reflect.ValueOf(p.ptr).Elem().Set(reflect.ValueOf(value))
	}
	if err := next.Validate(); err != nil {
		return err
	}
	*c = next
	return nil
}

// Clone returns a deep copy.
func (c Config) Clone() Config {
	c.HiddenDims = slices.Clone(c.HiddenDims)
	return c
}

// RegisterFlags adds one flag per hyperparameter (e.g. --kl_weight=3) to fs, plus
// "set" for GoMLX-style "-set" strings. Each flag goes through Set, so flags are parsed
// and validated exactly like settings. In a GoNB notebook, `%% --kl_weight=3` reaches
// flag.CommandLine.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	for _, p := range c.params() {
		fs.Var(&paramFlag{c: c, name: p.name}, p.name, p.help)
	}
	fs.Var(&setFlag{c: c}, "set", `hyperparameters as "name=value;name=value" (GoMLX -set syntax); names: `+strings.Join(ParamNames(), ", "))
}

type paramFlag struct {
	c    *Config
	name string
}

func (f *paramFlag) String() string {
	if f.c == nil {
		return ""
	}
	v := f.c.Params()[f.name]
	if s, ok := v.([]int); ok {
		return strings.Trim(strings.Join(strings.Fields(fmt.Sprint(s)), ","), "[]")
	}
	return fmt.Sprint(v)
}
func (f *paramFlag) Set(value string) error { return f.c.Set(f.name + "=" + value) }

type setFlag struct{ c *Config }

func (f *setFlag) String() string         { return "" }
func (f *setFlag) Set(value string) error { return f.c.Set(value) }

// Validate reports every impossible setting at once, each naming the parameter and what
// was expected.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	oneOf := func(name, value string, known []string) {
		if !slices.Contains(known, value) {
			bad("%s=%q: expected one of %s", name, value, strings.Join(known, ", "))
		}
	}
	oneOf("model", c.Model, KnownModels)
	oneOf("dataset", c.Dataset, KnownDatasets)
	oneOf("activation", c.Activation, KnownActivations)
	oneOf("likelihood", c.Likelihood, KnownLikelihoods)
	oneOf("binarize", c.Binarize, KnownBinarization)
	oneOf("optimizer", c.Optimizer, KnownOptimizers)
	if c.LatentDim < 1 {
		bad("latent_dim=%d: expected >= 1", c.LatentDim)
	}
	for i, h := range c.HiddenDims {
		if h < 1 {
			bad("hidden_dims[%d]=%d: expected every hidden size >= 1", i, h)
		}
	}
	if c.KLWeight < 0 || c.KLWeight != c.KLWeight {
		bad("kl_weight=%g: expected a number >= 0", c.KLWeight)
	}
	if !(c.LearningRate > 0) {
		bad("learning_rate=%g: expected > 0", c.LearningRate)
	}
	if c.BatchSize < 1 {
		bad("batch_size=%d: expected >= 1", c.BatchSize)
	}
	if c.EvalBatchSize < 1 {
		bad("eval_batch_size=%d: expected >= 1", c.EvalBatchSize)
	}
	switch {
	case c.Steps < 0:
		bad("train_steps=%d: expected >= 0", c.Steps)
	case c.Epochs < 0:
		bad("epochs=%d: expected >= 0", c.Epochs)
	case c.Steps == 0 && c.Epochs == 0:
		bad("train_steps=0 and epochs=0: expected one of them > 0")
	}
	if c.EvalEvery < 0 {
		bad("eval_every=%d: expected >= 0", c.EvalEvery)
	}
	if len(errs) > 0 {
		return fmt.Errorf("vaekit: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

// StepsFor returns the number of training steps for a training set of n examples.
func (c *Config) StepsFor(n int) int {
	if c.Steps > 0 {
		return c.Steps
	}
	stepsPerEpoch := n / c.BatchSize // Incomplete batches are dropped, as in the tutorials.
	if stepsPerEpoch < 1 {
		stepsPerEpoch = 1
	}
	return c.Epochs * stepsPerEpoch
}

// String prints the settings in Set syntax, so a printed config can be pasted back.
func (c Config) String() string {
	var parts []string
	for _, p := range c.params() {
		parts = append(parts, p.name+"="+(&paramFlag{c: &c, name: p.name}).String())
	}
	return strings.Join(parts, ";")
}

// Hash identifies the experiment: two configs with the same settings share it. Notebooks
// use it to name a model directory, so re-running a cell with the same settings loads the
// trained model instead of training again.
func (c Config) Hash() string {
	sum := sha256.Sum256([]byte(c.String()))
	return hex.EncodeToString(sum[:6])
}

// MarshalJSON writes the hyperparameters under their names (the names users type).
func (c Config) MarshalJSON() ([]byte, error) { return json.Marshal(c.Params()) }

// UnmarshalJSON reads hyperparameters by name, starting from the defaults; unknown
// names are an error, so a file from a different vaekit version is not silently misread.
func (c *Config) UnmarshalJSON(b []byte) error {
	raw := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	next := DefaultConfig()
	byName := map[string]any{}
	for _, p := range next.params() {
		byName[p.name] = p.ptr
	}
	for name, value := range raw {
		ptr, ok := byName[name]
		if !ok {
			return fmt.Errorf("unknown hyperparameter %q (known: %s)", name, strings.Join(ParamNames(), ", "))
		}
		if err := json.Unmarshal(value, ptr); err != nil {
			return fmt.Errorf("hyperparameter %q: %w", name, err)
		}
	}
	*c = next
	return nil
}

// QuickMode reports whether $VAEKIT_QUICK asks for small budgets (CI runs the notebooks
// this way).
func QuickMode() bool {
	v := os.Getenv("VAEKIT_QUICK")
	return v != "" && v != "0" && v != "false"
}
