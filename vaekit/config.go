package vaekit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/vaekit/vaekit/internal/conv"
	"github.com/vaekit/vaekit/vaekit/data"
)

// Config holds every hyperparameter of one experiment. It is the single source of truth:
// a saved model carries it, and notebooks and commands change it by name, e.g.
//
//	cfg := vaekit.DefaultConfig()
//	err := cfg.Set("kl_weight=0.5;latent_dim=2") // GoMLX's -set syntax
//
// The defaults reproduce pytorch/examples vae/main.py: MNIST, 784-400-20 with ReLU,
// Bernoulli likelihood, PyTorch's initial weights, Adam at 1e-3 (epsilon 1e-8), batch 128,
// 10 epochs.
//
// Copy a Config with Clone: a plain assignment shares its slices (HiddenDims and the
// strides), so editing an element of the copy's would edit the original's. Set, flags and
// JSON always give a Config new slices. The methods that change a Config (Set,
// RegisterFlags, UnmarshalJSON) take a pointer; every other method a value.
type Config struct {
	Model        string    // "vae", or "ae" for a plain autoencoder (deterministic z, no KL term).
	Condition    string    // "none", or "label": a conditional VAE, q(z|x,y) and p(x|z,y) (Sohn, Lee & Yan 2015).
	Classes      int       // Number of label values y takes (condition=label).
	Dataset      data.Name // "mnist", "fashion-mnist", "cifar10", "dsprites" (drawn by vaekit), or "idx" / "folder" for data of one's own (see package data).
	ImageShape   []int     // Height, width and channels of the images, as the data has them (Config.WithImageShape).
	DataID       string    // dataset=idx|folder|dsprites: which data (data.Set.Fingerprint), set by Train and TrainOrLoad.
	Architecture string    // "mlp" (dense layers) or "conv" (the TensorFlow tutorial's convolutional VAE).
	LatentDim    int       // Size of z.
	HiddenDims   []int     // MLP: encoder hidden layer sizes; the decoder mirrors them unless DecoderHiddenDims is set.
	Activation   string    // Hidden activation: "relu", "tanh", "leaky_relu" (alpha 0.3) or "sigmoid".
	Dropout      float64   // Dropout rate after each hidden layer in training (TensorFlow's keep_prob = 1 - rate).

	// MLP decoders that are not the encoder's mirror image (Chen et al.'s 2018 dSprites
	// networks: a ReLU encoder of two layers, a tanh decoder of three).
	DecoderHiddenDims []int  // Decoder hidden layer sizes from z up; empty: HiddenDims in reverse.
	DecoderActivation string // The decoder's hidden activation; "": Activation.

	// Convolutional architecture (Architecture == "conv"); see Encoder and Decoder (conv.go).
	ConvFilters   int    // Filters of every convolution.
	ConvKernel    int    // Kernel size (square) of every convolution.
	ConvStrides   []int  // Encoder: one convolution per stride, 'same' padding.
	DeconvStrides []int  // Decoder: one transposed convolution per stride, 'same' padding.
	ConvDense     int    // Decoder: width of the dense layer between z and the initial feature map.
	ConvAlgorithm string // How convolutions are computed: "auto", "im2col" or "native"; see knownConvAlgorithms.

	Posterior      string // How the encoder outputs sigma: "log_var" (log sigma^2) or "log_std" (log sigma = 0.5 * dense).
	PosteriorHeads string // Where the posterior's two linear heads sit: "hidden" (on the last hidden layer) or "code" (on an autoencoder's code layer of LatentDim units).
	Initializer    string // Initial weights: "pytorch", "keras", "tf1_glorot_init" or "gomlx"; see knownInitializers.

	// The objective: Reconstruction + KLWeight(step) * KL (the ELBO, weighted), the
	// importance-weighted bound of Burda, Grosse & Salakhutdinov (2016) with IWAESamples,
	// or Chen et al.'s (2018) beta-TCVAE: the KL split into three parts, weighted apart.
	Objective      string  // "elbo", "iwae" or "beta_tcvae".
	IWAESamples    int     // k, the importance samples per image of objective=iwae (k = 1 is the ELBO).
	TCAlpha        float64 // objective=beta_tcvae: weight of the index-code mutual information I(z; n).
	TCBeta         float64 // objective=beta_tcvae: weight of the total correlation KL(q(z) || prod_j q(z_j)).
	TCGamma        float64 // objective=beta_tcvae: weight of the dimension-wise KL sum_j KL(q(z_j) || p(z_j)).
	DatasetSize    int     // objective=beta_tcvae: N of the minibatch estimate of q(z), set by Train and TrainOrLoad when 0.
	TCEstimator    string  // objective=beta_tcvae: how a batch estimates q(z): "mws" (minibatch-weighted) or "mss" (minibatch-stratified sampling).
	Reconstruction string  // "bernoulli", "bernoulli_mean", "gaussian" or "sse"; see ReconstructionTerms.
	KLReduction    string  // "sum" over latent dimensions (the ELBO) or "mean" (one tutorial's averaged KL).
	KLWeight       float64 // beta: weight of the KL term; 1 is the ELBO, 0 drops the prior.
	KLWarmupSteps  int     // Linear KL warm-up: beta grows from 0 to KLWeight over this many steps (0: off).
	FreeBits       float64 // Free bits: per-dimension floor, in nats, on the batch-averaged KL (0: off).

	Binarize        string  // "none", "static" (threshold 0.5) or "dynamic" (Bernoulli resample per batch).
	Optimizer       string  // "adam", "rmsprop_tf1", "rmsprop_keras" or "rmsprop" (GoMLX's); see rmsProp.
	LearningRate    float64 // Optimizer learning rate (at the start, under a schedule).
	LRSchedule      string  // "constant", or "iwae": Burda et al.'s decay (Config.LearningRateAt).
	AdamEpsilon     float64 // Adam's epsilon: 1e-8 in PyTorch and TensorFlow 1, 1e-7 in Keras/TF2 and GoMLX.
	BatchSize       int     // Training batch size.
	Steps           int     // Training steps; when 0, Epochs decides.
	Epochs          int     // Passes over the training set, used when Steps is 0.
	EvalEvery       int     // Steps between held-out evaluations (0: only at the end).
	EvalBatchSize   int     // Batch size for evaluation and inference.
	EvalIWAESamples int     // k of an IWAE estimate of -log p(x) on the held-out set at each evaluation (Record.HeldOutIWAENLL); 0: off.
	Seed            uint64  // Seeds initialisation, shuffling, sampling and binarisation.
}

