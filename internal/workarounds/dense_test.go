package workarounds

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/internal/testutil"
)

// DenseProduct runs the backend's fused dense op forward and supplies its gradients by
// hand: the output and the gradients with respect to x, w and b must be the closed forms
// y = x.w + b, d/dx = c.w^T, d/dw = x^T.c and d/db = the column sums of c, for the loss
// sum(c * y), computed here in float64 on the host, with the fused op (the Go backend's
// default) and with the decomposed form other backends run (GOMLX_FUSION=false).
func TestDenseProductGradients(t *testing.T) {
	const batch, in, out = 3, 5, 4
	rng := rand.New(rand.NewPCG(7, 8))
	matrix := func(rows, cols int) [][]float32 {
		m := make([][]float32, rows)
		for i := range m {
			m[i] = make([]float32, cols)
			for j := range m[i] {
				m[i][j] = float32(rng.NormFloat64())
			}
		}
		return m
	}
	x, w, c := matrix(batch, in), matrix(in, out), matrix(batch, out)
	b := matrix(1, out)[0]

	for _, fusion := range []string{"true", "false"} {
		t.Setenv("GOMLX_FUSION", fusion)
		outs := MustExecOnceN(testutil.GoBackend(t), func(x, w, b, c *Node) []*Node {
			y := DenseProduct(x, w, b)
			grads := Gradient(ReduceAllSum(Mul(c, y)), x, w, b)
			return append([]*Node{y}, grads...)
		}, x, w, b, c)
		y, dx, dw, db := tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1]),
			tensors.MustCopyFlatData[float32](outs[2]), tensors.MustCopyFlatData[float32](outs[3])
		check := func(what string, got []float32, want func(i, j int) float64, rows, cols int) {
			t.Helper()
			for i := range rows {
				for j := range cols {
					if expect := want(i, j); math.Abs(float64(got[i*cols+j])-expect) > 1e-5*math.Max(1, math.Abs(expect)) {
						t.Errorf("fusion=%s: %s[%d,%d] = %g, want %g", fusion, what, i, j, got[i*cols+j], expect)
					}
				}
			}
		}
		// sum is the float64 sum over n terms.
		sum := func(n int, term func(k int) float64) float64 {
			var s float64
			for k := range n {
				s += term(k)
			}
			return s
		}
		check("y", y, func(i, j int) float64 {
			return float64(b[j]) + sum(in, func(k int) float64 { return float64(x[i][k]) * float64(w[k][j]) })
		}, batch, out)
		check("d/dx", dx, func(i, k int) float64 {
			return sum(out, func(j int) float64 { return float64(c[i][j]) * float64(w[k][j]) })
		}, batch, in)
		check("d/dw", dw, func(k, j int) float64 {
			return sum(batch, func(i int) float64 { return float64(x[i][k]) * float64(c[i][j]) })
		}, in, out)
		check("d/db", db, func(_, j int) float64 {
			return sum(batch, func(i int) float64 { return float64(c[i][j]) })
		}, 1, out)
	}
}
