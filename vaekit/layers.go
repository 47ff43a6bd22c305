package vaekit

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/vaekit/vaekit/internal/workarounds"
)

// knownActivations lists the accepted values of the activation setting.
var knownActivations = []string{"relu", "tanh", "leaky_relu", "sigmoid"}

// hiddenLayers are the settings of an MLP's hidden layers: initializer, activation, dropout.
type hiddenLayers struct {
	initializer, activation string
	dropout                 float64
}

// denseLayers applies, per size, a dense layer, the activation and dropout.
func denseLayers(scope *model.Scope, hidden hiddenLayers, x *Node, sizes []int) *Node {
	for i, size := range sizes {
		x = dense(scope.In("hidden_%d", i), hidden.initializer, x, size)
		x = Activate(hidden.activation, x)
		x = Dropout(scope, x, hidden.dropout)
	}
	return x
}

// dense is a dense layer with a bias, x [batch, in] -> [batch, size], its weights drawn by
// the named initializer (the initializer setting). Its variables are those of GoMLX's layers.DenseWithBias
// ("dense/weights" [in, size] and "dense/biases" [size], created in that order), so models
// saved by either load in the other.
func dense(scope *model.Scope, initializer string, x *Node, size int) *Node {
	fanIn := x.Shape().Dimensions[x.Rank()-1]
	scope = withInitializer(scope, initializer, fanIn)
	if x.Rank() != 2 {
		return layers.DenseWithBias(scope, x, size)
	}
	scope = scope.In("dense")
	g := x.Graph()
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), fanIn, size)).NodeValue(g)
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), size)).NodeValue(g)
	return workarounds.DenseProduct(x, w, b)
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
	exceptions.Panicf("vaekit: unknown activation %q, expected one of %v", name, knownActivations)
	return nil
}

// Dropout zeroes each value with probability rate while the model trains, and scales the
// kept ones by 1/(1-rate) so their expected value is unchanged ("inverted" dropout, as
// TensorFlow's tf.nn.dropout with keep_prob = 1-rate). Outside training it is the
// identity. It reads vaekit's own training flag (workarounds.IsTraining), not GoMLX's: see
// workarounds.BeginGraph.
func Dropout(scope *model.Scope, x *Node, rate float64) *Node {
	if rate <= 0 || !workarounds.IsTraining(x.Graph()) {
		return x
	}
	if rate >= 1 {
		exceptions.Panicf("vaekit.Dropout: rate=%g, expected a rate in [0, 1)", rate)
	}
	keepProb := 1 - rate
	kept := LessThan(scope.RandomUniform(x.Graph(), x.Shape()), Scalar(x.Graph(), x.DType(), keepProb))
	return Where(kept, MulScalar(x, 1/keepProb), ZerosLike(x))
}