// Known values of the string hyperparameters.
var (
	knownModels          = []string{"vae", "ae"}
	knownConditions      = []string{"none", "label"}
	knownDatasets        = []string{string(data.MNIST), string(data.FashionMNIST), string(data.CIFAR10), string(data.DSprites), string(data.IDXFiles), string(data.ImageFolder)}
	knownArchitectures   = []string{"mlp", "conv"}
	knownPosteriors      = []string{"log_var", "log_std"}
	knownPosteriorHeads  = []string{"hidden", "code"}
	knownObjectives      = []string{"elbo", "iwae", "beta_tcvae"}
	knownTCEstimators    = []string{"mws", "mss"}
	knownReconstructions = []string{"bernoulli", "bernoulli_mean", "gaussian", "sse"}
	knownKLReductions    = []string{"sum", "mean"}
	knownBinarization    = []string{"none", "static", "dynamic"}
	// knownConvAlgorithms are the ways to compute a convolution: "native" is GoMLX's
	// ConvGeneral (XLA's tuned kernels); "im2col" gathers the patches for one matmul, about
	// 20x faster on the Go backend, whose ConvGeneral is direct loops; "auto" picks native
	// on XLA for odd kernels and im2col otherwise (GoMLX v0.28.16's ConvGeneral input
	// gradient is wrong for even kernels).
	knownConvAlgorithms = conv.Algorithms
	knownOptimizers     = []string{"adam", "rmsprop_tf1", "rmsprop_keras", "rmsprop"}
	knownLRSchedules    = []string{"constant", "iwae"}
)

// param is one hyperparameter, declared once: the name Set, flags and saved files use, its
// help, the Config field it sets, its default, what a value of it alone must be, and the
// value that models saved before it existed were trained with.
type param struct {
	name, help string
	ptr        any                             // Pointer to the Config field.
	def        any                             // DefaultConfig's value, of the field's type.
	check      func(name string, v any) string // The problem with v alone, "" if none.
	before     string                          // JSON of the value older model files imply ("": always saved).
}

