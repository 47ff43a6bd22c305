package workarounds

import (
	"math"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/vaekit/vaekit/internal/testutil"
)

// After an update, Adam's first moment holds no subnormal float, nor one so small that
// Adam's products with it (by 1-β, the learning rate) would be: 0.9 * 1e-39 would be
// subnormal (and 1e-39 already is), and 0.9 * 1e-27 is below the floor, so those entries
// become exactly 0, while a small moment that still matters, 1e-12, decays as Adam says
// (0.9 * 1e-12). The weight with a gradient moves.
func TestFlushSubnormalsInOptimizerState(t *testing.T) {
	store := model.NewStore()
	store.SetParams(map[string]any{optimizer.ParamLearningRate: 1e-3})
	modelFn := func(scope *model.Scope, _ any, inputs []*Node) []*Node {
		w := scope.VariableWithValue("w", []float32{1, 1, 1, 1, 1}).NodeValue(inputs[0].Graph())
		return []*Node{ReduceAllSum(Mul(w, inputs[0]))} // Gradient: the input, [1, 0, 0, 0, 0].
	}
	lossFn := func(_, predictions []*Node) *Node { return predictions[0] }
	trainer := train.NewTrainer(testutil.GoBackend(t), store, modelFn, lossFn, FlushSubnormals{optimizer.Adam().Done()}, nil, nil)
	step := func() {
		t.Helper()
		input := tensors.FromValue([]float32{1, 0, 0, 0, 0})
		if _, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{input}}); err != nil {
			t.Fatal(err)
		}
	}
	step()
	var moment *model.Variable
	for v := range store.IterVariables() {
		if strings.HasSuffix(v.Name(), "1st_moment") {
			moment = v
		}
	}
	if moment == nil {
		t.Fatal("no first-moment variable after a step")
	}
	if err := moment.SetValue(tensors.FromValue([]float32{0.1, 1e-39, -1e-39, 1e-27, 1e-12})); err != nil {
		t.Fatal(err)
	}
	step()
	value, err := moment.Value()
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](value)
	want := []float64{0.9*0.1 + 0.1*1, 0, 0, 0, 0.9e-12}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6*math.Abs(want[i]) || (want[i] == 0 && got[i] != 0) {
			t.Errorf("first moment [%d] = %g, want %g", i, got[i], want[i])
		}
	}
}
