package vaekit

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/vaekit/vaekit/internal/conv"
)

// paramConvAlgorithm is the Store parameter through which the conv_algorithm setting
// reaches Conv2D and ConvTranspose2D ("auto" when unset).
const paramConvAlgorithm = "vaekit_conv_algorithm"

// Conv2D is a 2-D convolution layer with 'same' padding (TensorFlow's convention) and a
// bias: x [batch, height, width, in] -> [batch, ceil(height/stride), ceil(width/stride),
// filters]. The kernel variable has shape [kernel, kernel, in, filters]. How it is
// computed (GoMLX's ConvGeneral, or im2col) is the conv_algorithm setting.
func Conv2D(scope *model.Scope, x *Node, filters, kernel, stride int) *Node {
	checkConvArgs("Conv2D", x, filters, kernel, stride)
	w, b := convVariables(scope, x, kernel, filters)
	return conv.Same(x, w, b, stride, convAlgorithm(scope))
}

// ConvTranspose2D is the transposed convolution (TensorFlow's conv2d_transpose, "deconv")
// with 'same' padding and a bias: x [batch, h, w, in] -> [batch, h*stride, w*stride,
// filters]. It is the gradient of Conv2D with respect to its input: every input pixel
// scatters its value times the kernel onto the output,
//
//	out[i*stride + t - pad, j*stride + u - pad, o] += x[i, j, c] * kernel[t, u, c, o],
//
// where pad is the 'same' padding Conv2D would use on the output.
func ConvTranspose2D(scope *model.Scope, x *Node, filters, kernel, stride int) *Node {
	checkConvArgs("ConvTranspose2D", x, filters, kernel, stride)
	w, b := convVariables(scope, x, kernel, filters)
	return conv.Transposed(x, w, b, stride, convAlgorithm(scope))
}

func checkConvArgs(name string, x *Node, filters, kernel, stride int) {
	if x.Rank() != 4 {
		exceptions.Panicf("vaekit.%s: expected x of shape [batch, height, width, channels], got %s", name, x.Shape())
	}
	if filters < 1 || kernel < 1 || stride < 1 {
		exceptions.Panicf("vaekit.%s: expected filters, kernel and stride >= 1, got %d, %d, %d", name, filters, kernel, stride)
	}
}

// convVariables returns a convolution layer's kernel [kernel, kernel, in, filters] and bias
// [filters].
func convVariables(scope *model.Scope, x *Node, kernel, filters int) (weights, biases *Node) {
	in := x.Shape().Dimensions[3]
	weights = scope.VariableWithShape("weights", shapes.Make(x.DType(), kernel, kernel, in, filters)).NodeValue(x.Graph())
	biases = scope.VariableWithShape("biases", shapes.Make(x.DType(), filters)).NodeValue(x.Graph())
	return weights, biases
}

// convAlgorithm is the conv_algorithm setting, as NewModel put it in the Store.
func convAlgorithm(scope *model.Scope) string {
	return model.GetParamOr(scope, paramConvAlgorithm, "auto")
}