// params lists the hyperparameters in one place; DefaultConfig, Set, flags, validation,
// JSON and Params derive from it.
func (c *Config) params() []param {
	return []param{
		{"model", "model kind: " + strings.Join(knownModels, " | "), &c.Model, "vae", oneOf(knownModels), ""},
		{"condition", "condition the encoder and decoder on: none | label (a conditional VAE)", &c.Condition, "none", oneOf(knownConditions), `"none"`},
		{"classes", "number of label values, for condition=label", &c.Classes, 10, atLeast(2), "10"},
		{"dataset", "data set: " + strings.Join(knownDatasets, " | "), &c.Dataset, data.MNIST, oneOf(knownDatasets), ""},
		{"image_shape", "height,width,channels of the images (the data's)", &c.ImageShape, []int{28, 28, 1}, imageShape, "[28, 28, 1]"},
		{"data_id", "dataset=idx|folder|dsprites: the training data's fingerprint (set from the data when training)", &c.DataID, "", nil, `""`},
		{"architecture", "network: " + strings.Join(knownArchitectures, " | "), &c.Architecture, "mlp", oneOf(knownArchitectures), ""},
		{"latent_dim", "size of the latent code z", &c.LatentDim, 20, atLeast(1), ""},
		{"hidden_dims", "mlp: encoder hidden sizes, comma separated (decoder mirrors them)", &c.HiddenDims, []int{400}, eachAtLeast(1, "every hidden size >= 1", false), ""},
		{"activation", "hidden activation: " + strings.Join(knownActivations, " | "), &c.Activation, "relu", oneOf(knownActivations), ""},
		{"decoder_hidden_dims", "mlp: decoder hidden sizes from z up, comma separated (empty: hidden_dims in reverse)", &c.DecoderHiddenDims, []int{}, eachAtLeast(1, "every hidden size >= 1", false), "[]"},
		{"decoder_activation", "the decoder's hidden activation (empty: activation's)", &c.DecoderActivation, "", emptyOr(oneOf(knownActivations)), `""`},
		{"dropout", "dropout rate after hidden layers in training (TensorFlow keep_prob = 1 - rate)", &c.Dropout, 0.0, dropoutRate, ""},
		{"conv_filters", "conv: filters of every convolution", &c.ConvFilters, 64, atLeast(1), ""},
		{"conv_kernel", "conv: kernel size of every convolution", &c.ConvKernel, 4, atLeast(1), ""},
		{"conv_strides", "conv: encoder convolution strides, one layer each, comma separated", &c.ConvStrides, []int{2, 2, 1}, eachAtLeast(1, "a stride >= 1", true), ""},
		{"deconv_strides", "conv: decoder transposed-convolution strides, one layer each", &c.DeconvStrides, []int{2, 1, 1}, eachAtLeast(1, "a stride >= 1", true), ""},
		{"conv_dense", "conv: width of the decoder's first dense layer", &c.ConvDense, 24, atLeast(1), ""},
		{"conv_algorithm", "how convolutions are computed: " + strings.Join(knownConvAlgorithms, " | "), &c.ConvAlgorithm, "auto", oneOf(knownConvAlgorithms), `"auto"`},
		{"posterior", "encoder output for sigma: " + strings.Join(knownPosteriors, " | "), &c.Posterior, "log_var", oneOf(knownPosteriors), ""},
		{"posterior_heads", "where the mean and variance heads sit: hidden (on the last hidden layer) | code (on an autoencoder's code layer of latent_dim units)", &c.PosteriorHeads, "hidden", oneOf(knownPosteriorHeads), `"hidden"`},
		{"initializer", "initial weights: pytorch | keras (glorot uniform, zero biases) | tf1_glorot_init | gomlx (He normal)", &c.Initializer, "pytorch", oneOf(knownInitializers), `"gomlx"`},
		{"objective", "training objective: elbo | iwae (the importance-weighted bound, iwae_samples samples) | beta_tcvae (Chen et al. 2018: the KL split into index-code MI, total correlation and dimension-wise KL, weighted by tc_alpha, tc_beta, tc_gamma)", &c.Objective, "elbo", oneOf(knownObjectives), `"elbo"`},
		{"iwae_samples", "objective=iwae: importance samples per image, k (1 is the ELBO)", &c.IWAESamples, 1, atLeast(1), "1"},
		{"tc_alpha", "objective=beta_tcvae: weight of the index-code mutual information I(z; n)", &c.TCAlpha, 1.0, finite(0, false, "a finite number >= 0"), "1"},
		{"tc_beta", "objective=beta_tcvae: weight of the total correlation KL(q(z) || prod_j q(z_j)), the beta of beta-TCVAE (e.g. 6, as the usage example of the authors' code trains dSprites)", &c.TCBeta, 1.0, finite(0, false, "a finite number >= 0"), "1"},
		{"tc_gamma", "objective=beta_tcvae: weight of the dimension-wise KL sum_j KL(q(z_j) || p(z_j))", &c.TCGamma, 1.0, finite(0, false, "a finite number >= 0"), "1"},
		{"tc_estimator", "objective=beta_tcvae: how a batch estimates q(z) and q(z_j): mws (minibatch-weighted sampling) | mss (minibatch-stratified sampling, Chen et al. 2018's other estimator)", &c.TCEstimator, "mws", oneOf(knownTCEstimators), `"mws"`},
		{"dataset_size", "objective=beta_tcvae: N, the training set's size, for the minibatch-weighted estimate of q(z); set from the training data when 0", &c.DatasetSize, 0, atLeast(0), "0"},
		{"reconstruction", "reconstruction term: " + strings.Join(knownReconstructions, " | "), &c.Reconstruction, "bernoulli", oneOf(knownReconstructions), ""},
		{"kl_reduction", "KL over latent dimensions: " + strings.Join(knownKLReductions, " | "), &c.KLReduction, "sum", oneOf(knownKLReductions), ""},
		{"kl_weight", "beta, the weight of the KL term (1 = ELBO, 0 = no prior)", &c.KLWeight, 1.0, finite(0, false, "a finite number >= 0"), ""},
		{"kl_warmup_steps", "steps over which beta grows linearly from 0 to kl_weight (0 = off)", &c.KLWarmupSteps, 0, atLeast(0), ""},
		{"free_bits", "per-dimension floor in nats on the batch-averaged KL (0 = off)", &c.FreeBits, 0.0, finite(0, false, "a finite number of nats >= 0"), ""},
		{"binarize", "pixel binarisation: " + strings.Join(knownBinarization, " | "), &c.Binarize, "none", oneOf(knownBinarization), ""},
		{"optimizer", "optimizer: " + strings.Join(knownOptimizers, " | "), &c.Optimizer, "adam", oneOf(knownOptimizers), ""},
		{"learning_rate", "optimizer learning rate (the first, under a schedule)", &c.LearningRate, 1e-3, finite(0, true, "a finite number > 0"), ""},
		{"lr_schedule", "learning rate schedule: constant | iwae (Burda et al. 2016: 3^i epochs at learning_rate*10^(-i/7), i=0..7)", &c.LRSchedule, "constant", oneOf(knownLRSchedules), `"constant"`},
		{"adam_epsilon", "Adam's epsilon (PyTorch 1e-8, Keras 1e-7)", &c.AdamEpsilon, 1e-8, finite(0, true, "a finite number > 0"), "1e-7"},
		{"batch_size", "training batch size", &c.BatchSize, 128, atLeast(1), ""},
		{"train_steps", "training steps (0: use epochs)", &c.Steps, 0, atLeast(0), ""},
		{"epochs", "passes over the training set, when train_steps is 0", &c.Epochs, 10, atLeast(0), ""},
		{"eval_every", "steps between held-out evaluations (0: only at the end)", &c.EvalEvery, 500, atLeast(0), ""},
		{"eval_batch_size", "batch size for evaluation and inference", &c.EvalBatchSize, 1000, atLeast(1), ""},
		{"eval_iwae", "at each evaluation, also estimate the held-out -log p(x) with this many IWAE samples per image (0 = off)", &c.EvalIWAESamples, 0, atLeast(0), "0"},
		{"seed", "random seed", &c.Seed, uint64(1), nil, ""},
	}
}

