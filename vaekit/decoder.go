package vaekit

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/vaekit/vaekit/internal/conv"
)

// Decoder is the generative model p(x|z), built from the Config's architecture (with
// dense layers, the decoder of the paper's appendix C.2): z [batch, latent] -> one logit
// per pixel value, [batch, height*width*channels] (cfg.ImageShape). Logits (not probabilities) keep the Bernoulli loss
// numerically stable; sigmoid(logits) is the decoded image. A conditional Config models
// p(x|z,y): the one-hot labels [batch] are joined to z; otherwise labels must be nil.
func Decoder(scope *model.Scope, cfg *Config, z, labels *Node) (logits *Node) {
	if z.Rank() != 2 || z.Shape().Dimensions[1] != cfg.LatentDim {
		exceptions.Panicf("vaekit.Decoder: expected z of shape [batch, %d], got %s", cfg.LatentDim, z.Shape())
	}
	z = withLabels(z, oneHotLabels(cfg, labels, z))
	scope = scope.In("decoder")
	var h *Node
	switch cfg.Architecture {
	case "mlp":
		layers, hidden := cfg.decoderLayers()
		h = denseLayers(scope, layers, z, hidden)
	case "conv":
		h = deconvFeatures(scope, cfg, z)
	default:
		exceptions.Panicf("vaekit.Decoder: unknown architecture %q, expected one of %v", cfg.Architecture, knownArchitectures)
	}
	return dense(scope.In("logits"), cfg.Initializer, h, cfg.Shape().Size())
}

// deconvFeatures is the convolutional decoder body of the TensorFlow tutorial: dense
// layers of cfg.ConvDense and s*s units (activation each), reshaped to an s x s x 1 map,
// where s is the encoder's output size (7 for 28x28 images and strides 2, 2, 1); then one
// ConvTranspose2D with ReLU per stride in cfg.DeconvStrides, with dropout after all but
// the last (as in the original); flattened for the final dense layer to pixels.
func deconvFeatures(scope *model.Scope, cfg *Config, z *Node) *Node {
	batch, shape := z.Shape().Dimensions[0], cfg.Shape()
	sh, sw := conv.OutputSize(shape.Height, cfg.ConvStrides), conv.OutputSize(shape.Width, cfg.ConvStrides)
	noDropout := cfg.hiddenLayers() // The tutorial's decoder has no dropout on its dense layers.
	noDropout.dropout = 0
	h := denseLayers(scope, noDropout, z, []int{cfg.ConvDense, sh * sw})
	h = Reshape(h, batch, sh, sw, 1)
	for i, stride := range cfg.DeconvStrides {
		// PyTorch's ConvTranspose2d takes its fan_in from the output channels.
		fanIn := cfg.ConvKernel * cfg.ConvKernel * cfg.ConvFilters
		h = ConvTranspose2D(withInitializer(scope.In("deconv_%d", i), cfg.Initializer, fanIn), h, cfg.ConvFilters, cfg.ConvKernel, stride)
		h = Activate("relu", h)
		if i < len(cfg.DeconvStrides)-1 {
			h = Dropout(scope, h, cfg.Dropout)
		}
	}
	return Reshape(h, batch, -1)
}
