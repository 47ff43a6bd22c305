package vaekit

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// denseLayers applies, per size, a dense layer, the Config's activation and dropout.
func denseLayers(scope *model.Scope, cfg *Config, x *Node, sizes []int) *Node {
	for i, size := range sizes {
		x = dense(scope.In("hidden_%d", i), cfg, x, size)
		x = Activate(cfg.Activation, x)
		x = Dropout(scope, x, cfg.Dropout)
	}
	return x
}

// dense is a dense layer with a bias, x [batch, in] -> [batch, size], its weights drawn by
// the Config's initializer. Its variables are those of GoMLX's layers.DenseWithBias
// ("dense/weights" [in, size] and "dense/biases" [size], created in that order), so models
// saved by either load in the other.
func dense(scope *model.Scope, cfg *Config, x *Node, size int) *Node {
	fanIn := x.Shape().Dimensions[x.Rank()-1]
	scope = withInitializer(scope, cfg.Initializer, fanIn)
	if x.Rank() != 2 {
		return layers.DenseWithBias(scope, x, size)
	}
	scope = scope.In("dense")
	g := x.Graph()
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), fanIn, size)).NodeValue(g)
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), size)).NodeValue(g)
	return denseProduct(x, w, b)
}

// denseProduct is x.w + b, for x [batch, in], w [in, out] and b [out], with the backend's
// fused dense op forward (one pass, bias included) and its gradients as three separate
// ops: d/dx = v.w^T, d/dw = x^T.v and d/db = the batch sum of v, for v the gradient with
// respect to the output. The Go backend's own gradient of the fused op computes d/dx and
// d/dw one after the other and always computes d/dx; here the two products run side by
// side on two cores, and the first layer's d/dx, which no variable needs, is never
// computed (mlp-400-20-b128: 25% more images/s, 14% less CPU per image; identical values).
// Backends without the fused op compute the decomposed form, which has the same gradients.
func denseProduct(x, w, b *Node) *Node {
	// v is d loss / d output. Autodiff reaches the output before x and w (it was built after
	// them), so their gradient functions below find it set.
	var v *Node
	gradient := func(name string) *Node {
		if v == nil {
			exceptions.Panicf("vaekit: a dense layer's gradient with respect to %s was asked before its output's", name)
		}
		return v
	}
	decomposed := func() *Node {
		xg := IdentityWithCustomGradient(x, func(_, _ *Node) *Node {
			return DotGeneral(gradient("x"), []int{1}, nil, w, []int{1}, nil) // [batch, in]
		})
		wg := IdentityWithCustomGradient(w, func(_, _ *Node) *Node {
			return DotGeneral(Transpose(x, 0, 1), []int{1}, nil, gradient("w"), []int{0}, nil) // [in, out]
		})
		// The gradients autodiff would build for this product from v are never used (the
		// two identities above replace them), so no backend executes them.
		product := IdentityWithCustomGradient(DotGeneral(xg, []int{1}, nil, wg, []int{0}, nil), func(_, g *Node) *Node {
			v = g
			return g
		})
		return Add(product, ExpandAxes(b, 0))
	}
	y, _ := InternalFusedOpCaller(func() *Node {
		return BackendFusedDense(x, w, b, compute.DenseConfig{WeightLayout: compute.DenseLayoutInputOutputs})
	}, decomposed, true)
	return y
}

// Activate applies the named activation: "relu", "tanh", "sigmoid", or "leaky_relu" with
// alpha 0.3, the slope of the TensorFlow tutorial's lrelu (max(x, 0.3x)).
func Activate(name string, x *Node) *Node {
	switch name {
	case "relu":
		return activation.Apply(activation.TypeRelu, x)
	case "tanh":
		return activation.Apply(activation.TypeTanh, x)
	case "leaky_relu":
		return activation.LeakyReluWith(x, 0.3)
	case "sigmoid":
		return activation.Apply(activation.TypeSigmoid, x)
	}
	exceptions.Panicf("vaekit: unknown activation %q, expected one of %v", name, KnownActivations)
	return nil
}

// Dropout zeroes each value with probability rate while the model trains, and scales the
// kept ones by 1/(1-rate) so their expected value is unchanged ("inverted" dropout, as
// TensorFlow's tf.nn.dropout with keep_prob = 1-rate). Outside training it is the
// identity. It reads vaekit's own training flag (isTraining), not GoMLX's: see beginGraph.
func Dropout(scope *model.Scope, x *Node, rate float64) *Node {
	if rate <= 0 || !isTraining(x.Graph()) {
		return x
	}
	if rate >= 1 {
		exceptions.Panicf("vaekit.Dropout: rate=%g, expected a rate in [0, 1)", rate)
	}
	keepProb := 1 - rate
	kept := LessThan(scope.RandomUniform(x.Graph(), x.Shape()), Scalar(x.Graph(), x.DType(), keepProb))
	return Where(kept, MulScalar(x, 1/keepProb), ZerosLike(x))
}
