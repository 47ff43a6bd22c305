// Package conv computes the 2-D convolutions of vaekit's layers (vaekit.Conv2D and
// vaekit.ConvTranspose2D), choosing how for the backend:
//
//   - "native": GoMLX's ConvGeneral. XLA compiles it to its tuned convolution kernels
//     (CPU and GPU); it is the right choice there.
//   - "im2col": the patches of the input are gathered into one [batch*out_h*out_w,
//     k*k*in] matrix and multiplied with the kernel in a single matmul (gatherConvolve),
//     or, for layers with few output channels, every input pixel's contribution is
//     scattered onto the output (scatterForm). GoMLX's Go backend evaluates ConvGeneral
//     (and its gradients) with direct loops, two orders of magnitude slower than this
//     on a small conv VAE; its matmul is fast, and Gather and Scatter move whole rows.
//
// "auto" chooses by backend, and uses im2col for even kernel sizes on every backend:
// GoMLX v0.28.16's gradient of ConvGeneral with respect to its input is wrong for even
// kernels (e.g. the TensorFlow tutorial's 4x4 with 'same' padding; it disagrees with
// finite differences, see TestConvGradients), while im2col's gradient is built from
// Gather, Scatter and matmul and is exact. How im2col lays out its work for the Go
// backend is in the comments below; the formulations measured and dropped are in
// cmd/vaekit-bench/internal/bench/NOTES.md.
package conv

