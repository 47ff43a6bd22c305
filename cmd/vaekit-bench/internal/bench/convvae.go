package bench

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/vaekit/vaekit/vaekit"
)

// The benchmark conv VAE, built from vaekit's graph pieces (Conv2D, Activate,
// Reparameterize, KLDivergence, BernoulliNLL) and GoMLX's dense layer. It is not
// vaekit's architecture=conv (the TensorFlow tutorial's network): that one is
// benchmarked through Model.Fit as "tutorial-conv-b64".
//
//	encoder: 28x28x1 -> conv 3x3/2 32 -> relu -> conv 3x3/2 64 -> relu -> 7*7*64
//	         -> dense 16 -> relu -> mean, log-variance (dense 8 each)
//	decoder: z -> dense 16 -> relu -> dense 7*7*64 -> relu -> 7x7x64
//	         -> nearest 2x upsampling -> conv 3x3 64 -> relu   (14x14x64)
//	         -> nearest 2x upsampling -> conv 3x3 32 -> relu   (28x28x32)
//	         -> conv 3x3 1 -> logits (28x28)
//
// Every convolution has 'same' padding. The loss is the batch mean of the Bernoulli
// negative log-likelihood summed over pixels plus the analytic KL: the negative ELBO.
// torch_peer.py builds the same network (NCHW, PyTorch's layout).

// convBenchFilters are the encoder's convolutions; the decoder mirrors them.
var convBenchFilters = [2]int{32, 64}

const (
	convBenchDense = 16
	convBenchSide  = 7 // 28 / 2 / 2.
)

// convBenchTerms returns the terms of the per-example negative ELBO: -log p(x|z) and the
// KL, [batch] each.
func convBenchTerms(scope *model.Scope, x *Node, latent int) (recon, kl *Node) {
	batch := x.Shape().Dimensions[0]
	enc := scope.In("encoder")
	h := Reshape(x, batch, 28, 28, 1)
	for i, f := range convBenchFilters {
		h = vaekit.Activate("relu", vaekit.Conv2D(enc.In("conv_%d", i), h, f, 3, 2))
	}
	h = Reshape(h, batch, -1)
	h = vaekit.Activate("relu", layers.DenseWithBias(enc.In("dense"), h, convBenchDense))
	mean := layers.DenseWithBias(enc.In("mean"), h, latent)
	logVar := layers.DenseWithBias(enc.In("log_var"), h, latent)
	z := vaekit.Reparameterize(scope, mean, logVar)

	dec := scope.In("decoder")
	c := convBenchFilters[1]
	h = vaekit.Activate("relu", layers.DenseWithBias(dec.In("dense_0"), z, convBenchDense))
	h = vaekit.Activate("relu", layers.DenseWithBias(dec.In("dense_1"), h, convBenchSide*convBenchSide*c))
	h = Reshape(h, batch, convBenchSide, convBenchSide, c)
	h = vaekit.Activate("relu", upsampleConv(dec.In("conv_0"), h, 64))
	h = vaekit.Activate("relu", upsampleConv(dec.In("conv_1"), h, 32))
	logits := Reshape(vaekit.Conv2D(dec.In("conv_2"), h, 1, 3, 1), batch, -1)
	return vaekit.BernoulliNLL(x, logits), vaekit.KLDivergence(mean, logVar)
}

// swapLastAxes is TransposeAllAxes(x, 0, 2, 1) for x [a, b, c], written as the 4-D
// permutation (0, 2, 1, 3) of [a, b, c, 1], which (like its gradient) the Go backend
// copies with a dedicated parallel loop instead of its generic element iterator.
func swapLastAxes(x *Node) *Node {
	d := x.Shape().Dimensions
	return Reshape(TransposeAllAxes(Reshape(x, d[0], d[1], d[2], 1), 0, 2, 1, 3), d[0], d[2], d[1])
}

// upsample2x is nearest-neighbour upsampling: [b, h, w, c] -> [b, 2h, 2w, c].
func upsample2x(x *Node) *Node {
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	x = Reshape(x, b, h, 1, w, 1, c)
	x = BroadcastToDims(x, b, h, 2, w, 2, c)
	return Reshape(x, b, 2*h, 2*w, c)
}

