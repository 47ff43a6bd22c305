package vaekit

import (
	"path"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/support/exceptions"
)

// rmsProp is RMSProp (Hinton's lecture 6e) as TensorFlow 1 and Keras implement it: each weight's step
// is its gradient divided by the root of a running mean of its squared gradients,
//
//	ms <- rho * ms + (1 - rho) * g^2
//	w  <- w - lr * g / sqrt(ms + eps)        (TensorFlow 1: tf.train.RMSPropOptimizer)
//	w  <- w - lr * g / (sqrt(ms) + eps)      (Keras: keras.optimizers.RMSprop)
//
// with no bias correction of ms. The two differ in where epsilon goes and where ms
// starts: TensorFlow 1 starts it at 1 (so the first steps are about lr * g) with
// epsilon 1e-10; Keras starts it at 0 (so the first step is about lr / sqrt(1 - rho) =
// 3.2 lr per weight, whatever the gradient's size) with epsilon 1e-7 (K.epsilon()).
// GoMLX's own RMSProp is Adam without the first moment, bias-corrected, which moves the
// first steps differently again; Config.Optimizer "rmsprop" keeps it.
type rmsProp struct {
	Rho               float64 // Decay of the running mean of squared gradients (0.9 in both).
	Epsilon           float64
	EpsilonInSqrt     bool    // TensorFlow 1: sqrt(ms + eps); Keras: sqrt(ms) + eps.
	InitialMeanSquare float64 // Where ms starts: 1 (TensorFlow 1) or 0 (Keras).
	LearningRate      float64
}

// rmsPropTF1 is tf.train.RMSPropOptimizer's defaults (decay 0.9, momentum 0, epsilon
// 1e-10, mean square from 1).
func rmsPropTF1(learningRate float64) rmsProp {
	return rmsProp{Rho: 0.9, Epsilon: 1e-10, EpsilonInSqrt: true, InitialMeanSquare: 1, LearningRate: learningRate}
}

// rmsPropKeras is keras.optimizers.RMSprop's defaults (rho 0.9, epsilon K.epsilon() =
// 1e-7, accumulators from 0).
func rmsPropKeras(learningRate float64) rmsProp {
	return rmsProp{Rho: 0.9, Epsilon: 1e-7, EpsilonInSqrt: false, InitialMeanSquare: 0, LearningRate: learningRate}
}

// rmsPropScope is where RMSProp keeps its running means, one per trained variable.
const rmsPropScope = "RMSProp"

// UpdateGraph implements optimizer.Interface: one RMSProp step for every trainable
// variable the loss depends on.
func (o rmsProp) UpdateGraph(scope *model.Scope, g *Graph, loss *Node) {
	if !loss.Shape().IsScalar() {
		exceptions.Panicf("vaekit: RMSProp: expected a scalar loss, got shape %s", loss.Shape())
	}
	grads := scope.BuildTrainableVariablesGradientsGraph(loss)
	dtype := loss.DType()
	lr := optimizer.LearningRateVar(scope, dtype, o.LearningRate).NodeValue(g)
	optimizer.IncrementGlobalStep(g, dtype)
	rho := Scalar(g, dtype, o.Rho)
	i := 0
	for v := range scope.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		if i >= len(grads) {
			exceptions.Panicf("vaekit: RMSProp: more trainable variables than gradients (%d)", len(grads))
		}
		grad := grads[i]
		i++
		msVar := o.meanSquare(scope, v, dtype)
		ms := Add(Mul(rho, msVar.NodeValue(g)), Mul(OneMinus(rho), Square(grad)))
		msVar.SetNodeValue(ms)
		var denominator *Node
		if o.EpsilonInSqrt {
			denominator = Sqrt(AddScalar(ms, o.Epsilon))
		} else {
			denominator = AddScalar(Sqrt(ms), o.Epsilon)
		}
		v.SetNodeValue(Sub(v.NodeValue(g), Div(Mul(lr, grad), denominator)))
	}
}

// meanSquare is the running mean of v's squared gradients.
func (o rmsProp) meanSquare(scope *model.Scope, v *model.Variable, dtype dtypes.DType) *model.Variable {
	shape := v.Shape().Clone()
	shape.DType = dtype
	start := o.InitialMeanSquare
	return scope.Store().Scope(path.Join("/", rmsPropScope, v.Scope())).
		WithInitializer(func(g *Graph, shape shapes.Shape) *Node {
			return AddScalar(Zeros(g, shape), start)
		}).
		VariableWithShape(v.Name()+"_mean_square", shape).
		SetTrainable(false)
}

// Clear implements optimizer.Interface: it deletes the running means.
func (o rmsProp) Clear(scope *model.Scope) error {
	return scope.Store().Scope("/" + rmsPropScope).DeleteVariablesInScope()
}