import (
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Algorithms lists the accepted algorithm names.
var Algorithms = []string{"auto", "native", "im2col"}

// resolve turns "auto" into an algorithm for the backend of g and the kernel size.
func resolve(g *Graph, algorithm string, kernelSize int) string {
	switch algorithm {
	case "native", "im2col":
		return algorithm
	case "auto", "":
		name := g.Backend().String()
		if kernelSize%2 == 1 && (strings.HasPrefix(name, "xla") || strings.HasPrefix(name, "stablehlo")) {
			return "native"
		}
		return "im2col"
	}
	exceptions.Panicf("vaekit: convolution algorithm %q: expected one of %v", algorithm, Algorithms)
	return ""
}

// SamePadding returns TensorFlow's 'same' padding of one spatial axis for a convolution
// of the given size, kernel and stride: the output has ceil(size/stride) positions, and
// the odd pixel of padding, if any, goes at the end.
func SamePadding(size, kernel, stride int) (before, after int) {
	out := (size + stride - 1) / stride
	total := max((out-1)*stride+kernel-size, 0)
	return total / 2, total - total/2
}

// OutputSize is the spatial size after convolutions with 'same' padding and the given
// strides.
func OutputSize(size int, strides []int) int {
	for _, s := range strides {
		size = (size + s - 1) / s
	}
	return size
}

// addBias adds bias [out] (nil: nothing) to x [..., out].
func addBias(x, bias *Node) *Node {
	if bias == nil {
		return x
	}
	shape := make([]int, x.Rank())
	for i := range shape {
		shape[i] = 1
	}
	shape[x.Rank()-1] = bias.Shape().Dimensions[0]
	return Add(x, Reshape(bias, shape...))
}

// Same is a 2-D convolution with TensorFlow's 'same' padding plus a bias [out] (nil:
// none): x [batch, height, width, in], kernel [k, k, in, out] -> [batch,
// ceil(height/stride), ceil(width/stride), out].
func Same(x, kernel, bias *Node, stride int, algorithm string) *Node {
	k := kernel.Shape().Dimensions[0]
	padH0, padH1 := SamePadding(x.Shape().Dimensions[1], k, stride)
	padW0, padW1 := SamePadding(x.Shape().Dimensions[2], k, stride)
	return convolve(x, kernel, bias, stride, [2][2]int{{padH0, padH1}, {padW0, padW1}}, 1, algorithm)
}

// Transposed is the transposed convolution (TensorFlow's conv2d_transpose) with 'same'
// padding plus a bias [out] (nil: none): x [batch, h, w, in], kernel [k, k, in, out] ->
// [batch, h*stride, w*stride, out]. It is computed as an ordinary convolution: the input
// is dilated (stride-1 zeros inserted between pixels), padded, and correlated with the
// spatially flipped kernel.
func Transposed(x, kernel, bias *Node, stride int, algorithm string) *Node {
	k := kernel.Shape().Dimensions[0]
	var pads [2][2]int
	for axis := range 2 {
		outSize := x.Shape().Dimensions[1+axis] * stride
		before, _ := SamePadding(outSize, k, stride)
		// The dilated input has (n-1)*stride+1 pixels; with these pads a stride-1 valid
		// correlation gives exactly n*stride outputs, output j seeing inputs j+pad-t.
		pads[axis] = [2]int{k - 1 - before, stride - 1 + before}
	}
	flipped := Reverse(kernel, 0, 1)
	return convolve(x, flipped, bias, 1, pads, stride, algorithm)
}

// convolve correlates x [batch, h, w, in] with kernel [k, k, in, out] and adds bias [out]
// (nil: none): x is first dilated by inputDilation (zeros between pixels), then padded by
// pads ({before, after} for height and width), then the kernel slides over it with the
// given stride.
func convolve(x, kernel, bias *Node, stride int, pads [2][2]int, inputDilation int, algorithm string) *Node {
	if resolve(x.Graph(), algorithm, kernel.Shape().Dimensions[0]) == "native" {
		return addBias(Convolve(x, kernel).
			StridePerAxis(stride, stride).
			PaddingPerDim([][2]int{pads[0], pads[1]}).
			InputDilationPerAxis(inputDilation, inputDilation).
			Done(), bias)
	}
	return gatherConvolve(x, kernel, bias, stride, pads, inputDilation, nil)
}

// form is how gatherConvolve computes one convolution; chooseForm picks it from the sizes.
type form struct {
	scatterAll      bool // The whole convolution in scatter form (scatterForm).
	scatterGradient bool // The patches' product with the input gradient in scatter form.
}

// chooseForm picks the cheaper form for pixelsIn input and pixelsOut output positions
// (batch included), in input and out output channels:
//
//   - the whole convolution in scatter form when its k*k*out values per input pixel are
//     fewer than a quarter of the patches' k*k*in values per output pixel; e.g. a
//     decoder's last layer, many channels in and one out;
//   - else the patches' product, with its input gradient in scatter form (a gather of
//     k*k*out values per input pixel) when that is cheaper than through the patches (k*k*in
//     values per output pixel, written, copied once more by GoMLX's matmul gradient, and
//     scattered).
func chooseForm(pixelsIn, pixelsOut, in, out int) form {
	return form{
		scatterAll:      4*pixelsIn*out <= pixelsOut*in,
		scatterGradient: pixelsIn*out <= 2*pixelsOut*in,
	}
}

// gatherConvolve is convolve as im2col with the data movement done by Gather and
// Scatter, which GoMLX's Go backend executes as block copies (memmove) and SIMD adds,
// and their gradients are each other:
//
//  1. padding and input dilation: the input's pixels are scattered (ScatterSum, whose
//     gradient is a Gather) into a zero tensor of the padded, dilated size. Pad would do
//     the same forward, but its gradient is a strided Slice, which the Go backend copies
//     one element at a time;
//  2. the patches: one GatherSlices of the k x k x in windows at the strided output
//     positions gives [batch*out_h*out_w, k*k*in] in the kernel's memory order (its
//     gradient is one ScatterSum of the windows back);
//  3. one matmul with the kernel, computed transposed, out = (kernel^T . patches^T)^T:
//     then the weight gradient contracts the patches over their leading axis without
//     transposing them (the Go backend's DotGeneral needs the contracted axes last on the
//     left operand: with the plain product patches . kernel, the weight gradient
//     patches^T . d_out transposes the whole patch matrix, k*k*in columns, every step;
//     here only the [out, positions] products are transposed, k*k*in/out times less).
//
// forced, when not nil, replaces chooseForm's choice (tests compare the forms).
func gatherConvolve(x, kernel, bias *Node, stride int, pads [2][2]int, inputDilation int, forced *form) *Node {
	g := x.Graph()
	input := x
	dtype := x.DType()
	d := x.Shape().Dimensions
	batch, height, width, in := d[0], d[1], d[2], d[3]
	k, out := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[3]
	dil := inputDilation
	paddedH := pads[0][0] + (height-1)*dil + 1 + pads[0][1]
	paddedW := pads[1][0] + (width-1)*dil + 1 + pads[1][1]
	outH, outW := (paddedH-k)/stride+1, (paddedW-k)/stride+1
	if outH < 1 || outW < 1 {
		exceptions.Panicf("vaekit: convolution of a %dx%d (padded) input with a %dx%d kernel has no output", paddedH, paddedW, k, k)
	}
	how := chooseForm(batch*height*width, batch*outH*outW, in, out)
	if forced != nil {
		how = *forced
	}
	if how.scatterAll {
		y := scatterForm(x, kernel, stride, pads, dil, outH, outW)
		return addBias(Reshape(y, batch, outH, outW, out), bias)
	}
	if pads != [2][2]int{} || dil != 1 {
		positions := make([]int32, 0, batch*height*width*3)
		for b := range batch {
			for i := range height {
				for j := range width {
					positions = append(positions, int32(b), int32(pads[0][0]+i*dil), int32(pads[1][0]+j*dil))
				}
			}
		}
		x = ScatterSum(Zeros(g, shapes.Make(dtype, batch, paddedH, paddedW, in)),
			Const(g, tensors.FromFlatDataAndDimensions(positions, batch*height*width, 3)),
			Reshape(x, batch*height*width, in), true, true)
	}
	n := batch * outH * outW
	starts := make([]int32, 0, n*3)
	for b := range batch {
		for i := range outH {
			for j := range outW {
				starts = append(starts, int32(b), int32(i*stride), int32(j*stride))
			}
		}
	}
	patches := GatherSlices(x, []int{0, 1, 2}, Const(g, tensors.FromFlatDataAndDimensions(starts, n, 3)), []int{1, k, k}, true)
	columns := Reshape(patches, n, k*k*in)
	kernel2D := Reshape(kernel, k*k*in, out)
	var product *Node
	if how.scatterGradient {
		product = patchesTimesKernelScatterGradient(input, columns, kernel, bias, stride, pads, inputDilation, outH, outW)
	} else {
		product = patchesTimesKernel(columns, kernel2D, bias)
	}
	return Reshape(product, batch, outH, outW, out)
}

// patchesTimesKernelScatterGradient is patchesTimesKernel (columns are x's patches)
// with a cheaper gradient with respect to x: instead of d_columns = d_out . kernel^T
// ([positions, k*k*in], which GoMLX's matmul gradient then copies once more) scattered
// back onto x, every input pixel gathers the k*k output gradients it contributed to and
// multiplies them with the kernel: d_x = gather(d_out) . kernel_r^T, with kernel_r
// [in, k*k*out]. GoMLX's fused-op mechanism runs the plain product forward and
// differentiates a formulation built for it: the kernel's and the bias's gradients as in
// patchesTimesKernel (from the patches, with no gradient into them), and x's from the
// "scatter" form of the convolution, out = scatter-add over (pixel, tap) of
// x[pixel] . kernel[tap], whose gradient is that gather (positions that fall outside the
// output, or between strides, point at one extra zero row).
func patchesTimesKernelScatterGradient(x, columns, kernel, bias *Node, stride int, pads [2][2]int, dil, outH, outW int) *Node {
	in := x.Shape().Dimensions[3]
	k, out := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[3]
	kernel2D := Reshape(kernel, k*k*in, out)
	// Both products read the patches through one identity that passes no gradient back
	// (x's comes from the scatter form): the patches are then consumed by it alone, so
	// the Go backend hands their buffer over instead of copying it. (Not StopGradient:
	// GoMLX would then skip this product altogether when differentiating with respect to
	// x but not the kernel.)
	fixedColumns := IdentityWithCustomGradient(columns, func(_, _ *Node) *Node { return nil })
	plain := func() *Node {
		if bias != nil {
			return BackendFusedDense(fixedColumns, kernel2D, bias, compute.DenseConfig{WeightLayout: compute.DenseLayoutInputOutputs})
		}
		return DotGeneral(fixedColumns, []int{1}, nil, kernel2D, []int{0}, nil)
	}
	forGradients := func() *Node {
		// Kernel (and bias) gradients: as patchesTimesKernel's, from the patches.
		y := transposedProduct(fixedColumns, kernel2D, bias)
		// Input gradient: the scatter form (see scatterForm), with no gradient into the
		// kernel.
		return Add(y, scatterForm(x, StopGradient(kernel), stride, pads, dil, outH, outW))
	}
	product, _ := InternalFusedOpCaller(plain, forGradients, true)
	return product
}

// scatterTargets lists, for every input pixel (batch, row, column, in that order) and
// kernel tap (t, u), the flat output position [batch*outH*outW] that the pixel reaches
// through that tap, or outH*outW*batch (one extra row) where it reaches none.
func scatterTargets(batch, height, width, k, stride int, pads [2][2]int, dil, outH, outW int) []int32 {
	n := batch * outH * outW
	target := make([]int32, 0, batch*height*width*k*k)
	for b := range batch {
		for i := range height {
			for j := range width {
				for t := range k {
					for u := range k {
						position := n
						oi, ri := divMod(pads[0][0]+i*dil-t, stride)
						oj, rj := divMod(pads[1][0]+j*dil-u, stride)
						if ri == 0 && rj == 0 && oi >= 0 && oi < outH && oj >= 0 && oj < outW {
							position = (b*outH+oi)*outW + oj
						}
						target = append(target, int32(position))
					}
				}
			}
		}
	}
	return target
}

// scatterForm is the convolution in "scatter" form, [batch*outH*outW, out]: every input
// pixel's contribution through every tap, x[pixel] . kernel[tap, :, :] (one matmul of x
// with the kernel rearranged to [in, k*k*out]), scatter-added onto the output position it
// reaches. Its gradient with respect to x is a gather of d_out (k*k*out values per input
// pixel) and a matmul; it never builds the patches.
func scatterForm(x, kernel *Node, stride int, pads [2][2]int, dil, outH, outW int) *Node {
	g := x.Graph()
	d := x.Shape().Dimensions
	batch, height, width, in := d[0], d[1], d[2], d[3]
	k, out := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[3]
	n, pixels := batch*outH*outW, batch*height*width
	target := scatterTargets(batch, height, width, k, stride, pads, dil, outH, outW)
	kernelR := Reshape(TransposeAllAxes(kernel, 2, 0, 1, 3), in, k*k*out) // [c, (t, u, o)]
	contributions := Reshape(DotGeneral(Reshape(x, pixels, in), []int{1}, nil, kernelR, []int{0}, nil), pixels*k*k, out)
	scattered := ScatterSum(Zeros(g, shapes.Make(x.DType(), n+1, out)),
		Const(g, tensors.FromFlatDataAndDimensions(target, pixels*k*k, 1)), contributions, false, false)
	return Slice(scattered, AxisRange(0, n))
}

// divMod is floor division and its non-negative remainder.
func divMod(a, b int) (q, r int) {
	q, r = a/b, a%b
	if r < 0 {
		q, r = q-1, r+b
	}
	return q, r
}

// patchesTimesKernel is the matmul columns [n, k*k*in] x kernel [k*k*in, out] -> [n, out],
// plus bias [out] when not nil.
//
// GoMLX's Go backend multiplies fastest when the left operand's contracted axis is last
// and the right one's is first (its packing of such operands is in assembly), and it
// transposes both operands of any other layout. The plain product is such a layout, but
// its gradient with respect to the kernel, columns^T . d_out, contracts the columns'
// first axis, so the whole patch matrix would be transposed every step. So the gradient
// is taken from the same product computed transposed, (kernel^T . columns^T)^T, whose
// kernel gradient d_out^T . columns needs only d_out transposed (out/(k*k*in) of the
// size): GoMLX's fused-op mechanism runs the plain product forward (as a FusedDense, with
// the bias added in its epilogue) and differentiates the transposed one (never computed).
func patchesTimesKernel(columns, kernel2D, bias *Node) *Node {
	plain := func() *Node {
		if bias != nil {
			return BackendFusedDense(columns, kernel2D, bias, compute.DenseConfig{WeightLayout: compute.DenseLayoutInputOutputs})
		}
		return addBias(DotGeneral(columns, []int{1}, nil, kernel2D, []int{0}, nil), bias)
	}
	transposed := func() *Node { return transposedProduct(columns, kernel2D, bias) }
	product, _ := InternalFusedOpCaller(plain, transposed, true)
	return product
}

// transposedProduct is columns . kernel2D (+ bias) computed as (kernel2D^T . columns^T)^T,
// the layout whose kernel gradient transposes only d_out (see patchesTimesKernel).
func transposedProduct(columns, kernel2D, bias *Node) *Node {
	product := Transpose(DotGeneral(Transpose(kernel2D, 0, 1), []int{1}, nil, columns, []int{1}, nil), 0, 1)
	if bias != nil {
		n, out := columns.Shape().Dimensions[0], kernel2D.Shape().Dimensions[1]
		product = Add(product, BroadcastToDims(Reshape(bias, 1, out), n, out))
	}
	return product
}
