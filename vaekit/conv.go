package vaekit

import (
	"os"
	"strings"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Every convolution vaekit builds goes through Conv2D or ConvTranspose2D, and both end in
// convolve, the one place that picks how a convolution is computed:
//
//   - "native": GoMLX's ConvGeneral. XLA compiles it to its tuned convolution kernels
//     (CPU and GPU); it is the right choice there.
//   - "im2col": the patches of the input are gathered with strided slices into one
//     [batch*out_h*out_w, k*k*in] matrix and multiplied with the kernel in a single
//     matmul. GoMLX's Go backend evaluates ConvGeneral (and its gradients) with direct
//     loops that are about 20x slower than this on a small conv VAE; its matmul is fast.
//
// ConvImplementation (or $VAEKIT_CONV) forces one; "auto" chooses by backend, and uses
// im2col for even kernel sizes on every backend: GoMLX v0.28.16's gradient of ConvGeneral
// with respect to its input is wrong for even kernels (e.g. the tutorial's 4x4 with
// 'same' padding; it disagrees with finite differences, see TestConvGradients), while
// im2col's gradient is built from Slice, Pad and matmul and is exact.

// ConvImplementation is "auto", "native" or "im2col"; it is read when a graph is built.
var ConvImplementation = envOr("VAEKIT_CONV", "auto")

// KnownConvImplementations lists the accepted values of ConvImplementation.
var KnownConvImplementations = []string{"auto", "native", "im2col"}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// convImplementationFor resolves "auto" for the backend of g and the kernel size.
func convImplementationFor(g *Graph, kernelSize int) string {
	switch ConvImplementation {
	case "native", "im2col":
		return ConvImplementation
	case "auto", "":
		name := g.Backend().String()
		if kernelSize%2 == 1 && (strings.HasPrefix(name, "xla") || strings.HasPrefix(name, "stablehlo")) {
			return "native"
		}
		return "im2col"
	}
	exceptions.Panicf("vaekit: ConvImplementation=%q (or $VAEKIT_CONV): expected one of %v", ConvImplementation, KnownConvImplementations)
	return ""
}

// samePadding returns TensorFlow's 'same' padding of one spatial axis for a convolution
// of the given size, kernel and stride: the output has ceil(size/stride) positions, and
// the odd pixel of padding, if any, goes at the end.
func samePadding(size, kernel, stride int) (before, after int) {
	out := (size + stride - 1) / stride
	total := max((out-1)*stride+kernel-size, 0)
	return total / 2, total - total/2
}

// convOutputSize is the spatial size after convolutions with 'same' padding and the given
// strides.
func convOutputSize(size int, strides []int) int {
	for _, s := range strides {
		size = (size + s - 1) / s
	}
	return size
}

// Conv2D is a 2-D convolution layer with 'same' padding (TensorFlow's convention) and a
// bias: x [batch, height, width, in] -> [batch, ceil(height/stride), ceil(width/stride),
// filters]. The kernel variable has shape [kernel, kernel, in, filters].
func Conv2D(scope *model.Scope, x *Node, filters, kernel, stride int) *Node {
	checkConvArgs("Conv2D", x, filters, kernel, stride)
	w := convKernel(scope, x, kernel, filters)
	padH0, padH1 := samePadding(x.Shape().Dimensions[1], kernel, stride)
	padW0, padW1 := samePadding(x.Shape().Dimensions[2], kernel, stride)
	out := convolve(x, w, stride, [2][2]int{{padH0, padH1}, {padW0, padW1}}, 1)
	return addBias(scope, out, filters)
}

// ConvTranspose2D is the transposed convolution (TensorFlow's conv2d_transpose, "deconv")
// with 'same' padding and a bias: x [batch, h, w, in] -> [batch, h*stride, w*stride,
// filters]. It is the gradient of Conv2D with respect to its input: every input pixel
// scatters its value times the kernel onto the output,
//
//	out[i*stride + t - pad, j*stride + u - pad, o] += x[i, j, c] * kernel[t, u, c, o],
//
// where pad is the 'same' padding Conv2D would use on the output. It is computed as an
// ordinary convolution: the input is dilated (stride-1 zeros inserted between pixels),
// padded, and correlated with the spatially flipped kernel.
func ConvTranspose2D(scope *model.Scope, x *Node, filters, kernel, stride int) *Node {
	checkConvArgs("ConvTranspose2D", x, filters, kernel, stride)
	w := convKernel(scope, x, kernel, filters)
	return addBias(scope, convTranspose(x, w, stride), filters)
}

// convTranspose is ConvTranspose2D without the variables: kernel [k, k, in, out].
func convTranspose(x, kernel *Node, stride int) *Node {
	k := kernel.Shape().Dimensions[0]
	var pads [2][2]int
	for axis := range 2 {
		outSize := x.Shape().Dimensions[1+axis] * stride
		before, _ := samePadding(outSize, k, stride)
		// The dilated input has (n-1)*stride+1 pixels; with these pads a stride-1 valid
		// correlation gives exactly n*stride outputs, output j seeing inputs j+pad-t.
		pads[axis] = [2]int{k - 1 - before, stride - 1 + before}
	}
	flipped := Reverse(kernel, 0, 1)
	return convolve(x, flipped, 1, pads, stride)
}

func checkConvArgs(name string, x *Node, filters, kernel, stride int) {
	if x.Rank() != 4 {
		exceptions.Panicf("vaekit.%s: expected x of shape [batch, height, width, channels], got %s", name, x.Shape())
	}
	if filters < 1 || kernel < 1 || stride < 1 {
		exceptions.Panicf("vaekit.%s: expected filters, kernel and stride >= 1, got %d, %d, %d", name, filters, kernel, stride)
	}
}

func convKernel(scope *model.Scope, x *Node, kernel, filters int) *Node {
	in := x.Shape().Dimensions[3]
	v := scope.VariableWithShape("weights", shapes.Make(x.DType(), kernel, kernel, in, filters))
	return v.NodeValue(x.Graph())
}

func addBias(scope *model.Scope, x *Node, filters int) *Node {
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), filters)).NodeValue(x.Graph())
	return Add(x, Reshape(b, 1, 1, 1, filters))
}

