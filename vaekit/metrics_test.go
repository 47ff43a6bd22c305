package vaekit

import (
	"math"
	"testing"
)

func TestCodeStats(t *testing.T) {
	// Coordinate 0: 1, 3, 5 -> mean 3, population std sqrt(8/3); coordinate 1 constant
	// and large, where a one-pass E[x^2]-E[x]^2 would lose every digit in float32.
	codes := [][]float32{{1, 1e4}, {3, 1e4}, {5, 1e4}}
	mean, std, err := CodeStats(codes)
	if err != nil || mean[0] != 3 || math.Abs(std[0]-math.Sqrt(8.0/3)) > 1e-12 || mean[1] != 1e4 || std[1] != 0 {
		t.Errorf("CodeStats = %v, %v; want [3 1e4], [%.4f 0]", mean, std, math.Sqrt(8.0/3))
	}
}

func TestMeanPosteriorStd(t *testing.T) {
	logVar := [][]float32{{0, float32(math.Log(4))}, {float32(math.Log(0.25)), 0}}
	if got, err := MeanPosteriorStd(logVar); err != nil || math.Abs(got-(1+2+0.5+1)/4.0) > 1e-6 {
		t.Errorf("MeanPosteriorStd = %g, %v; want %g", got, err, (1+2+0.5+1)/4.0)
	}
}
