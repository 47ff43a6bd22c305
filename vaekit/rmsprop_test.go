package vaekit

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// RMSProp's updates, TensorFlow 1's and Keras's, against the same updates computed by hand
// in float64 on the loss 1/2 sum (w - target)^2, whose gradient is w - target: four steps
// from weights of different sizes, where the two formulas part ways (TF1's running mean
// starts at 1, Keras's at 0, so Keras's first step is lr/sqrt(0.1) per weight whatever
// the gradient; the epsilons differ in place and size).
func TestRMSPropMatchesHandComputedUpdates(t *testing.T) {
	// The last weight's gradient, 2^-20, is small enough for epsilon's place to matter.
	start := []float64{1, -2, 0.5, 3e-3, 0, 0.25 + math.Pow(2, -20)}
	target := []float64{0.25, 0.25, 0.25, 0.25, 0, 0.25}
	const lr, steps = 0.01, 4
	for _, tc := range []struct {
		name string
		opt  rmsProp
	}{
		{"tf1", rmsPropTF1(lr)},
		{"keras", rmsPropKeras(lr)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// By hand.
			w := append([]float64(nil), start...)
			ms := make([]float64, len(w))
			for i := range ms {
				if tc.name == "tf1" {
					ms[i] = 1 // TensorFlow 1's slot starts at ones; Keras's accumulator at zeros.
				}
			}
			var want [][]float64
			for range steps {
				for i := range w {
					g := w[i] - target[i]
					ms[i] = 0.9*ms[i] + 0.1*g*g
					var denom float64
					if tc.name == "tf1" {
						denom = math.Sqrt(ms[i] + 1e-10)
					} else {
						denom = math.Sqrt(ms[i]) + 1e-7
					}
					w[i] -= lr * g / denom
				}
				want = append(want, append([]float64(nil), w...))
			}

			// With the optimizer.
			store := model.NewStore()
			w32 := make([]float32, len(start))
			for i, v := range start {
				w32[i] = float32(v)
			}
			modelFn := func(scope *model.Scope, _ any, inputs []*Node) []*Node {
				g := inputs[0].Graph()
				w := scope.VariableWithValue("w", w32).NodeValue(g)
				return []*Node{MulScalar(ReduceAllSum(Square(Sub(w, inputs[0]))), 0.5)}
			}
			lossFn := func(_, predictions []*Node) *Node { return predictions[0] }
			trainer := train.NewTrainer(testBackend(t), store, modelFn, lossFn, tc.opt, nil, nil)
			t32 := make([]float32, len(target))
			for i, v := range target {
				t32[i] = float32(v)
			}
			for step := range steps {
				if _, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{tensors.FromValue(t32)}}); err != nil {
					t.Fatal(err)
				}
				got := tensors.MustCopyFlatData[float32](store.GetVariable("/w").MustValue())
				for i := range got {
					if math.Abs(float64(got[i])-want[step][i]) > 1e-6+1e-5*math.Abs(want[step][i]) {
						t.Errorf("step %d: w[%d] = %.8g, want %.8g", step+1, i, got[i], want[step][i])
					}
				}
			}
			if got := optimizer.GetGlobalStep(store); got != steps {
				t.Errorf("global step %d after %d steps", got, steps)
			}
		})
	}
}
