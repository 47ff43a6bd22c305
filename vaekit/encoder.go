package vaekit

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Encoder is the recognition model q(z|x) = N(mean, diag(exp(logVar))) of Kingma &
// Welling (2014), section 3, built from the Config's architecture. x holds flattened
// images, [batch, height*width]; mean and logVar are [batch, latent].
//
// For the plain autoencoder (cfg.Model == "ae") the encoder is deterministic: logVar is nil.
func Encoder(scope *model.Scope, cfg *Config, x *Node, height, width int) (mean, logVar *Node) {
	if x.Rank() != 2 || x.Shape().Dimensions[1] != height*width {
		exceptions.Panicf("vaekit.Encoder: expected images flattened to [batch, %d], got shape %s", height*width, x.Shape())
	}
	scope = scope.In("encoder")
	var h *Node
	switch cfg.Architecture {
	case "mlp":
		h = denseLayers(scope, cfg, x, cfg.HiddenDims)
	case "conv":
		h = convFeatures(scope, cfg, x, height, width)
	default:
		exceptions.Panicf("vaekit.Encoder: unknown architecture %q, expected one of %v", cfg.Architecture, KnownArchitectures)
	}
	return posteriorHeads(scope, cfg, h)
}

// MLPEncoder is the encoder of the paper's appendix C.2: dense hidden layers (sizes
// cfg.HiddenDims), then the posterior heads. x: [batch, pixels].
func MLPEncoder(scope *model.Scope, cfg *Config, x *Node) (mean, logVar *Node) {
	mlp := cfg.Clone()
	mlp.Architecture = "mlp"
	return Encoder(scope, &mlp, x, 1, x.Shape().Dimensions[x.Rank()-1])
}

// convFeatures is the convolutional encoder body of the TensorFlow tutorial: one Conv2D
// per stride in cfg.ConvStrides ('same' padding, cfg.ConvFilters filters of size
// cfg.ConvKernel), each followed by the activation and dropout, then flattened.
func convFeatures(scope *model.Scope, cfg *Config, x *Node, height, width int) *Node {
	batch := x.Shape().Dimensions[0]
	h := Reshape(x, batch, height, width, 1)
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
		h = Activate(cfg.Activation, dense(scope.In("code"), cfg, h, cfg.LatentDim))
		if cfg.Model == "ae" {
			return h, nil
		}
	}
	mean = dense(scope.In("mean"), cfg, h, cfg.LatentDim)
	if cfg.Model == "ae" {
		return mean, nil
	}
	switch cfg.Posterior {
	case "log_var":
		logVar = dense(scope.In("log_var"), cfg, h, cfg.LatentDim)
	case "log_std":
		logStd := MulScalar(dense(scope.In("log_std"), cfg, h, cfg.LatentDim), 0.5)
		logVar = MulScalar(logStd, 2)
	default:
		exceptions.Panicf("vaekit: unknown posterior %q, expected one of %v", cfg.Posterior, KnownPosteriors)
	}
	return mean, logVar
}
