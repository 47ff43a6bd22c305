package vaekit

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
)

// denseProduct runs the backend's fused dense op forward and supplies its gradients by
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
		outs := MustExecOnceN(testBackend(t), func(x, w, b, c *Node) []*Node {
			y := denseProduct(x, w, b)
			grads := Gradient(ReduceAllSum(Mul(c, y)), x, w, b)
			return append([]*Node{y}, grads...)
		}, x, w, b, c)
		y, dx, dw, db := tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1]),
			tensors.MustCopyFlatData[float32](outs[2]), tensors.MustCopyFlatData[float32](outs[3])
		check := func(what string, got float32, want float64) {
			t.Helper()
			if math.Abs(float64(got)-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("fusion=%s: %s = %g, want %g", fusion, what, got, want)
			}
		}
		for i := range batch {
			for j := range out {
				want := float64(b[j])
				for k := range in {
					want += float64(x[i][k]) * float64(w[k][j])
				}
				check("y", y[i*out+j], want)
			}
			for k := range in {
				var want float64
				for j := range out {
					want += float64(c[i][j]) * float64(w[k][j])
				}
				check("d/dx", dx[i*in+k], want)
			}
		}
		for k := range in {
			for j := range out {
				var want float64
				for i := range batch {
					want += float64(x[i][k]) * float64(c[i][j])
				}
				check("d/dw", dw[k*out+j], want)
			}
		}
		for j := range out {
			var want float64
			for i := range batch {
				want += float64(c[i][j])
			}
			check("d/db", db[j], want)
		}
	}
}
