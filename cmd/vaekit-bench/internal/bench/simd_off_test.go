//go:build !(amd64 && goexperiment.simd)

package bench

// builtWithSIMD: GoMLX's Go backend has its AVX2 and AVX-512 kernels in this build.
const builtWithSIMD = false
