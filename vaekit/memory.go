package vaekit

import (
	"fmt"

	"github.com/vaekit/vaekit/internal/conv"
)

// The memory estimate: what a Config's network needs, computed from its settings before
// anything is built or allocated, so that a setting off by orders of magnitude
// (latent_dim=100000000000, 4096x4096 images, a batch of 100,000) is refused with its name
// instead of crashing the process out of memory. It counts the weights (with their
// gradients and the optimizer's state in training) and one batch's activations: every
// layer's outputs and a convolution's patches. It is a floor of sorts, not a measurement:
// what the backend, the data set and the Go runtime add comes on top.

// bytesPerValue is the size of a float32, every weight's and activation's type.
const bytesPerValue = 4

// MemoryUse is what a model is estimated for.
type MemoryUse struct {
	// Training: batches of batch_size images with their backward pass, the weights'
	// gradients and the optimizer's state, and the evaluations in between (eval_batch_size,
	// eval_iwae). Otherwise inference: batches of eval_batch_size.
	Training bool

	// IWAESamples, when > 0, adds the batches of an IWAE bound of this many samples per
	// image (Measure's IWAESamples).
	IWAESamples int
}

// MemoryEstimate is about how many bytes a model needs for a MemoryUse.
type MemoryEstimate struct {
	Training     bool
	Weights      float64 // The weights, and in training their gradients and the optimizer's state.
	Activations  float64 // The largest batch's activations.
	Batch        string  // The largest batch, by the setting that sizes it, e.g. "batch_size=128".
	Rows         float64 // Its rows through the network: images, or images x samples.
	Network      string  // The settings of the network's largest layer (by its weights and values).
	ValuesPerRow float64 // The values one row holds in all layers.
}

// Total is the estimate in bytes.
func (e MemoryEstimate) Total() float64 { return e.Weights + e.Activations }

// layerCost is one layer as the estimate counts it.
type layerCost struct {
	what    string  // The settings it grows with, as a message names them.
	weights float64 // Parameters: weights and biases.
	values  float64 // Values it holds per image: its outputs, and a convolution's patches.
}

// batchCost is one kind of batch the model runs.
type batchCost struct {
	rows     float64 // Rows through the network: images, or images x samples.
	from     string  // The setting that sizes it.
	backward bool    // Whether the activations are kept for a backward pass, and have gradients.
	pairs    float64 // Values per row that grow with the batch: objective=beta_tcvae's (tcvaePairValues).
}

// EstimateMemory estimates, without building anything, the memory cfg's model needs for
// use: its weights and its largest batch's activations.
func EstimateMemory(cfg Config, use MemoryUse) MemoryEstimate {
	est := MemoryEstimate{Training: use.Training}
	weightCopies := 1.0
	if use.Training {
		weightCopies = 4 // The weights, their gradients, and Adam's two moments.
	}
	largest := 0.0
	for _, l := range networkCosts(&cfg) {
		est.Weights += l.weights * weightCopies * bytesPerValue
		est.ValuesPerRow += l.values
		if size := l.weights*weightCopies + l.values; size > largest {
			largest, est.Network = size, l.what
		}
	}
	for _, b := range batchCosts(&cfg, use) {
		copies := inferenceCopies
		if b.backward {
			copies = 3 // Outputs kept for the backward pass, and their gradients.
		}
		if a := b.rows * (est.ValuesPerRow + b.pairs) * copies * bytesPerValue; a > est.Activations {
			est.Activations, est.Batch, est.Rows = a, b.from, b.rows
		}
	}
	return est
}

// culprit names the settings that make the estimate too large for limit: the batch when
// one row would fit, else the network's largest layer.
func (e MemoryEstimate) culprit(limit float64) string {
	if e.Rows > 1 && e.Weights+e.Activations/e.Rows <= limit {
		return fmt.Sprintf("%s, %s values per image", e.Batch, countString(e.ValuesPerRow))
	}
	return e.Network
}

// inferenceCopies is how many values inference holds per value of the layers' outputs:
// the outputs, and the temporaries between them.
const inferenceCopies = 2.0

// inferenceBytesPerRow is the activations of one row (an image, or an IWAE sample) in
// inference.
func inferenceBytesPerRow(cfg *Config) float64 {
	perImage := 0.0
	for _, l := range networkCosts(cfg) {
		perImage += l.values
	}
	return perImage * inferenceCopies * bytesPerValue
}

// batchCosts lists the batches use runs cfg's model on.
func batchCosts(cfg *Config, use MemoryUse) []batchCost {
	batches := []batchCost{{float64(cfg.EvalBatchSize), fmt.Sprintf("eval_batch_size=%d", cfg.EvalBatchSize), false, tcvaePairValues(cfg, cfg.EvalBatchSize)}}
	if use.Training {
		step := batchCost{float64(cfg.BatchSize), fmt.Sprintf("batch_size=%d", cfg.BatchSize), true, tcvaePairValues(cfg, cfg.BatchSize)}
		if cfg.Objective == "iwae" && cfg.IWAESamples > 1 { // The decoder runs on every sample.
			step.rows *= float64(cfg.IWAESamples)
			step.from += fmt.Sprintf(" x iwae_samples=%d", cfg.IWAESamples)
		}
		batches = append(batches, step)
		if cfg.EvalIWAESamples > 0 {
			batches = append(batches, batchCost{iwaeBatchRows(cfg, cfg.EvalIWAESamples), fmt.Sprintf("eval_iwae=%d", cfg.EvalIWAESamples), false, 0})
		}
	}
	if use.IWAESamples > 0 {
		batches = append(batches, batchCost{iwaeBatchRows(cfg, use.IWAESamples), fmt.Sprintf("IWAE with %d samples", use.IWAESamples), false, 0})
	}
	return batches
}

