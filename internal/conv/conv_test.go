package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/internal/testutil"
)

// naiveConv is a direct float64 loop for TensorFlow's conv2d with 'same' padding:
// out[i, j, o] = sum_{t,u,c} x[i*s+t-pad, j*s+u-pad, c] * k[t, u, c, o].
func naiveConv(x [][][]float64, k [][][][]float64, stride int) [][][]float64 {
	h, w := len(x), len(x[0])
	kk, out := len(k), len(k[0][0][0])
	oh, ow := (h+stride-1)/stride, (w+stride-1)/stride
	padH := max((oh-1)*stride+kk-h, 0) / 2
	padW := max((ow-1)*stride+kk-w, 0) / 2
	y := zeros3(oh, ow, out)
	for i := range oh {
		for j := range ow {
			for t := range kk {
				for u := range kk {
					r, c := i*stride+t-padH, j*stride+u-padW
					if r < 0 || r >= h || c < 0 || c >= w {
						continue
					}
					for ci, v := range x[r][c] {
						for o := range out {
							y[i][j][o] += v * k[t][u][ci][o]
						}
					}
				}
			}
		}
	}
	return y
}

// naiveConvTranspose is TensorFlow's conv2d_transpose with 'same' padding written as the
// scatter it is: every input pixel adds its value times the kernel onto the output,
// out[i*s+t-pad, j*s+u-pad, o] += x[i, j, c] * k[t, u, c, o], output size (h*s, w*s).
func naiveConvTranspose(x [][][]float64, k [][][][]float64, stride int) [][][]float64 {
	h, w := len(x), len(x[0])
	kk, out := len(k), len(k[0][0][0])
	oh, ow := h*stride, w*stride
	pad := max(kk-stride, 0) / 2 // 'same' padding of a stride-s conv from (oh, ow) back to (h, w).
	y := zeros3(oh, ow, out)
	for i := range h {
		for j := range w {
			for t := range kk {
				for u := range kk {
					r, c := i*stride+t-pad, j*stride+u-pad
					if r < 0 || r >= oh || c < 0 || c >= ow {
						continue
					}
					for ci, v := range x[i][j] {
						for o := range out {
							y[r][c][o] += v * k[t][u][ci][o]
						}
					}
				}
			}
		}
	}
	return y
}

func zeros3(a, b, c int) [][][]float64 {
	y := make([][][]float64, a)
	for i := range y {
		y[i] = make([][]float64, b)
		for j := range y[i] {
			y[i][j] = make([]float64, c)
		}
	}
	return y
}

func randomImage(rng *rand.Rand, h, w, c int) [][][]float64 {
	x := zeros3(h, w, c)
	for i := range x {
		for j := range x[i] {
			for k := range x[i][j] {
				x[i][j][k] = rng.NormFloat64()
			}
		}
	}
	return x
}

func randomKernel(rng *rand.Rand, k, in, out int) [][][][]float64 {
	kernel := make([][][][]float64, k)
	for t := range kernel {
		kernel[t] = randomImage(rng, k, in, out)
	}
	return kernel
}

func flat32[T any](v T) []float32 {
	var out []float32
	var walk func(any)
	walk = func(a any) {
		switch a := a.(type) {
		case float64:
			out = append(out, float32(a))
		case []float64:
			for _, x := range a {
				out = append(out, float32(x))
			}
		case [][]float64:
			for _, x := range a {
				walk(x)
			}
		case [][][]float64:
			for _, x := range a {
				walk(x)
			}
		case [][][][]float64:
			for _, x := range a {
				walk(x)
			}
		}
	}
	walk(any(v))
	return out
}

