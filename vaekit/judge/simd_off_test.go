//go:build amd64 && !goexperiment.simd

package judge

import (
	"fmt"
	"os"
)

// Without GOEXPERIMENT=simd, GoMLX's Go backend runs without its AVX kernels, several
// times slower, and these tests can pass go test's default 10-minute timeout on a busy
// 2-core machine. go test shows this line when they fail (or with -v).
func init() {
	fmt.Fprintln(os.Stderr, "vaekit/judge: built without GOEXPERIMENT=simd, the training tests run several times slower; use GOEXPERIMENT=simd go test ./... (as scripts/test.sh does), or -timeout=30m")
}
