package vaekit

import (
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Each framework starts its layers from different random weights, and a faithful
// reproduction starts from the same distributions as the original (Config.Initializer):
//
//   - "pytorch": nn.Linear's and nn.Conv2d's default, kaiming_uniform with a = sqrt(5),
//     which is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), for the weights and for the biases
//     (the bias bound uses the weights' fan_in).
//   - "keras": glorot_uniform, U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)),
//     and zero biases: Keras, TF2, and TF1's tf.layers.
//   - "tf1_glorot_init": the hand-written glorot_init of the TensorFlow 1 example
//     (shared/seeds/000): N(0, 1/sqrt(shape[0]/2)) on weights AND biases, where shape[0]
//     is the input size of a weight matrix and the length of a bias vector.
//   - "gomlx": GoMLX's default, He normal N(0, sqrt(2/fan_in)), zero biases.
//
// fan_in and fan_out are the weights' input and output sizes; a k x k convolution from c
// channels to f filters has fan_in = k*k*c and fan_out = k*k*f. PyTorch's transposed
// convolution computes its fan_in from its weight's second axis, the output channels:
// k*k*f (so does vaekit's, to match).

// knownInitializers lists the accepted values of Config.Initializer.
var knownInitializers = []string{"pytorch", "keras", "tf1_glorot_init", "gomlx"}

// withInitializer returns scope set to create the variables of one layer (weights and
// biases) with the named initializer; fanIn is the number of inputs each output of the
// layer sees (PyTorch's bias bound depends on it).
func withInitializer(scope *model.Scope, name string, fanIn int) *model.Scope {
	store := scope.Store()
	uniform := func(g *Graph, shape shapes.Shape, limit float64) *Node {
		u := store.RandomUniform(g, shape) // [0, 1)
		return AddScalar(MulScalar(u, 2*limit), -limit)
	}
	switch name {
	case "pytorch":
		bound := 1 / math.Sqrt(float64(max(fanIn, 1)))
		return scope.WithInitializer(func(g *Graph, shape shapes.Shape) *Node {
			return uniform(g, shape, bound)
		})
	case "keras":
		return scope.WithInitializer(func(g *Graph, shape shapes.Shape) *Node {
			if shape.Rank() <= 1 {
				return Zeros(g, shape)
			}
			in, out := fans(shape)
			return uniform(g, shape, math.Sqrt(6/float64(in+out)))
		})
	case "tf1_glorot_init":
		return scope.WithInitializer(func(g *Graph, shape shapes.Shape) *Node {
			if shape.Rank() == 0 {
				return Zeros(g, shape)
			}
			stddev := 1 / math.Sqrt(float64(shape.Dimensions[0])/2)
			return MulScalar(store.RandomNormal(g, shape), stddev)
		})
	case "gomlx":
		return scope.WithInitializer(model.DefaultInitializer(store))
	}
	exceptions.Panicf("vaekit: unknown initializer %q, expected one of %v", name, knownInitializers)
	return nil
}

// fans returns the fan_in and fan_out of a weight: [in, out] for a dense layer, [k, k, in,
// out] for a convolution kernel.
func fans(shape shapes.Shape) (in, out int) {
	d := shape.Dimensions
	receptive := 1
	for _, k := range d[:len(d)-2] {
		receptive *= k
	}
	return d[len(d)-2] * receptive, d[len(d)-1] * receptive
}
