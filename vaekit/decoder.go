package vaekit

import (
	"slices"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// MLPDecoder is the generative model p(x|z): the encoder's hidden sizes in reverse, then
// a linear layer to one logit per pixel. z has shape [batch, latent]; the result
// [batch, pixels]. Logits (not probabilities) keep the Bernoulli loss numerically stable;
// sigmoid(logits) is the decoded image.
func MLPDecoder(scope *model.Scope, cfg *Config, z *Node, pixels int) (logits *Node) {
	if z.Rank() != 2 || z.Shape().Dimensions[1] != cfg.LatentDim {
		exceptions.Panicf("vaekit.MLPDecoder: expected z of shape [batch, %d], got %s", cfg.LatentDim, z.Shape())
	}
	scope = scope.In("decoder")
	hidden := slices.Clone(cfg.HiddenDims)
	slices.Reverse(hidden)
	h := mlpHidden(scope, cfg, z, hidden)
	return layers.DenseWithBias(scope.In("logits"), h, pixels)
}
