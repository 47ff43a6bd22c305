package judge

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// The Fréchet distance between two Gaussians N(mu_a, C_a) and N(mu_b, C_b) (Dowson and
// Landau 1982; the 2-Wasserstein distance squared) is
//
//	d^2 = ||mu_a - mu_b||^2 + Tr(C_a + C_b - 2 (C_a^{1/2} C_b C_a^{1/2})^{1/2}).
//
// FID (Heusel et al. 2017) applies it to Gaussians fitted to Inception-v3 features of
// generated and real images. Here it is applied to the judge's features of MNIST-like
// images, so its values are on another scale and are NOT comparable to published FIDs.
//
// The trace term is computed in the symmetric form above, from two eigendecompositions of
// symmetric positive semi-definite matrices (C_a, then C_a^{1/2} C_b C_a^{1/2}), with the
// tiny negative eigenvalues that rounding leaves clipped to 0. Tr(sqrtm(C_a C_b)), the
// form of the FID reference code, has the same value but needs a non-symmetric square
// root that can turn complex under rounding.

// GaussianStats is a Gaussian fitted to a set of feature vectors: their mean and
// covariance (normalised by N-1, as numpy.cov and the FID reference code do).
type GaussianStats struct {
	Mean []float64
	Cov  *mat.SymDense
	N    int // How many vectors were fitted (0 when the statistics were given).
}

// Dim is the dimension of the vectors.
func (g GaussianStats) Dim() int { return len(g.Mean) }

// FitGaussian fits a Gaussian to vectors: one row per vector, all of one length, at least
// two of them (a covariance needs two). Fewer vectors than dimensions give a singular
// covariance, which the Fréchet distance handles, but the estimate is poor: FID practice
// uses thousands of vectors.
func FitGaussian[T float32 | float64](vectors [][]T) (GaussianStats, error) {
	if len(vectors) < 2 {
		return GaussianStats{}, fmt.Errorf("judge: fitting a Gaussian: got %d feature vectors, expected at least 2", len(vectors))
	}
	dim := len(vectors[0])
	if dim == 0 {
		return GaussianStats{}, errors.New("judge: fitting a Gaussian: the feature vectors are empty (length 0)")
	}
	x := mat.NewDense(len(vectors), dim, nil)
	for i, v := range vectors {
		if len(v) != dim {
			return GaussianStats{}, fmt.Errorf("judge: fitting a Gaussian: vector %d has %d values, vector 0 has %d: expected all of one length", i, len(v), dim)
		}
		for j, value := range v {
			f := float64(value)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return GaussianStats{}, fmt.Errorf("judge: fitting a Gaussian: vector %d has a non-finite value (%v) at %d", i, f, j)
			}
			x.Set(i, j, f)
		}
	}
	mean := make([]float64, dim)
	for j := range mean {
		mean[j] = stat.Mean(mat.Col(nil, j, x), nil)
	}
	cov := mat.NewSymDense(dim, nil)
	stat.CovarianceMatrix(cov, x, nil)
	return GaussianStats{Mean: mean, Cov: cov, N: len(vectors)}, nil
}

// FrechetDistance fits a Gaussian to each set of vectors (FitGaussian) and returns the
// Fréchet distance between them (frechetFromStats).
func FrechetDistance[T float32 | float64](a, b [][]T) (float64, error) {
	ga, err := FitGaussian(a)
	if err != nil {
		return 0, fmt.Errorf("%w (first set)", err)
	}
	gb, err := FitGaussian(b)
	if err != nil {
		return 0, fmt.Errorf("%w (second set)", err)
	}
	return frechetFromStats(ga, gb)
}

