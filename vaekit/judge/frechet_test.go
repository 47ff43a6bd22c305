package judge

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func sym(n int, values ...float64) *mat.SymDense { return mat.NewSymDense(n, values) }

func closeTo(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.12g, want %.12g (within %g)", what, got, want, tol)
	}
}

// [[5,4],[4,5]] = [[2,1],[1,2]]^2, and diag(9, 0, 16) = diag(3, 0, 4)^2 (a singular one).
func TestSqrtPSD(t *testing.T) {
	for _, tc := range []struct {
		c, want *mat.SymDense
	}{
		{sym(2, 5, 4, 4, 5), sym(2, 2, 1, 1, 2)},
		{sym(3, 9, 0, 0, 0, 0, 0, 0, 0, 16), sym(3, 3, 0, 0, 0, 0, 0, 0, 0, 4)},
		{sym(1, 0.25), sym(1, 0.5)},
	} {
		got, err := sqrtPSD(tc.c)
		if err != nil {
			t.Fatal(err)
		}
		if !mat.EqualApprox(got, tc.want, 1e-12) {
			t.Errorf("sqrtPSD(%v) = %v, want %v", mat.Formatted(tc.c), mat.Formatted(got), mat.Formatted(tc.want))
		}
	}
	if _, err := sqrtPSD(sym(2, 1, 2, 2, 1)); err == nil || !strings.Contains(err.Error(), "not positive semi-definite (eigenvalue -1)") {
		t.Errorf("sqrtPSD of a matrix with eigenvalue -1: err = %v, want one naming the eigenvalue", err)
	}
}

func TestFrechetFromStats(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b GaussianStats
		want float64
	}{
		{"equal Gaussians", GaussianStats{Mean: []float64{1, -2}, Cov: sym(2, 5, 4, 4, 5)}, GaussianStats{Mean: []float64{1, -2}, Cov: sym(2, 5, 4, 4, 5)}, 0},
		// N(m1, diag(s1^2)) vs N(m2, diag(s2^2)): sum (m1-m2)^2 + sum (s1-s2)^2.
		{"diagonal", GaussianStats{Mean: []float64{0, 1, 2}, Cov: sym(3, 1, 0, 0, 0, 4, 0, 0, 0, 9)},
			GaussianStats{Mean: []float64{1, 1, 0}, Cov: sym(3, 4, 0, 0, 0, 4, 0, 0, 0, 0.25)},
			(1 + 0 + 4) + (1 + 0 + 6.25)},
		// C_a = diag(4,1), C_b = [[5,4],[4,5]] do not commute. C_a^1/2 C_b C_a^1/2 = [[20,8],[8,5]],
		// trace 25, determinant 36; for a 2x2 PSD M, Tr M^1/2 = sqrt(Tr M + 2 sqrt(det M)) =
		// sqrt(37). So d = |(1,2)|^2 + 5 + 10 - 2 sqrt(37).
		{"non-commuting 2x2", GaussianStats{Mean: []float64{0, 0}, Cov: sym(2, 4, 0, 0, 1)},
			GaussianStats{Mean: []float64{1, 2}, Cov: sym(2, 5, 4, 4, 5)}, 5 + 15 - 2*math.Sqrt(37)},
		// The same pair swapped: C_b^1/2 C_a C_b^1/2 = [[17,10],[10,8]], again trace 25, det 36.
		{"non-commuting 2x2, swapped", GaussianStats{Mean: []float64{1, 2}, Cov: sym(2, 5, 4, 4, 5)},
			GaussianStats{Mean: []float64{0, 0}, Cov: sym(2, 4, 0, 0, 1)}, 5 + 15 - 2*math.Sqrt(37)},
		// A singular covariance (a point mass) against N(0, I): Tr(0 + I) = 2.
		{"point mass", GaussianStats{Mean: []float64{3, 4}, Cov: sym(2, 0, 0, 0, 0)},
			GaussianStats{Mean: []float64{0, 0}, Cov: sym(2, 1, 0, 0, 1)}, 25 + 2},
	} {
		got, err := frechetFromStats(tc.a, tc.b)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		closeTo(t, tc.name, got, tc.want, 1e-10)
	}
}

