package vaekit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
)

// Every internal formulation of the im2col convolution (conv.go's im2colFormulation: the
// gather-based ones with their fused-op gradients, and the original strided slices) must
// give Conv2D's and ConvTranspose2D's computations the same values and the same gradients with respect to
// the input, the kernel and the bias. The slices formulation is the reference: it is the
// one TestConvolutionsMatchDirectLoops and TestConvGradients check against direct loops
// and finite differences (those tests run whichever formulation is the default).
func TestConvFormulationsAgree(t *testing.T) {
	defer func(impl, form string) { ConvImplementation, im2colFormulation = impl, form }(ConvImplementation, im2colFormulation)
	ConvImplementation = "im2col"
	rng := rand.New(rand.NewPCG(7, 8))
	cases := []struct{ size, in, filters, kernel, stride int }{
		{7, 2, 3, 4, 2}, {6, 3, 2, 3, 2}, {5, 2, 4, 3, 1}, {7, 1, 3, 4, 1}, {9, 2, 2, 3, 3}, {6, 2, 2, 1, 1}, {8, 3, 4, 3, 2}, {4, 2, 3, 2, 2},
	}
	compared := 0
	for _, tc := range cases {
		for _, transpose := range []bool{false, true} {
			xT := tensors.FromFlatDataAndDimensions(randomFloats(rng, 2*tc.size*tc.size*tc.in), 2, tc.size, tc.size, tc.in)
			kT := tensors.FromFlatDataAndDimensions(randomFloats(rng, tc.kernel*tc.kernel*tc.in*tc.filters), tc.kernel, tc.kernel, tc.in, tc.filters)
			bT := tensors.FromFlatDataAndDimensions(randomFloats(rng, tc.filters), tc.filters)
			results := map[string][]*tensors.Tensor{}
			for _, form := range []string{"slices", "gather", "gather-scatter", "scatter", "gather-dcols", "gather-nofuse", "gather-pk", "gather-t", "s2d"} {
				im2colFormulation = form
				outs := MustExecOnceN(testBackend(t), func(x, k, b *Node) []*Node {
					var y *Node
					if transpose {
						y = convTransposeBias(x, k, b, tc.stride)
					} else {
						p0, p1 := samePadding(tc.size, tc.kernel, tc.stride)
						y = convolveBias(x, k, b, tc.stride, [2][2]int{{p0, p1}, {p0, p1}}, 1)
					}
					weights := Reshape(Sin(Iota(x.Graph(), shapes.Make(y.DType(), y.Shape().Size()), 0)), y.Shape().Dimensions...)
					return append([]*Node{y}, Gradient(ReduceAllSum(Mul(y, weights)), x, k, b)...)
				}, xT, kT, bT)
				results[form] = outs
			}
			for form, outs := range results {
				for i, what := range []string{"output", "d/dx", "d/dkernel", "d/dbias"} {
					name := fmt.Sprintf("%s %+v transpose=%v %s", form, tc, transpose, what)
					want, got := tensors.MustCopyFlatData[float32](results["slices"][i]), tensors.MustCopyFlatData[float32](outs[i])
					if len(want) != len(got) {
						t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
					}
					compared += len(want)
					for j := range want {
						if math.Abs(float64(want[j]-got[j])) > 1e-4*(1+math.Abs(float64(want[j]))) {
							t.Errorf("%s[%d] = %g, slices formulation %g", name, j, got[j], want[j])
							break
						}
					}
				}
			}
		}
	}
	if compared == 0 {
		t.Fatal("nothing compared")
	}
}

func randomFloats(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}