// Both formulations (native ConvGeneral and im2col) of Conv2D and ConvTranspose2D must
// match the direct loops above, for odd and even kernels, strides 1 to 3, odd sizes.
func TestConvolutionsMatchDirectLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := []struct{ h, w, in, out, kernel, stride int }{
		{7, 7, 1, 3, 4, 2}, {28, 28, 1, 2, 4, 2}, {14, 14, 3, 2, 4, 1}, {5, 6, 2, 3, 3, 2}, {9, 8, 2, 2, 3, 3}, {6, 6, 2, 2, 1, 1}, {4, 5, 1, 2, 2, 2},
	}
	for _, impl := range []string{"im2col", "native"} {
		for _, tc := range cases {
			x := randomImage(rng, tc.h, tc.w, tc.in)
			k := randomKernel(rng, tc.kernel, tc.in, tc.out)
			xT := tensors.FromFlatDataAndDimensions(flat32(x), 1, tc.h, tc.w, tc.in)
			kT := tensors.FromFlatDataAndDimensions(flat32(k), tc.kernel, tc.kernel, tc.in, tc.out)
			for _, transpose := range []bool{false, true} {
				name := fmt.Sprintf("%s transpose=%v %+v", impl, transpose, tc)
				var want [][][]float64
				var got *tensors.Tensor
				if transpose {
					want = naiveConvTranspose(x, k, tc.stride)
					got = MustExecOnce(testutil.GoBackend(t), func(x, k *Node) *Node { return Transposed(x, k, nil, tc.stride, impl) }, xT, kT)
				} else {
					want = naiveConv(x, k, tc.stride)
					got = MustExecOnce(testutil.GoBackend(t), func(x, k *Node) *Node { return Same(x, k, nil, tc.stride, impl) }, xT, kT)
				}
				wantDims := []int{1, len(want), len(want[0]), tc.out}
				if fmt.Sprint(got.Shape().Dimensions) != fmt.Sprint(wantDims) {
					t.Errorf("%s: shape %v, want %v", name, got.Shape().Dimensions, wantDims)
					continue
				}
				for i, v := range tensors.MustCopyFlatData[float32](got) {
					if w := flat32(want)[i]; math.Abs(float64(v-w)) > 1e-4*(1+math.Abs(float64(w))) {
						t.Errorf("%s: value %d = %g, want %g", name, i, v, w)
						break
					}
				}
			}
		}
	}
}

// Gradients of both convolutions, im2col, against central finite differences computed in
// float64 on the host from the direct loops; and the native formulation against im2col
// for odd kernels (for even kernels GoMLX v0.28.16's native input gradient is wrong,
// which is why "auto" never picks native for them; this test would flag a fix).
func TestConvGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ size, kernel, stride int }{{7, 4, 2}, {6, 3, 2}, {5, 3, 1}, {7, 4, 1}} {
		x := randomImage(rng, tc.size, tc.size, 2)
		k := randomKernel(rng, tc.kernel, 2, 3)
		xT := tensors.FromFlatDataAndDimensions(flat32(x), 1, tc.size, tc.size, 2)
		kT := tensors.FromFlatDataAndDimensions(flat32(k), tc.kernel, tc.kernel, 2, 3)
		for _, transpose := range []bool{false, true} {
			// loss = sum(y * weights) for fixed pseudo-random weights: linear in x, so
			// finite differences are exact up to rounding.
			lossOf := func(x [][][]float64) float64 {
				var y [][][]float64
				if transpose {
					y = naiveConvTranspose(x, k, tc.stride)
				} else {
					y = naiveConv(x, k, tc.stride)
				}
				var sum float64
				for i, v := range flat32(y) {
					sum += float64(v) * math.Sin(float64(i))
				}
				return sum
			}
			grads := map[string][]float32{}
			for _, impl := range []string{"im2col", "native"} {
				out := MustExecOnce(testutil.GoBackend(t), func(x, k *Node) *Node {
					var y *Node
					if transpose {
						y = Transposed(x, k, nil, tc.stride, impl)
					} else {
						y = Same(x, k, nil, tc.stride, impl)
					}
					flatIndex := Iota(x.Graph(), shapes.Make(y.DType(), y.Shape().Size()), 0)
					weights := Reshape(Sin(flatIndex), y.Shape().Dimensions...)
					return Gradient(ReduceAllSum(Mul(y, weights)), x)[0]
				}, xT, kT)
				grads[impl] = tensors.MustCopyFlatData[float32](out)
			}
			name := fmt.Sprintf("%+v transpose=%v", tc, transpose)
			for _, idx := range []int{0, 5, len(grads["im2col"]) / 2, len(grads["im2col"]) - 1} {
				i, j, c := idx/(tc.size*2), (idx/2)%tc.size, idx%2
				x[i][j][c] += 0.5
				plus := lossOf(x)
				x[i][j][c] -= 1
				minus := lossOf(x)
				x[i][j][c] += 0.5
				want := (plus - minus) / 1
				if got := float64(grads["im2col"][idx]); math.Abs(got-want) > 1e-3*(1+math.Abs(want)) {
					t.Errorf("%s: im2col gradient[%d] = %g, finite differences %g", name, idx, got, want)
				}
			}
			if tc.kernel%2 == 1 {
				for i, v := range grads["native"] {
					if w := grads["im2col"][i]; math.Abs(float64(v-w)) > 1e-3*(1+math.Abs(float64(w))) {
						t.Errorf("%s: native gradient[%d] = %g, im2col %g", name, i, v, w)
						break
					}
				}
			}
		}
	}
}