// tcvaePairValues is what objective=beta_tcvae's estimate of q(z) adds to each row of a
// batch of rows images: the log-density of every sample under every posterior of the
// batch, rows x latent_dim values per row, held 1.5 times over (measured on the Go
// backend at batch 1000 and latent_dim 20: about 2 such [rows, rows, latent] tensors at
// an evaluation, 4 in a training step; EstimateMemory's copies make that 3 and 4.5).
func tcvaePairValues(cfg *Config, rows int) float64 {
	if cfg.Objective != "beta_tcvae" {
		return 0
	}
	return 1.5 * float64(rows) * float64(cfg.LatentDim)
}

// iwaeRows bounds the decoder rows (images x samples) of one IWAE batch, to bound memory:
// the samples of an image with more are computed in blocks of at most iwaeRows (iwaeBlocks).
const iwaeRows = 4096

// iwaeBatchBytes bounds the activations of one IWAE batch (EstimateMemory's), for the
// networks whose iwaeRows rows would need more: a conv VAE's patches.
const iwaeBatchBytes = 1 << 30

// iwaeRowsFor is how many decoder rows one IWAE batch of cfg's network has: iwaeRows, or
// fewer where their activations would exceed iwaeBatchBytes.
func iwaeRowsFor(cfg *Config) int {
	return int(min(iwaeRows, max(1, iwaeBatchBytes/inferenceBytesPerRow(cfg))))
}

// iwaeWorkers is how many IWAE batches run at once: the Go backend leaves cores idle
// between the ops of one graph, which a second batch in flight fills.
const iwaeWorkers = 2

// iwaeBatchRows is how many decoder rows the IWAE bound of k samples has in flight: a
// batch of at most iwaeRowsFor rows (images x samples, or a block of one image's
// samples) in each worker.
func iwaeBatchRows(cfg *Config, k int) float64 {
	rows := iwaeRowsFor(cfg)
	perBatch := rows
	if k <= rows {
		perBatch = k * (rows / k)
	}
	return float64(iwaeWorkers * perBatch)
}

// networkCosts lists the layers of cfg's encoder and decoder.
func networkCosts(cfg *Config) []layerCost {
	if cfg.Architecture == "conv" {
		return append(convEncoderCosts(cfg), convDecoderCosts(cfg)...)
	}
	return mlpCosts(cfg)
}

// denseCost is a dense layer from in to out values (named inName and outName), with its
// activation.
func denseCost(where string, in float64, inName string, out float64, outName string) layerCost {
	return layerCost{what: fmt.Sprintf("%s x %s (%s)", inName, outName, where), weights: in*out + out, values: 2 * out}
}

// classes is the size of the one-hot labels a conditional model joins to its inputs.
func (c *Config) classInputs() float64 {
	if c.Conditional() {
		return float64(c.Classes)
	}
	return 0
}

func (c *Config) imageName() string { return "image_shape=" + intList(c.ImageShape) }

func mlpCosts(cfg *Config) []layerCost {
	var layers []layerCost
	in, inName := float64(cfg.Shape().Size())+cfg.classInputs(), cfg.imageName()
	for i, h := range cfg.HiddenDims {
		name := fmt.Sprintf("hidden_dims[%d]=%d", i, h)
		layers = append(layers, denseCost(fmt.Sprintf("the encoder's layer %d", i+1), in, inName, float64(h), name))
		in, inName = float64(h), name
	}
	layers = append(layers, headCosts(cfg, in, inName)...)
	in, inName = float64(cfg.LatentDim)+cfg.classInputs(), fmt.Sprintf("latent_dim=%d", cfg.LatentDim)
	_, hidden := cfg.decoderLayers()
	for i, h := range hidden {
		name := fmt.Sprintf("hidden_dims[%d]=%d", len(hidden)-1-i, h)
		if len(cfg.DecoderHiddenDims) > 0 {
			name = fmt.Sprintf("decoder_hidden_dims[%d]=%d", i, h)
		}
		layers = append(layers, denseCost(fmt.Sprintf("the decoder's layer %d", i+1), in, inName, float64(h), name))
		in, inName = float64(h), name
	}
	return append(layers, denseCost("the decoder's output layer", in, inName, float64(cfg.Shape().Size()), cfg.imageName()))
}

