package vaekit

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// MLPEncoder is the recognition model q(z|x) of Kingma & Welling (2014), section 3 and
// appendix C.2: hidden layers, then two linear heads for the Gaussian posterior
// N(mean, diag(exp(logVar))). x has shape [batch, pixels]; mean and logVar [batch, latent].
//
// For the plain autoencoder (cfg.Model == "ae") the encoder is deterministic: logVar is nil.
func MLPEncoder(scope *model.Scope, cfg *Config, x *Node) (mean, logVar *Node) {
	if x.Rank() != 2 {
		exceptions.Panicf("vaekit.MLPEncoder: expected images flattened to [batch, pixels], got shape %s", x.Shape())
	}
	scope = scope.In("encoder")
	h := mlpHidden(scope, cfg, x, cfg.HiddenDims)
	mean = layers.DenseWithBias(scope.In("mean"), h, cfg.LatentDim)
	if cfg.Model == "ae" {
		return mean, nil
	}
	logVar = layers.DenseWithBias(scope.In("log_var"), h, cfg.LatentDim)
	return mean, logVar
}

// mlpHidden applies one dense layer plus activation per hidden size.
func mlpHidden(scope *model.Scope, cfg *Config, x *Node, hiddenDims []int) *Node {
	act := activationType(cfg.Activation)
	for i, dim := range hiddenDims {
		x = layers.DenseWithBias(scope.In("hidden_%d", i), x, dim)
		x = activation.Apply(act, x)
	}
	return x
}

// activationType maps the Config names to GoMLX activations.
func activationType(name string) activation.Type {
	switch name {
	case "relu":
		return activation.TypeRelu
	case "tanh":
		return activation.TypeTanh
	case "leaky_relu":
		return activation.TypeLeakyRelu // alpha 0.3, as in TensorFlow.
	case "sigmoid":
		return activation.TypeSigmoid
	}
	exceptions.Panicf("vaekit: unknown activation %q, expected one of %v", name, KnownActivations)
	return activation.TypeNone
}