// frechetFromStats returns the Fréchet distance between N(a.Mean, a.Cov) and
// N(b.Mean, b.Cov): ||mu_a - mu_b||^2 + Tr(C_a + C_b - 2 (C_a^{1/2} C_b C_a^{1/2})^{1/2}).
// It is >= 0, and 0 only for equal Gaussians (up to rounding).
func frechetFromStats(a, b GaussianStats) (float64, error) {
	if err := a.check("first"); err != nil {
		return 0, err
	}
	if err := b.check("second"); err != nil {
		return 0, err
	}
	if a.Dim() != b.Dim() {
		return 0, fmt.Errorf("judge: Fréchet distance: the Gaussians have dimensions %d and %d, expected the same", a.Dim(), b.Dim())
	}
	var meanTerm float64
	for i := range a.Mean {
		d := a.Mean[i] - b.Mean[i]
		meanTerm += d * d
	}
	sqrtA, err := sqrtPSD(a.Cov)
	if err != nil {
		return 0, fmt.Errorf("judge: Fréchet distance: the first covariance: %w", err)
	}
	var m mat.Dense // C_a^{1/2} C_b C_a^{1/2}: symmetric PSD, up to rounding.
	m.Product(sqrtA, b.Cov, sqrtA)
	eigen, err := eigenvalues(symmetrized(&m))
	if err != nil {
		return 0, fmt.Errorf("judge: Fréchet distance: %w", err)
	}
	var traceSqrt float64 // Tr((C_a^{1/2} C_b C_a^{1/2})^{1/2}): the sum of the square roots of its eigenvalues.
	for _, e := range eigen {
		traceSqrt += math.Sqrt(max(e, 0))
	}
	d := meanTerm + mat.Trace(a.Cov) + mat.Trace(b.Cov) - 2*traceSqrt
	return max(d, 0), nil // Rounding can leave -1e-13 for equal Gaussians.
}

// check reports statistics that cannot describe a Gaussian.
func (g GaussianStats) check(which string) error {
	switch {
	case g.Dim() == 0:
		return fmt.Errorf("judge: Fréchet distance: the %s Gaussian has no mean (dimension 0)", which)
	case g.Cov == nil:
		return fmt.Errorf("judge: Fréchet distance: the %s Gaussian has no covariance (nil)", which)
	case g.Cov.SymmetricDim() != g.Dim():
		return fmt.Errorf("judge: Fréchet distance: the %s Gaussian has a mean of dimension %d but a %dx%d covariance", which, g.Dim(), g.Cov.SymmetricDim(), g.Cov.SymmetricDim())
	}
	for _, v := range g.Mean {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("judge: Fréchet distance: the %s Gaussian's mean has a non-finite value (%v)", which, v)
		}
	}
	for i := range g.Dim() {
		for j := i; j < g.Dim(); j++ {
			if v := g.Cov.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("judge: Fréchet distance: the %s Gaussian's covariance has a non-finite value (%v) at (%d, %d)", which, v, i, j)
			}
		}
	}
	if _, err := sqrtPSD(g.Cov); err != nil {
		return fmt.Errorf("judge: Fréchet distance: the %s Gaussian's covariance: %w", which, err)
	}
	return nil
}

// sqrtPSD returns the symmetric square root S of a symmetric positive semi-definite
// matrix C (S S = C, S symmetric PSD), from C's eigendecomposition C = V diag(l) V^T:
// S = V diag(sqrt(l)) V^T. Eigenvalues below 0 by rounding (down to -1e-9 times the
// largest) count as 0; a clearly negative one is an error, since C is then no covariance.
func sqrtPSD(c mat.Symmetric) (*mat.SymDense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(c, true) {
		return nil, errors.New("the eigendecomposition did not converge (non-finite values?)")
	}
	values := eig.Values(nil)
	largest := 0.0
	for _, l := range values {
		largest = max(largest, math.Abs(l))
	}
	for i, l := range values {
		if l < -1e-9*largest {
			return nil, fmt.Errorf("the matrix is not positive semi-definite (eigenvalue %g), so it is no covariance", l)
		}
		values[i] = math.Sqrt(max(l, 0))
	}
	var vectors mat.Dense
	eig.VectorsTo(&vectors)
	var s mat.Dense
	s.Mul(&vectors, mat.NewDiagDense(len(values), values))
	s.Mul(&s, vectors.T())
	return symmetrized(&s), nil
}

// symmetrized returns (M + M^T)/2, the symmetric matrix that rounding moved M away from.
func symmetrized(m *mat.Dense) *mat.SymDense {
	n, _ := m.Dims()
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	return s
}

// eigenvalues returns the eigenvalues of a symmetric matrix.
func eigenvalues(s *mat.SymDense) ([]float64, error) {
	var eig mat.EigenSym
	if !eig.Factorize(s, false) {
		return nil, errors.New("the eigendecomposition did not converge (non-finite values?)")
	}
	return eig.Values(nil), nil
}