// DefaultConfig returns the defaults described on Config.
func DefaultConfig() Config {
	var c Config
	for _, p := range c.params() {
		def := p.def
		if s, ok := def.([]int); ok {
			def = slices.Clone(s)
		}
		reflect.ValueOf(p.ptr).Elem().Set(reflect.ValueOf(def))
	}
	return c
}

// The checks of one setting alone, for the params table: each returns the whole message,
// naming the setting and its value, or "".

// showValue prints a setting's value as an error message shows it.
func showValue(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case []int:
		return intList(v)
	case float64:
		return fmt.Sprintf("%g", v)
	}
	return fmt.Sprint(v)
}

func oneOf(known []string) func(string, any) string {
	return func(name string, v any) string {
		if slices.Contains(known, v.(string)) {
			return ""
		}
		return fmt.Sprintf("%s=%s: expected one of %s", name, showValue(v), strings.Join(known, ", "))
	}
}

// emptyOr accepts "" (the setting's fallback) or what check accepts.
func emptyOr(check func(string, any) string) func(string, any) string {
	return func(name string, v any) string {
		if v.(string) == "" {
			return ""
		}
		return check(name, v)
	}
}

func atLeast(low int) func(string, any) string {
	return func(name string, v any) string {
		if v.(int) >= low {
			return ""
		}
		return fmt.Sprintf("%s=%d: expected >= %d", name, v, low)
	}
}

// finite checks a float: finite and >= low (> low when strictly).
func finite(low float64, strictly bool, expected string) func(string, any) string {
	return func(name string, v any) string {
		x := v.(float64)
		if !math.IsInf(x, 0) && (x > low || (!strictly && x >= low)) {
			return ""
		}
		return fmt.Sprintf("%s=%g: expected %s", name, x, expected)
	}
}

