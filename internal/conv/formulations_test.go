package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/internal/testutil"

	_ "github.com/gomlx/compute/gobackend"
)

// referenceConvolve is the plainest im2col, with no gradient of its own: pad (and dilate)
// the input, cut the k*k shifted, strided views with Slice, concatenate them along the
// channels and multiply with the kernel. TestConvolutionsMatchDirectLoops and
// TestConvGradients check the default path against direct loops and finite differences;
// this one checks every form of gatherConvolve, values and all three gradients.
func referenceConvolve(x, kernel, bias *Node, stride int, pads [2][2]int, inputDilation int) *Node {
	g := x.Graph()
	k, in, out := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[2], kernel.Shape().Dimensions[3]
	x = Pad(x, ScalarZero(g, x.DType()),
		compute.PadAxis{},
		compute.PadAxis{Start: pads[0][0], End: pads[0][1], Interior: inputDilation - 1},
		compute.PadAxis{Start: pads[1][0], End: pads[1][1], Interior: inputDilation - 1},
		compute.PadAxis{})
	batch, height, width := x.Shape().Dimensions[0], x.Shape().Dimensions[1], x.Shape().Dimensions[2]
	outH, outW := (height-k)/stride+1, (width-k)/stride+1
	patches := make([]*Node, 0, k*k)
	for t := range k {
		for u := range k {
			patches = append(patches, Slice(x,
				AxisRange(),
				AxisRange(t, t+(outH-1)*stride+1).Stride(stride),
				AxisRange(u, u+(outW-1)*stride+1).Stride(stride),
				AxisRange()))
		}
	}
	columns := Reshape(Concatenate(patches, -1), batch*outH*outW, k*k*in)
	product := Einsum("pi,io->po", columns, Reshape(kernel, k*k*in, out))
	return addBias(Reshape(product, batch, outH, outW, out), bias)
}

// Every form gatherConvolve can take (chooseForm picks one by the layer's sizes) gives
// the same values and the same gradients with respect to the input, the kernel and the
// bias as referenceConvolve, for 'same' convolutions and transposed ones (dilated input).
func TestConvFormsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cases := []struct{ size, in, filters, kernel, stride int }{
		{7, 2, 3, 4, 2}, {6, 3, 2, 3, 2}, {5, 2, 4, 3, 1}, {7, 1, 3, 4, 1}, {9, 2, 2, 3, 3}, {6, 2, 2, 1, 1}, {8, 3, 4, 3, 2}, {4, 2, 3, 2, 2},
	}
	forms := map[string]form{"patches": {}, "patches, scatter gradient": {scatterGradient: true}, "scatter": {scatterAll: true}}
	compared := 0
	for _, tc := range cases {
		for _, transpose := range []bool{false, true} {
			xT := tensors.FromFlatDataAndDimensions(randomFloats(rng, 2*tc.size*tc.size*tc.in), 2, tc.size, tc.size, tc.in)
			kT := tensors.FromFlatDataAndDimensions(randomFloats(rng, tc.kernel*tc.kernel*tc.in*tc.filters), tc.kernel, tc.kernel, tc.in, tc.filters)
			bT := tensors.FromFlatDataAndDimensions(randomFloats(rng, tc.filters), tc.filters)
			run := func(how *form) []*tensors.Tensor {
				return MustExecOnceN(testutil.GoBackend(t), func(x, k, b *Node) []*Node {
					stride, dil, kernel := tc.stride, 1, k
					p0, p1 := SamePadding(tc.size, tc.kernel, tc.stride)
					pads := [2][2]int{{p0, p1}, {p0, p1}}
					if transpose { // As Transposed lays it out.
						before, _ := SamePadding(tc.size*tc.stride, tc.kernel, tc.stride)
						p := [2]int{tc.kernel - 1 - before, tc.stride - 1 + before}
						stride, dil, kernel, pads = 1, tc.stride, Reverse(k, 0, 1), [2][2]int{p, p}
					}
					var y *Node
					if how == nil {
						y = referenceConvolve(x, kernel, b, stride, pads, dil)
					} else {
						y = gatherConvolve(x, kernel, b, stride, pads, dil, how)
					}
					weights := Reshape(Sin(Iota(x.Graph(), shapes.Make(y.DType(), y.Shape().Size()), 0)), y.Shape().Dimensions...)
					return append([]*Node{y}, Gradient(ReduceAllSum(Mul(y, weights)), x, k, b)...)
				}, xT, kT, bT)
			}
			want := run(nil)
			for name, how := range forms {
				got := run(&how)
				for i, what := range []string{"output", "d/dx", "d/dkernel", "d/dbias"} {
					label := fmt.Sprintf("%s %+v transpose=%v %s", name, tc, transpose, what)
					w, g := tensors.MustCopyFlatData[float32](want[i]), tensors.MustCopyFlatData[float32](got[i])
					if len(w) != len(g) {
						t.Fatalf("%s: %d values, want %d", label, len(g), len(w))
					}
					compared += len(w)
					for j := range w {
						if math.Abs(float64(w[j]-g[j])) > 1e-4*(1+math.Abs(float64(w[j]))) {
							t.Errorf("%s[%d] = %g, reference %g", label, j, g[j], w[j])
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
