package workarounds

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/internal/testutil"
)

// The sum of log(1 + exp(-|l|)) taken as the log of products of logGroup factors agrees with
// the sum of the logs in float64, for rows that fill whole groups and rows that do not, and
// for logits from 0 (factor 2, the largest) to beyond exp's range (factor 1).
func TestSumOfLogsByProducts(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{784, 3073, 5, logGroup} {
		rows := make([][]float32, 3)
		for r := range rows {
			rows[r] = make([]float32, n)
			for i := range rows[r] {
				switch r {
				case 0:
					rows[r][i] = float32(rng.NormFloat64() * 8)
				case 1:
					rows[r][i] = 0 // Every factor 2: the products' largest value, 2^logGroup.
				default:
					rows[r][i] = float32(rng.Float64()*400 - 200)
				}
			}
		}
		got := tensors.MustCopyFlatData[float32](MustExecOnce(testutil.GoBackend(t), SumLog1pExpNegAbs, rows))
		for r, row := range rows {
			var want float64
			for _, v := range row {
				want += math.Log1p(math.Exp(-math.Abs(float64(v))))
			}
			if math.Abs(float64(got[r])-want) > 2e-5*float64(n)/logGroup+1e-6*want {
				t.Errorf("n=%d row %d: %.6f, float64 sum of logs %.6f", n, r, got[r], want)
			}
		}
	}
}