func dropoutRate(name string, v any) string {
	if x := v.(float64); x >= 0 && x < 1 {
		return ""
	}
	return fmt.Sprintf("%s=%g: expected a rate in [0, 1)", name, v)
}

func imageShape(name string, v any) string {
	if s := v.([]int); len(s) == 3 && slices.Min(s) >= 1 {
		return ""
	}
	return fmt.Sprintf("%s=%s: expected height,width,channels, each >= 1", name, showValue(v))
}

// eachAtLeast checks every element of a list (and, with nonEmpty, that there is one).
func eachAtLeast(low int, expected string, nonEmpty bool) func(string, any) string {
	return func(name string, v any) string {
		values := v.([]int)
		if nonEmpty && len(values) == 0 {
			return fmt.Sprintf("%s is empty: expected at least one layer", name)
		}
		var problems []string
		for i, x := range values {
			if x < low {
				problems = append(problems, fmt.Sprintf("%s[%d]=%d: expected %s", name, i, x, expected))
			}
		}
		return strings.Join(problems, "\n")
	}
}

// param returns the row of the hyperparameter called name, its ptr pointing into c.
func (c *Config) param(name string) (param, bool) {
	for _, p := range c.params() {
		if p.name == name {
			return p, true
		}
	}
	return param{}, false
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
func (c Config) Params() map[string]any {
	m := make(map[string]any)
	for _, p := range c.params() {
		m[p.name] = p.value()
	}
	return m
}

// value is the setting's value as Set parses it and Params gives it: a copy, and a
// named string type (data.Name) as a plain string.
func (p param) value() any {
	v := reflect.ValueOf(p.ptr).Elem()
	switch {
	case v.Kind() == reflect.String:
		return v.String()
	case v.Kind() == reflect.Slice:
		return slices.Clone(v.Interface().([]int))
	}
	return v.Interface()
}

// Clone returns a deep copy.
func (c Config) Clone() Config {
	c.HiddenDims = slices.Clone(c.HiddenDims)
	c.DecoderHiddenDims = slices.Clone(c.DecoderHiddenDims)
	c.ImageShape = slices.Clone(c.ImageShape)
	c.ConvStrides = slices.Clone(c.ConvStrides)
	c.DeconvStrides = slices.Clone(c.DeconvStrides)
	return c
}

// Validate reports every impossible setting at once, each naming the parameter and what
// was expected.
func (c Config) Validate() error { return c.problems(true) }

// problems checks each setting alone (the params table's checks), and with combinations
// also the settings that constrain one another.
func (c *Config) problems(combinations bool) error {
	var errs []error
	for _, p := range c.params() {
		if p.check == nil {
			continue
		}
		if msg := p.check(p.name, p.value()); msg != "" {
			for _, line := range strings.Split(msg, "\n") {
				errs = append(errs, errors.New(line))
			}
		}
	}
	if combinations {
		errs = append(errs, c.combinationProblems()...)
	}
	if len(errs) > 0 {
		return fmt.Errorf("vaekit: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

// combinationProblems checks the settings that constrain one another: the data set's
// image shape, what each objective and model kind allows, the budget, and the
// convolutional architecture against the image size (the encoder's strides must leave
// at least 2 pixels, and none may exceed the kernel).
func (c *Config) combinationProblems() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	validShape := imageShape("", c.ImageShape) == ""
	if want, known := knownShapes[c.Dataset]; known && validShape && !slices.Equal(c.ImageShape, want) {
		bad("image_shape=%s: %s's images are %s: expected image_shape=%s", intList(c.ImageShape), c.Dataset, intList(want), intList(want))
	}
	if c.Objective == "iwae" && (c.Model != "vae" || c.KLWeight != 1 || c.KLWarmupSteps > 0 || c.FreeBits > 0 || c.KLReduction != "sum") {
		bad("objective=iwae trains the bound itself: expected model=vae kl_weight=1 kl_reduction=sum kl_warmup_steps=0 free_bits=0")
	}
	if c.Objective != "iwae" && c.IWAESamples != 1 {
		bad("iwae_samples=%d: used by objective=iwae only, expected 1 with objective=%s", c.IWAESamples, c.Objective)
	}
	errs = append(errs, c.tcvaeProblems()...)
	if c.Autoencoder() && (c.KLWarmupSteps > 0 || c.FreeBits > 0) {
		bad("model=ae has no KL term: expected kl_warmup_steps=0 and free_bits=0")
	}
	if c.EvalIWAESamples > 0 && c.Autoencoder() {
		bad("eval_iwae=%d: a plain autoencoder (model=ae) has no likelihood to estimate, expected 0", c.EvalIWAESamples)
	}
	if c.Steps == 0 && c.Epochs == 0 {
		bad("train_steps=0 and epochs=0: expected one of them > 0")
	}
	if c.Architecture != "mlp" && (len(c.DecoderHiddenDims) > 0 || c.DecoderActivation != "") {
		bad("decoder_hidden_dims and decoder_activation shape the mlp decoder: expected them empty with architecture=%s", c.Architecture)
	}
	if c.Architecture != "conv" {
		return errs // The conv settings only matter together with architecture=conv.
	}
	for _, layers := range []struct {
		name    string
		strides []int
	}{{"conv_strides", c.ConvStrides}, {"deconv_strides", c.DeconvStrides}} {
		for i, s := range layers.strides {
			if s > max(c.ConvKernel, 1) {
				bad("%s[%d]=%d: expected a stride between 1 and conv_kernel=%d", layers.name, i, s, c.ConvKernel)
			}
		}
	}
	if validShape && len(c.ConvStrides) > 0 && slices.Min(c.ConvStrides) >= 1 {
		height, width := c.ImageShape[0], c.ImageShape[1]
		if min(conv.OutputSize(height, c.ConvStrides), conv.OutputSize(width, c.ConvStrides)) < 2 {
			bad("conv_strides=%v: the encoder shrinks %dx%d images to 1 pixel in a dimension; expected fewer or smaller strides", c.ConvStrides, height, width)
		}
	}
	if err := c.convKernelProblem(); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// convKernelProblem checks conv_kernel against the input of every convolution, the
// encoder's and the decoder's: a kernel larger than the map it slides over only adds
// padding, and memory (conv_kernel=100 on 28x28 images asked for 23 GB).
func (c *Config) convKernelProblem() error {
	strides := append(slices.Clone(c.ConvStrides), c.DeconvStrides...)
	if imageShape("", c.ImageShape) != "" || c.ConvKernel < 1 || len(c.ConvStrides) == 0 || len(strides) == 0 || slices.Min(strides) < 1 {
		return nil // Reported by the checks of each setting.
	}
	type layer struct {
		name string
		h, w int
	}
	var layers []layer
	h, w := c.ImageShape[0], c.ImageShape[1]
	for i, s := range c.ConvStrides {
		layers = append(layers, layer{fmt.Sprintf("the encoder's convolution %d", i+1), h, w})
		h, w = conv.OutputSize(h, []int{s}), conv.OutputSize(w, []int{s})
	}
	for i, s := range c.DeconvStrides {
		layers = append(layers, layer{fmt.Sprintf("the decoder's transposed convolution %d", i+1), h, w})
		h, w = h*min(s, 1<<20), w*min(s, 1<<20) // A larger stride exceeds the kernel, which is reported.
	}
	bound, first := math.MaxInt, -1
	for i, l := range layers {
		bound = min(bound, l.h, l.w)
		if first < 0 && c.ConvKernel > min(l.h, l.w) {
			first = i
		}
	}
	if first < 0 {
		return nil
	}
	l := layers[first]
	return fmt.Errorf("conv_kernel=%d: larger than the %dx%d input of %s (image_shape=%s, conv_strides=%s, deconv_strides=%s): expected conv_kernel <= %d",
		c.ConvKernel, l.h, l.w, l.name, intList(c.ImageShape), intList(c.ConvStrides), intList(c.DeconvStrides), bound)
}

// tcvaeProblems checks the settings of objective=beta_tcvae: its three weights replace
// the KL weight and its variants, and its settings mean nothing to other objectives.
func (c *Config) tcvaeProblems() []error {
	var errs []error
	if c.Objective != "beta_tcvae" {
		for _, name := range []string{"tc_alpha", "tc_beta", "tc_gamma", "tc_estimator", "dataset_size"} {
			if p, _ := c.param(name); !reflect.DeepEqual(p.value(), p.def) {
				errs = append(errs, fmt.Errorf("%s=%s: used by objective=beta_tcvae only, expected %s with objective=%s", name, p.text(), showValue(p.def), c.Objective))
			}
		}
		return errs
	}
	if c.Model != "vae" || c.KLWeight != 1 || c.KLWarmupSteps > 0 || c.FreeBits > 0 || c.KLReduction != "sum" {
		errs = append(errs, errors.New("objective=beta_tcvae weighs the KL's three parts itself (tc_alpha, tc_beta, tc_gamma): expected model=vae kl_weight=1 kl_reduction=sum kl_warmup_steps=0 free_bits=0"))
	}
	if c.TCEstimator == "mss" && c.BatchSize < 2 {
		errs = append(errs, fmt.Errorf("tc_estimator=mss with batch_size=%d: the stratified estimate weighs the rest of the batch against the sample's own posterior: expected batch_size >= 2", c.BatchSize))
	}
	if c.DatasetSize > 0 && c.DatasetSize < c.BatchSize {
		errs = append(errs, fmt.Errorf("dataset_size=%d: smaller than batch_size=%d: expected the training set's size (or 0, to take it from the training data)", c.DatasetSize, c.BatchSize))
	}
	return errs
}

// hiddenLayers are the settings an MLP's hidden layers take from c.
func (c *Config) hiddenLayers() hiddenLayers {
	return hiddenLayers{initializer: c.Initializer, activation: c.Activation, dropout: c.Dropout}
}

// decoderLayers is how the MLP decoder's hidden layers are built: its sizes from z up and
// their activation (the encoder's mirror image unless the decoder settings say otherwise).
func (c *Config) decoderLayers() (hiddenLayers, []int) {
	layers := c.hiddenLayers()
	if c.DecoderActivation != "" {
		layers.activation = c.DecoderActivation
	}
	if len(c.DecoderHiddenDims) > 0 {
		return layers, slices.Clone(c.DecoderHiddenDims)
	}
	hidden := slices.Clone(c.HiddenDims)
	slices.Reverse(hidden)
	return layers, hidden
}

// Autoencoder reports a plain autoencoder (model=ae): one deterministic code per image,
// no posterior to sample, no KL term and no prior to draw samples from.
func (c Config) Autoencoder() bool { return c.Model == "ae" }

// Conditional reports a conditional VAE (condition=label): the encoder and the decoder
// are given each image's label.
func (c Config) Conditional() bool { return c.Condition == "label" }

// HasKL reports whether the trained loss has a KL term: a VAE with a KL weight above 0.
func (c Config) HasKL() bool { return !c.Autoencoder() && c.KLWeight != 0 }

// LearningRateAt is the learning rate of the given epoch (counting from 0). Under
// lr_schedule=iwae it is Burda, Grosse & Salakhutdinov's (2016, section 5): 3^i epochs at
// learning_rate * 10^(-i/7) for i = 0..7, 3,280 epochs in all, and the last rate after them.
func (c Config) LearningRateAt(epoch int) float64 {
	if c.LRSchedule != "iwae" {
		return c.LearningRate
	}
	stage, end := 0, 1 // Stage i ends after epoch (3^(i+1) - 1)/2.
	for stage < 7 && epoch >= end {
		stage++
		end = 3*end + 1
	}
	return c.LearningRate * math.Pow(10, -float64(stage)/7)
}

// StepsPerEpoch is the number of training steps of one pass over n examples.
func (c Config) StepsPerEpoch(n int) int {
	return max(1, n/c.BatchSize) // Incomplete batches are dropped, as in the tutorials.
}

// StepsFor returns the number of training steps for a training set of n examples.
func (c Config) StepsFor(n int) int {
	if c.Steps > 0 {
		return c.Steps
	}
	return c.Epochs * c.StepsPerEpoch(n)
}

// knownShapes are the image shapes of the data sets that have one.
var knownShapes = map[data.Name][]int{
	data.MNIST: {28, 28, 1}, data.FashionMNIST: {28, 28, 1}, data.CIFAR10: {32, 32, 3},
	data.DSprites: {data.DSpritesSide, data.DSpritesSide, 1},
}

// intList prints values as Set reads them: comma separated.
func intList(values []int) string {
	return strings.Trim(strings.Join(strings.Fields(fmt.Sprint(values)), ","), "[]")
}

// Shape is the images' shape, from ImageShape.
func (c Config) Shape() data.Shape {
	if len(c.ImageShape) != 3 {
		return data.Shape{}
	}
	return data.Shape{Height: c.ImageShape[0], Width: c.ImageShape[1], Channels: c.ImageShape[2]}
}

// WithImageShape returns a copy of c for images of the given shape (a data.Set's Shape()):
// the data's shape is part of the model.
func (c Config) WithImageShape(s data.Shape) Config {
	c = c.Clone()
	c.ImageShape = []int{s.Height, s.Width, s.Channels}
	return c
}

// ELBOBeta is the weight this Config's objective puts on the KL term relative to the
// reconstruction term, both written as the ELBO writes them (summed over pixels and over
// latent dimensions, in nats): the beta of the beta-VAE it trains. Averaging the
// reconstruction over D pixels (reconstruction=bernoulli_mean) divides that term by D, and
// averaging the KL over L dimensions (kl_reduction=mean) divides the KL by L, so such a
// Config trains with beta = kl_weight * D / L. The squared error (sse) is the NLL of a
// Gaussian of variance 1/2 up to a constant, so there beta is kl_weight relative to that
// Gaussian. A plain autoencoder has no KL term: 0. Objective=beta_tcvae weighs the KL's
// three parts with tc_alpha, tc_beta and tc_gamma instead of one beta; ELBOBeta gives
// its kl_weight, 1 (with the three weights equal to w it trains beta = w).
func (c Config) ELBOBeta() float64 {
	if c.Autoencoder() {
		return 0
	}
	beta := c.KLWeight
	if c.Reconstruction == "bernoulli_mean" {
		beta *= float64(c.Shape().Size())
	}
	if c.KLReduction == "mean" {
		beta /= float64(c.LatentDim)
	}
	return beta
}

// String prints the settings in Set syntax, so a printed config can be pasted back.
func (c Config) String() string { return c.settings(nil) }

// text prints the setting's value as Set reads it.
func (p param) text() string {
	if s, ok := p.value().([]int); ok {
		return intList(s)
	}
	return fmt.Sprint(p.value())
}

// settings prints the settings in Set syntax, leaving out those named in skip.
func (c Config) settings(skip []string) string {
	var parts []string
	for _, p := range c.params() {
		if !slices.Contains(skip, p.name) {
			parts = append(parts, p.name+"="+p.text())
		}
	}
	return strings.Join(parts, ";")
}

// WatchedParams say how a run is watched (its evaluations) and computed (the convolution
// algorithm), not what it trains: they are no part of a model's identity (Hash), and a run
// may resume with other values (ResumableParams).
var WatchedParams = []string{"eval_every", "eval_batch_size", "eval_iwae", "conv_algorithm"}

// ResumableParams may differ between a saved model and a run that resumes it: the
// training budget and the step size, and how the run is watched (evaluations) and
// computed (the convolution algorithm); not what defines the model or its objective.
var ResumableParams = append([]string{"train_steps", "epochs", "learning_rate"}, WatchedParams...)

// Hash identifies the trained model: two configs that train the same model share it, so
// all settings but WatchedParams are part of it (the laterParams only when set). The
// model cache names a model's directory by it, so re-running a cell with the same
// settings (or another evaluation cadence) loads the trained model instead of training
// again.
func (c Config) Hash() string {
	return shortHash(c.settings(append(c.unsetLaterParams(), WatchedParams...)))
}

// settingsHash is the hash of every setting, WatchedParams included (the laterParams
// only when set): the name the model cache gave a model's directory before
// WatchedParams were left out of Hash.
func (c Config) settingsHash() string { return shortHash(c.settings(c.unsetLaterParams())) }

// laterParams were added after the model cache had named models by hashes that did not
// know them. Hash leaves each out while it holds the value those models were trained
// with (its before), so that every cached model keeps its name.
var laterParams = []string{"decoder_hidden_dims", "decoder_activation", "tc_alpha", "tc_beta", "tc_gamma", "tc_estimator", "dataset_size"}

// unsetLaterParams are the laterParams that hold the value of models saved before them.
func (c Config) unsetLaterParams() []string {
	var unset []string
	for _, name := range laterParams {
		p, _ := c.param(name)
		before := reflect.New(reflect.TypeOf(p.ptr).Elem())
		if err := json.Unmarshal([]byte(p.before), before.Interface()); err != nil {
			panic(fmt.Sprintf("vaekit: param %s: before %q: %v", name, p.before, err))
		}
		if reflect.DeepEqual(before.Elem().Interface(), p.value()) {
			unset = append(unset, name)
		}
	}
	return unset
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
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
	if raw == nil { // "null"
		raw = map[string]json.RawMessage{}
	}
	// Settings added later, with the value models saved before them were trained with.
	for _, p := range next.params() {
		if _, ok := raw[p.name]; !ok && p.before != "" {
			raw[p.name] = json.RawMessage(p.before)
		}
	}
	if v, ok := raw["likelihood"]; ok { // vaekit 0.1 called the reconstruction term "likelihood".
		if _, both := raw["reconstruction"]; !both {
			raw["reconstruction"] = v
		}
		delete(raw, "likelihood")
	}
	for name, value := range raw {
		p, ok := next.param(name)
		if !ok {
			return fmt.Errorf("unknown hyperparameter %q (known: %s)", name, strings.Join(ParamNames(), ", "))
		}
		if err := json.Unmarshal(value, p.ptr); err != nil {
			return fmt.Errorf("hyperparameter %q: %w", name, err)
		}
	}
	*c = next
	return nil
}