// headCosts are the posterior's heads on in features (and the code layer under them).
func headCosts(cfg *Config, in float64, inName string) []layerCost {
	var layers []layerCost
	latent, latentName := float64(cfg.LatentDim), fmt.Sprintf("latent_dim=%d", cfg.LatentDim)
	if cfg.PosteriorHeads == "code" {
		layers = append(layers, denseCost("the encoder's code layer", in, inName, latent, latentName))
		in, inName = latent, latentName
		if cfg.Autoencoder() {
			return layers
		}
	}
	layers = append(layers, denseCost("the posterior's mean", in, inName, latent, latentName))
	if !cfg.Autoencoder() {
		layers = append(layers, denseCost("the posterior's variance", in, inName, latent, latentName))
	}
	return layers
}

// convCost is a convolution of kernel x kernel x c x filters on h x w inputs, giving
// outH x outW outputs, with its patches (im2col) and its activation.
func convCost(cfg *Config, where string, h, w, c, outH, outW int) layerCost {
	k, f := float64(cfg.ConvKernel), float64(cfg.ConvFilters)
	outs := float64(outH) * float64(outW)
	return layerCost{
		what:    fmt.Sprintf("conv_kernel=%d x conv_filters=%d (%s, on %dx%dx%d)", cfg.ConvKernel, cfg.ConvFilters, where, h, w, c),
		weights: k*k*float64(c)*f + f,
		values:  outs*f*2 + outs*k*k*float64(c),
	}
}

func convEncoderCosts(cfg *Config) []layerCost {
	var layers []layerCost
	shape := cfg.Shape()
	h, w, c := shape.Height, shape.Width, shape.Channels
	for i, s := range cfg.ConvStrides {
		outH, outW := conv.OutputSize(h, []int{s}), conv.OutputSize(w, []int{s})
		layers = append(layers, convCost(cfg, fmt.Sprintf("the encoder's convolution %d", i+1), h, w, c, outH, outW))
		h, w, c = outH, outW, cfg.ConvFilters
	}
	features := float64(h)*float64(w)*float64(c) + cfg.classInputs()
	return append(layers, headCosts(cfg, features, fmt.Sprintf("the encoder's %dx%dx%d features", h, w, c))...)
}

func convDecoderCosts(cfg *Config) []layerCost {
	shape := cfg.Shape()
	h, w := conv.OutputSize(shape.Height, cfg.ConvStrides), conv.OutputSize(shape.Width, cfg.ConvStrides)
	latentName, denseName := fmt.Sprintf("latent_dim=%d", cfg.LatentDim), fmt.Sprintf("conv_dense=%d", cfg.ConvDense)
	layers := []layerCost{
		denseCost("the decoder's dense layer", float64(cfg.LatentDim)+cfg.classInputs(), latentName, float64(cfg.ConvDense), denseName),
		denseCost("the decoder's initial map", float64(cfg.ConvDense), denseName, float64(h)*float64(w), fmt.Sprintf("%dx%d", h, w)),
	}
	c := 1
	for i, s := range cfg.DeconvStrides {
		outH, outW := h*s, w*s
		layers = append(layers, convCost(cfg, fmt.Sprintf("the decoder's transposed convolution %d", i+1), h, w, c, outH, outW))
		h, w, c = outH, outW, cfg.ConvFilters
	}
	features := fmt.Sprintf("the decoder's %dx%dx%d features", h, w, c)
	return append(layers, denseCost("the decoder's output layer", float64(h)*float64(w)*float64(c), features, float64(shape.Size()), cfg.imageName()))
}

// MemoryLimit is the most memory a model may be estimated to need (EstimateMemory).
type MemoryLimit struct {
	Bytes  float64
	Source string // How it was set, for messages, e.g. "50% of this machine's 23.4 GiB".
}

// MemoryError is the error of MemoryEstimate.Check: the estimate is above the limit.
type MemoryError struct {
	Estimate MemoryEstimate
	Limit    MemoryLimit
}

func (e *MemoryError) Error() string {
	doing, weights := "running the model", "of weights"
	if e.Estimate.Training {
		doing, weights = "training", "of weights, gradients and optimizer state"
	}
	return fmt.Sprintf("%s: %s needs about %s (%s %s, %s of activations for %s), more than the memory limit of %s (%s)",
		e.Estimate.culprit(e.Limit.Bytes), doing, ByteSize(e.Estimate.Total()), ByteSize(e.Estimate.Weights), weights,
		ByteSize(e.Estimate.Activations), e.Estimate.Batch, ByteSize(e.Limit.Bytes), e.Limit.Source)
}

// Check returns a *MemoryError when the estimate is above limit.
func (e MemoryEstimate) Check(limit MemoryLimit) error {
	if e.Total() > limit.Bytes {
		return &MemoryError{Estimate: e, Limit: limit}
	}
	return nil
}

// ByteSize prints a number of bytes in binary units: "512 B", "11.7 GiB".
func ByteSize(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// countString prints a large count briefly: "784", "2.1 million", "3e+12".
func countString(n float64) string {
	switch {
	case n < 1e6:
		return fmt.Sprintf("%.0f", n)
	case n < 1e9:
		return fmt.Sprintf("%.1f million", n/1e6)
	case n < 1e12:
		return fmt.Sprintf("%.1f billion", n/1e9)
	}
	return fmt.Sprintf("%.2g", n)
}
