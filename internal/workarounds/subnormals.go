// Package workarounds holds what vaekit does for GoMLX's pure Go backend that the model
// itself does not need: flushing subnormal floats out of the optimizer's state (Go has no
// flush-to-zero switch), keeping byte images on the device as bytes, the dense layer's
// fused forward with gradients that use both cores, and sums of logs taken as logs of
// products (the backend's Log is scalar). None changes a result beyond float rounding;
// each is measured in cmd/vaekit-bench/internal/bench/NOTES.md.
package workarounds

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// subnormalFloor sets the magnitude below which optimizer state is flushed to zero:
// (x + 2^-60) - 2^-60 rounds every |x| below 2^-84 (about 5e-26) to 0.
//
// Why so high above float32's smallest normal, 2^-126: Adam multiplies its moments by
// 1-β1 (0.1), 1-β2 and the learning rate (about 2^-10 each) before the division, so a
// moment just above a floor of 2^-100 still made subnormal products every step; with the
// floor at 2^-100 the MLP VAE still slowed down by a fifth within 1,500 steps. Why it is safe: Adam
// moves a weight by lr·m1/(sqrt(m2)+ε); a first moment below 2^-84 moves it by less than
// 1e-3·5e-26/1e-8 = 5e-21, and a second moment below 2^-84 adds under 3e-13 to ε = 1e-8.
const subnormalFloor = 0x1p-60

// FlushSubnormals wraps an optimizer so that, after each update, its float32 state (Adam's
// moments) holds no value smaller in magnitude than 2^-84: those become exactly 0.
//
// Why: a weight whose gradient is zero on most steps (MNIST's rarely lit edge pixels feed
// the first layer) has its first moment multiplied by 0.9 every step, and after ~700 steps
// it is a subnormal float, which x86 multiplies tens of times slower than a normal one.
// PyTorch turns on the CPU's flush-to-zero mode (torch.set_flush_denormal), and XLA runs
// with it on; Go has no such switch, so the Go backend's MLP VAE slowed down by a third
// within one epoch, and 2-3x in longer runs. (x + floor) - floor rounds every |x| below
// half an ulp of the floor (2^-84) to 0 and changes larger values by at most that much,
// in two cheap element-wise passes and without a comparison.
type FlushSubnormals struct {
	optimizer.Interface
}

// UpdateGraph runs the wrapped optimizer, then flushes the state variables it changed.
func (o FlushSubnormals) UpdateGraph(scope *model.Scope, g *Graph, loss *Node) {
	o.Interface.UpdateGraph(scope, g, loss)
	for v := range scope.Store().IterVariables() {
		if v.Trainable || !v.ChangedInGraph(g) || v.Shape().DType != dtypes.Float32 || v.Shape().Size() < 2 {
			continue
		}
		x := v.NodeValue(g)
		v.SetNodeValue(AddScalar(AddScalar(x, subnormalFloor), -subnormalFloor))
	}
}
