package workarounds

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
)

// logGroup is how many factors of 1 + exp(-|l|), each in [1, 2], one product multiplies: at
// most 2^112, well below float32's largest value (2^128), and with 112 roundings of 2^-24
// each the product's log is off by less than 1e-5.
const logGroup = 112

// SumLog1pExpNegAbs is sum over the last axis of log(1 + exp(-|l|)), [..., n] -> [...],
// computed as the sum of the logs of products of logGroup factors (the last group padded
// with factors of 1).
func SumLog1pExpNegAbs(l *Node) *Node {
	dims := l.Shape().Dimensions
	n := dims[len(dims)-1]
	batch := l.Shape().Size() / n
	factors := Reshape(OnePlus(Exp(Neg(Abs(l)))), batch, n)
	groups := (n + logGroup - 1) / logGroup
	if pad := groups*logGroup - n; pad > 0 {
		factors = Pad(factors, ScalarOne(l.Graph(), l.DType()), compute.PadAxis{}, compute.PadAxis{End: pad})
	}
	products := ReduceMultiply(Reshape(factors, batch, groups, logGroup), -1)
	return Reshape(ReduceSum(Log(products), -1), dims[:len(dims)-1]...)
}