// FitGaussian against a hand computation: (1,2), (3,6), (5,4) have mean (3,4) and,
// normalised by N-1 = 2, variances 4 and 4 and covariance 2.
func TestFitGaussian(t *testing.T) {
	g, err := FitGaussian([][]float32{{1, 2}, {3, 6}, {5, 4}})
	if err != nil {
		t.Fatal(err)
	}
	if g.N != 3 || g.Mean[0] != 3 || g.Mean[1] != 4 {
		t.Errorf("N = %d, mean = %v, want 3 and [3 4]", g.N, g.Mean)
	}
	if !mat.EqualApprox(g.Cov, sym(2, 4, 2, 2, 4), 1e-12) {
		t.Errorf("covariance = %v, want [[4 2] [2 4]]", mat.Formatted(g.Cov))
	}
}

// From samples: a set against itself is 0; large samples of the non-commuting pair above
// come close to its closed form (the sampling error of each covariance entry is about
// 5/sqrt(N) = 0.016 here).
func TestFrechetDistanceFromSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 100_000
	a := make([][]float64, n)
	b := make([][]float64, n)
	for i := range n {
		u, v := rng.NormFloat64(), rng.NormFloat64()
		a[i] = []float64{2 * u, v} // N(0, diag(4, 1)).
		// N((1,2), [[5,4],[4,5]]): (1,2) + L (u,v) with L L^T = C_b, L = [[sqrt5, 0], [4/sqrt5, 3/sqrt5]].
		u, v = rng.NormFloat64(), rng.NormFloat64()
		b[i] = []float64{1 + math.Sqrt(5)*u, 2 + (4*u+3*v)/math.Sqrt(5)}
	}
	same, err := FrechetDistance(a, a)
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "FrechetDistance(a, a)", same, 0, 1e-9)
	got, err := FrechetDistance(a, b)
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "FrechetDistance(a, b)", got, 20-2*math.Sqrt(37), 0.1)
}

func TestFrechetBadInput(t *testing.T) {
	good := GaussianStats{Mean: []float64{0, 0}, Cov: sym(2, 1, 0, 0, 1)}
	for _, tc := range []struct {
		name string
		fn   func() error
		want string
	}{
		{"one vector", func() error { _, err := FrechetDistance([][]float64{{1, 2}}, [][]float64{{1, 2}, {3, 4}}); return err },
			"got 1 feature vectors, expected at least 2 (first set)"},
		{"no vectors", func() error { _, err := FrechetDistance([][]float64{{1, 2}, {3, 4}}, nil); return err },
			"got 0 feature vectors, expected at least 2 (second set)"},
		{"ragged", func() error {
			_, err := FrechetDistance([][]float64{{1, 2}, {3}}, [][]float64{{1, 2}, {3, 4}})
			return err
		},
			"vector 1 has 1 values, vector 0 has 2"},
		{"empty vectors", func() error { _, err := FrechetDistance([][]float64{{}, {}}, [][]float64{{1, 2}, {3, 4}}); return err },
			"the feature vectors are empty"},
		{"dimension mismatch", func() error {
			_, err := FrechetDistance([][]float64{{1, 2}, {3, 4}}, [][]float64{{1, 2, 3}, {3, 4, 5}})
			return err
		}, "dimensions 2 and 3, expected the same"},
		{"NaN", func() error {
			_, err := FrechetDistance([][]float32{{1, 2}, {3, float32(math.NaN())}}, [][]float32{{1, 2}, {3, 4}})
			return err
		}, "vector 1 has a non-finite value (NaN) at 1"},
		{"mean and covariance of different sizes", func() error {
			_, err := frechetFromStats(good, GaussianStats{Mean: []float64{0, 0, 0}, Cov: sym(2, 1, 0, 0, 1)})
			return err
		}, "the second Gaussian has a mean of dimension 3 but a 2x2 covariance"},
		{"no covariance", func() error { _, err := frechetFromStats(GaussianStats{Mean: []float64{0}}, good); return err },
			"the first Gaussian has no covariance"},
		{"not a covariance", func() error {
			_, err := frechetFromStats(good, GaussianStats{Mean: []float64{0, 0}, Cov: sym(2, 1, 2, 2, 1)})
			return err
		}, "the second Gaussian's covariance: the matrix is not positive semi-definite"},
	} {
		err := tc.fn()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
