package vaekit

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Encoder is the recognition model q(z|x) = N(mean, diag(exp(logVar))) of Kingma &
// Welling (2014), section 3, built from the Config's architecture: with dense layers, the
// encoder of the paper's appendix C.2. x holds flattened images, [batch,
// height*width*channels] (cfg.ImageShape, channels last). mean and logVar are [batch,
// latent].
//
// A conditional Config (condition=label) models q(z|x,y): labels [batch] (int32) are
// given to the network as one-hot codes, joined to the pixels (dense layers) or to the
// convolutions' flattened features; otherwise labels must be nil. For the plain
// autoencoder (cfg.Autoencoder()) the encoder is deterministic: logVar is nil.
func Encoder(scope *model.Scope, cfg *Config, x, labels *Node) (mean, logVar *Node) {
	shape := cfg.Shape()
	if x.Rank() != 2 || x.Shape().Dimensions[1] != shape.Size() {
		exceptions.Panicf("vaekit.Encoder: expected %s images flattened to [batch, %d], got shape %s", shape, shape.Size(), x.Shape())
	}
	y := oneHotLabels(cfg, labels, x)
	scope = scope.In("encoder")
	var h *Node
	switch cfg.Architecture {
	case "mlp":
		h = denseLayers(scope, cfg.hiddenLayers(), withLabels(x, y), cfg.HiddenDims)
	case "conv":
		h = withLabels(convFeatures(scope, cfg, x), y)
	default:
		exceptions.Panicf("vaekit.Encoder: unknown architecture %q, expected one of %v", cfg.Architecture, knownArchitectures)
	}
	return posteriorHeads(scope, cfg, h)
}

// oneHotLabels is the one-hot code of labels [batch] for a conditional Config, [batch,
// classes] in x's dtype, or nil for an unconditional one.
func oneHotLabels(cfg *Config, labels, x *Node) *Node {
	if !cfg.Conditional() {
		if labels != nil {
			exceptions.Panicf("vaekit: labels given to a model with condition=%q: expected nil", cfg.Condition)
		}
		return nil
	}
	if labels == nil || labels.Rank() != 1 || labels.Shape().Dimensions[0] != x.Shape().Dimensions[0] {
		exceptions.Panicf("vaekit: condition=label: expected one label per example, [%d], got %v", x.Shape().Dimensions[0], labels)
	}
	return OneHot(labels, cfg.Classes, x.DType())
}

// withLabels joins the one-hot labels y (nil: none) to the features h [batch, n].
func withLabels(h, y *Node) *Node {
	if y == nil {
		return h
	}
	return Concatenate([]*Node{h, y}, -1)
}

// convFeatures is the convolutional encoder body of the TensorFlow tutorial: one Conv2D
// per stride in cfg.ConvStrides ('same' padding, cfg.ConvFilters filters of size
// cfg.ConvKernel), each followed by the activation and dropout, then flattened.
func convFeatures(scope *model.Scope, cfg *Config, x *Node) *Node {
	batch, shape := x.Shape().Dimensions[0], cfg.Shape()
	h := Reshape(x, batch, shape.Height, shape.Width, shape.Channels)
	for i, stride := range cfg.ConvStrides {
		fanIn := cfg.ConvKernel * cfg.ConvKernel * h.Shape().Dimensions[3]
		h = Conv2D(withInitializer(scope.In("conv_%d", i), cfg.Initializer, fanIn), h, cfg.ConvFilters, cfg.ConvKernel, stride)
		h = Activate(cfg.Activation, h)
		h = Dropout(scope, h, cfg.Dropout)
	}
	return Reshape(h, batch, -1)
}

// posteriorHeads maps features to the posterior's parameters with two linear heads. With
// cfg.Posterior == "log_std" the second head gives log sigma = 0.5 * dense(h) (the
// TensorFlow tutorial's "sd"), returned as logVar = 2 log sigma; with "log_var" it gives
// log sigma^2 directly (pytorch/examples). Both describe the same family; they differ in
// what the network outputs, so each tutorial's loss is computed from the same numbers.
//
// With cfg.PosteriorHeads == "code" the features first go through a code layer of
// LatentDim units with the activation, the autoencoder's code, and the heads, each
// Dense(LatentDim -> LatentDim), sit on that code (the PyTorch AE-vs-VAE tutorial,
// shared/seeds/004, derives its VAE from its autoencoder this way). An autoencoder (model
// "ae") returns the code itself.
func posteriorHeads(scope *model.Scope, cfg *Config, h *Node) (mean, logVar *Node) {
	if cfg.PosteriorHeads == "code" {
		h = Activate(cfg.Activation, dense(scope.In("code"), cfg.Initializer, h, cfg.LatentDim))
		if cfg.Autoencoder() {
			return h, nil
		}
	}
	mean = dense(scope.In("mean"), cfg.Initializer, h, cfg.LatentDim)
	if cfg.Autoencoder() {
		return mean, nil
	}
	switch cfg.Posterior {
	case "log_var":
		logVar = dense(scope.In("log_var"), cfg.Initializer, h, cfg.LatentDim)
	case "log_std":
		logStd := MulScalar(dense(scope.In("log_std"), cfg.Initializer, h, cfg.LatentDim), 0.5)
		logVar = MulScalar(logStd, 2)
	default:
		exceptions.Panicf("vaekit: unknown posterior %q, expected one of %v", cfg.Posterior, knownPosteriors)
	}
	return mean, logVar
}