// convolve correlates x [batch, h, w, in] with kernel [k, k, in, out]: x is first dilated
// by inputDilation (zeros between pixels), then padded by pads ({before, after} for height
// and width), then the kernel slides over it with the given stride.
func convolve(x, kernel *Node, stride int, pads [2][2]int, inputDilation int) *Node {
	if convImplementationFor(x.Graph(), kernel.Shape().Dimensions[0]) == "native" {
		return Convolve(x, kernel).
			StridePerAxis(stride, stride).
			PaddingPerDim([][2]int{pads[0], pads[1]}).
			InputDilationPerAxis(inputDilation, inputDilation).
			Done()
	}
	return im2colConvolve(x, kernel, stride, pads, inputDilation)
}

// im2colConvolve is convolve as one matmul: gather the k*k shifted, strided views of the
// padded input, concatenate them along the channels into [batch, oh, ow, k*k*in], and
// contract with the kernel reshaped to [k*k*in, out]. The concatenation order (kernel row,
// kernel column, channel) is the kernel's own memory order, so the reshape is free.
func im2colConvolve(x, kernel *Node, stride int, pads [2][2]int, inputDilation int) *Node {
	g := x.Graph()
	k, in, out := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[2], kernel.Shape().Dimensions[3]
	x = Pad(x, ScalarZero(g, x.DType()),
		PadAxis{},
		PadAxis{Start: pads[0][0], End: pads[0][1], Interior: inputDilation - 1},
		PadAxis{Start: pads[1][0], End: pads[1][1], Interior: inputDilation - 1},
		PadAxis{})
	batch, height, width := x.Shape().Dimensions[0], x.Shape().Dimensions[1], x.Shape().Dimensions[2]
	outH, outW := (height-k)/stride+1, (width-k)/stride+1
	if outH < 1 || outW < 1 {
		exceptions.Panicf("vaekit: convolution of a %dx%d (padded) input with a %dx%d kernel has no output", height, width, k, k)
	}
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
	return Reshape(product, batch, outH, outW, out)
}