// upsampleConv is vaekit.Conv2D(scope, upsample2x(x), filters, 3, 1): on the Go backend
// in sub-pixel form (subPixelUpsampleConv; same function, same variables), elsewhere as
// written (PyTorch's peer computes it that way too).
func upsampleConv(scope *model.Scope, x *Node, filters int) *Node {
	if x.Graph().Backend().String() != "go" {
		return vaekit.Conv2D(scope, upsample2x(x), filters, 3, 1)
	}
	in := x.Shape().Dimensions[3]
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), 3, 3, in, filters)).NodeValue(x.Graph())
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), filters)).NodeValue(x.Graph())
	return Add(subPixelUpsampleConv(x, w), Reshape(b, 1, 1, 1, filters))
}

// subPixelUpsampleConv computes conv3x3(upsample2x(x), kernel) ('same' padding, stride 1)
// without building the upsampled map: each of the four output phases (row parity a,
// column parity b) sees every input pixel twice in a row or column, so it is a 2x2
// convolution of the low-resolution input with a kernel made of sums of the 3x3 taps
// (for a = 0 the rows [w0, w1+w2], for a = 1 [w0+w1, w2]; columns alike). That is 16 of
// the 36 multiply-adds per output and input channel (4/9), and patches a quarter the
// size. The four phases are one batched matmul over one gather of 2x2 windows.
func subPixelUpsampleConv(x, kernel *Node) *Node {
	size := subPixelSizeOf(x, kernel)
	tapSums := subPixelTapSums(x.Graph(), x.DType())
	phaseT := Reshape(subPixelPhaseKernels(tapSums, kernel), 4, size.out, 4*size.in) // [phase, out, (r, s, c)]
	columns := subPixelColumns(padOnePixel(x), size)
	// The four phases' products, [4, n, out]: computed plainly, differentiated with the
	// gradient formulations of vaekit's im2col (see patchesTimesKernel and
	// patchesTimesKernelScatterGradient in internal/conv).
	fixed := IdentityWithCustomGradient(columns, func(_, _ *Node) *Node { return nil })
	y, _ := InternalFusedOpCaller(
		func() *Node {
			return DotGeneral(fixed, []int{2}, []int{0}, TransposeAllAxes(phaseT, 0, 2, 1), []int{1}, []int{0})
		},
		func() *Node { return subPixelDifferentiable(x, kernel, tapSums, phaseT, fixed, size) }, true)
	// [a, b, batch, h, w, out] -> [batch, h, a, w, b, out].
	y = TransposeAllAxes(Reshape(y, 2, 2, size.batch, size.h, size.w, size.out), 2, 3, 0, 4, 1, 5)
	return Reshape(y, size.batch, 2*size.h, 2*size.w, size.out)
}

// subPixelSize holds the sizes of a sub-pixel convolution: x is [batch, h, w, in], the
// kernel [3, 3, in, out].
type subPixelSize struct {
	batch, h, w, in, out int
}

func subPixelSizeOf(x, kernel *Node) subPixelSize {
	d := x.Shape().Dimensions
	return subPixelSize{batch: d[0], h: d[1], w: d[2], in: d[3], out: kernel.Shape().Dimensions[3]}
}

// pixels is the number of low-resolution positions, batch * h * w.
func (s subPixelSize) pixels() int { return s.batch * s.h * s.w }

// subPixelTapSums says which 3x3 taps each 2x2 phase tap sums, [a, r, t]: for row parity
// a, tap r of the phase kernel is the sum of the taps t marked 1.
func subPixelTapSums(g *Graph, dtype dtypes.DType) *Node {
	sum := Const(g, [][][]float32{{{1, 0, 0}, {0, 1, 1}}, {{1, 1, 0}, {0, 0, 1}}}) // [a, r, t]
	if dtype != sum.DType() {
		sum = ConvertDType(sum, dtype)
	}
	return sum
}

// subPixelPhaseKernels are the four phases' 2x2 kernels of the 3x3 kernel, [a, b, out, r,
// s, in].
func subPixelPhaseKernels(tapSums, kernel *Node) *Node {
	rows := Einsum("art,tuco->aruco", tapSums, kernel) // [a, r, u, in, out]
	return Einsum("bsu,aruco->aborsc", tapSums, rows)  // [a, b, out, r, s, in]
}

// padOnePixel zero-pads x [batch, h, w, c] by one pixel on every side (as a scatter: its
// gradient is a gather, see vaekit's conv.go).
func padOnePixel(x *Node) *Node {
	d := x.Shape().Dimensions
	batch, h, w, in := d[0], d[1], d[2], d[3]
	positions := make([]int32, 0, batch*h*w*3)
	for bi := range batch {
		for i := range h {
			for j := range w {
				positions = append(positions, int32(bi), int32(i+1), int32(j+1))
			}
		}
	}
	return ScatterSum(Zeros(x.Graph(), shapes.Make(x.DType(), batch, h+2, w+2, in)),
		Const(x.Graph(), tensors.FromFlatDataAndDimensions(positions, batch*h*w, 3)), Reshape(x, batch*h*w, in), true, true)
}

// subPixelColumns are the phases' patches, [4 (a, b), pixels, 2*2*in]: for phase (a, b)
// and low-resolution position (i, j), the 2x2 window at (i+a, j+b) of the padded input.
func subPixelColumns(padded *Node, size subPixelSize) *Node {
	n := size.pixels()
	starts := make([]int32, 0, 4*n*3)
	for a := range 2 {
		for bb := range 2 {
			for bi := range size.batch {
				for i := range size.h {
					for j := range size.w {
						starts = append(starts, int32(bi), int32(i+a), int32(j+bb))
					}
				}
			}
		}
	}
	patches := GatherSlices(padded, []int{0, 1, 2}, Const(padded.Graph(), tensors.FromFlatDataAndDimensions(starts, 4, n, 3)), []int{1, 2, 2}, true)
	return Reshape(patches, 4, n, 4*size.in)
}

// subPixelDifferentiable is the four phases' products, [4, n, out], in the form that
// differentiates well: the kernel's gradient from the patches (fixed), x's from the
// scatter form, where x[b, p, q] reaches phase (a, b') at (i, j) = (p+1-a-r, q+1-b'-s)
// through tap (r, s).
func subPixelDifferentiable(x, kernel, tapSums, phaseT, fixed *Node, size subPixelSize) *Node {
	n := size.pixels()
	yW := swapLastAxes(DotGeneral(phaseT, []int{2}, []int{0}, fixed, []int{2}, []int{0}))
	target := subPixelScatterTargets(size)
	// phaseR[c, (a, b, r, s, o)], with no gradient into the kernel.
	phaseR := Reshape(TransposeAllAxes(subPixelPhaseKernels(tapSums, StopGradient(kernel)), 5, 0, 1, 3, 4, 2), size.in, 16*size.out)
	contributions := Reshape(DotGeneral(Reshape(x, n, size.in), []int{1}, nil, phaseR, []int{0}, nil), n*16, size.out)
	scattered := ScatterSum(Zeros(x.Graph(), shapes.Make(x.DType(), 4*n+1, size.out)),
		Const(x.Graph(), tensors.FromFlatDataAndDimensions(target, n*16, 1)), contributions, false, false)
	return Add(yW, Reshape(Slice(scattered, AxisRange(0, 4*n)), 4, n, size.out))
}

// subPixelScatterTargets are, for each input pixel (b, p, q), phase (a, b') and phase tap
// (r, s), the row of the phases' products [4*n] it reaches, or 4*n (a row dropped
// afterwards) where that falls outside the image.
func subPixelScatterTargets(size subPixelSize) []int32 {
	batch, h, w, n := size.batch, size.h, size.w, size.pixels()
	target := make([]int32, 0, n*16)
	for bi := range batch {
		for p := range h {
			for q := range w {
				for a := range 2 {
					for b2 := range 2 {
						for r := range 2 {
							for s := range 2 {
								position := 4 * n
								if i, j := p+1-a-r, q+1-b2-s; i >= 0 && i < h && j >= 0 && j < w {
									position = (a*2+b2)*n + (bi*h+i)*w + j
								}
								target = append(target, int32(position))
							}
						}
					}
				}
			}
		}
	}
	return target
}
