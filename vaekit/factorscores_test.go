package vaekit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// migFunc is MutualInformationGap's signature, so that the known-answer checks below can
// be run against a deliberately broken estimator too.
type migFunc func(codes [][]float32, names []string, sizes []int, values [][]int32, bins int) (*FactorScores, error)

// factorSample draws n images' values of factors with the given probabilities (one row of
// probabilities per factor), independently.
func factorSample(rng *rand.Rand, n int, probs [][]float64) [][]int32 {
	values := make([][]int32, len(probs))
	for f, p := range probs {
		values[f] = make([]int32, n)
		for i := range values[f] {
			u, v := rng.Float64(), 0
			for v < len(p)-1 && u >= p[v] {
				u -= p[v]
				v++
			}
			values[f][i] = int32(v)
		}
	}
	return values
}

// entropyOf is H(p) in nats, written out here independently of the estimator.
func entropyOf(p []float64) float64 {
	h := 0.0
	for _, v := range p {
		h -= v * math.Log(v)
	}
	return h
}

// checkMIGKnownAnswers runs mig on codes whose answer is known in closed form and reports
// the first disagreement. Factors: an unbalanced 3-valued one, p = (0.7, 0.2, 0.1), and a
// uniform 6-valued one; 20,000 images.
func checkMIGKnownAnswers(mig migFunc) error {
	const n, bins = 20000, MIGBins
	probs := [][]float64{{0.7, 0.2, 0.1}, {1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6}}
	names, sizes := []string{"a", "b"}, []int{3, 6}
	rng := rand.New(rand.NewPCG(7, 8))
	values := factorSample(rng, n, probs)
	noise := func() float32 { return float32(rng.NormFloat64()) }

	// 1. A code that copies each factor into its own coordinate (and two of noise): each
	// copy knows all of H(v), the noise nothing, so every gap is 1 (minus the plug-in bias
	// of the noise, < (bins-1)(6-1)/(2n) = 0.0024 nats).
	codes := make([][]float32, n)
	for i := range codes {
		codes[i] = []float32{noise(), float32(values[0][i]), noise(), float32(values[1][i])}
	}
	s, err := mig(codes, names, sizes, values, bins)
	if err != nil {
		return err
	}
	for f, p := range probs {
		if h := entropyOf(p); math.Abs(s.FactorEntropy[f]-h) > 0.02 {
			return fmt.Errorf("copy code: H(%s) = %.4f, closed form %.4f", names[f], s.FactorEntropy[f], h)
		}
	}
	if s.Gaps[0].Best != 1 || s.Gaps[1].Best != 3 {
		return fmt.Errorf("copy code: best coordinates %d and %d, expected 1 and 3", s.Gaps[0].Best, s.Gaps[1].Best)
	}
	if s.MIG < 0.99 {
		return fmt.Errorf("copy code: MIG = %.4f, expected 1 (> 0.99)", s.MIG)
	}

	// 2. Noise alone: every I(v; z_j) is the plug-in bias, so MIG is near 0.
	for i := range codes {
		codes[i] = []float32{noise(), noise(), noise(), noise()}
	}
	if s, err = mig(codes, names, sizes, values, bins); err != nil {
		return err
	}
	if s.MIG > 0.02 {
		return fmt.Errorf("noise code: MIG = %.4f, expected near 0 (< 0.02)", s.MIG)
	}

	// 3. Factor a copied twice (no gap for it) and factor b copied once: MIG = (0 + 1) / 2.
	for i := range codes {
		codes[i] = []float32{float32(values[0][i]), float32(values[1][i]), 2 * float32(values[0][i])}
	}
	if s, err = mig(codes, names, sizes, values, bins); err != nil {
		return err
	}
	if math.Abs(s.Gaps[0].Gap) > 1e-9 || math.Abs(s.MIG-0.5) > 0.01 {
		return fmt.Errorf("a copied twice: gap(a) = %.4f, MIG = %.4f, expected 0 and 0.5", s.Gaps[0].Gap, s.MIG)
	}
	return nil
}

func TestMutualInformationGapKnownAnswers(t *testing.T) {
	if err := checkMIGKnownAnswers(MutualInformationGap); err != nil {
		t.Fatal(err)
	}
}

// TestMIGChecksCatchWrongEntropy shows the known-answer checks able to fail: a MIG
// normalised by log(number of values) instead of the factor's entropy gives the copy code a
// gap of H(0.7, 0.2, 0.1) / log 3 = 0.80 / 1.10 = 0.73 on the unbalanced factor (1 on the
// uniform one), so a MIG of 0.86 instead of 1.
func TestMIGChecksCatchWrongEntropy(t *testing.T) {
	broken := func(codes [][]float32, names []string, sizes []int, values [][]int32, bins int) (*FactorScores, error) {
		s, err := MutualInformationGap(codes, names, sizes, values, bins)
		if err != nil {
			return nil, err
		}
		s.MIG = 0
		for f, g := range s.Gaps {
			g.Gap *= s.FactorEntropy[f] / math.Log(float64(sizes[f]))
			s.MIG += g.Gap / float64(len(s.Gaps))
		}
		return s, nil
	}
	err := checkMIGKnownAnswers(broken)
	if err == nil || !strings.Contains(err.Error(), "copy code: MIG") {
		t.Fatalf("the checks passed a MIG normalised by log(values): %v", err)
	}
	t.Log(err)
}

// TestMutualInformationMatrix checks single entries against closed forms: a coordinate that
// is a one-to-one function of a uniform 4-valued factor knows log 4 nats of it; one that
// knows only its parity (two of the four values in each of its two bins) knows log 2.
func TestMutualInformationMatrix(t *testing.T) {
	const n = 4000
	values := [][]int32{make([]int32, n)}
	codes := make([][]float32, n)
	for i := range codes {
		v := int32(i % 4)
		values[0][i] = v
		codes[i] = []float32{float32(3 - v), float32(v % 2)}
	}
	s, err := MutualInformationGap(codes, []string{"v"}, []int{4}, values, MIGBins)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.MutualInformation[0]; math.Abs(got[0]-math.Log(4)) > 1e-12 || math.Abs(got[1]-math.Log(2)) > 1e-12 {
		t.Fatalf("I(v; z) = %v, expected [log 4, log 2] = [%.6f %.6f]", got, math.Log(4), math.Log(2))
	}
	if g := s.Gaps[0]; g.Best != 0 || g.Second != 1 || math.Abs(g.Gap-0.5) > 1e-12 {
		t.Fatalf("gap %+v, expected best 0, second 1, gap (log 4 - log 2)/log 4 = 0.5", g)
	}
}

func TestEqualWidthBins(t *testing.T) {
	codes := [][]float32{{0}, {0.49}, {0.5}, {1}, {2}}
	got := equalWidthBins(codes, 0, 4) // Edges 0, 0.5, 1, 1.5, 2: the maximum in the last bin.
	want := []int32{0, 0, 1, 2, 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("bins %v, expected %v", got, want)
		}
	}
	if got := equalWidthBins([][]float32{{3}, {3}}, 0, 4); got[0] != 0 || got[1] != 0 {
		t.Fatalf("a constant coordinate gave bins %v, expected all 0", got)
	}
}

func TestMutualInformationGapBadInput(t *testing.T) {
	codes := [][]float32{{0, 1}, {1, 0}}
	names, sizes, values := []string{"shape"}, []int{3}, [][]int32{{0, 2}}
	cases := []struct {
		name   string
		run    func() error
		expect string
	}{
		{"no factors", func() error {
			_, err := MutualInformationGap(codes, nil, nil, nil, MIGBins)
			return err
		}, "no factors given"},
		{"one coordinate", func() error {
			_, err := MutualInformationGap([][]float32{{0}, {1}}, names, sizes, values, MIGBins)
			return err
		}, "expected at least 2"},
		{"value out of range", func() error {
			_, err := MutualInformationGap(codes, names, sizes, [][]int32{{0, 3}}, MIGBins)
			return err
		}, `factor "shape" of image 1 is 3, expected an index in [0, 3)`},
		{"short column", func() error {
			_, err := MutualInformationGap(codes, names, sizes, [][]int32{{0}}, MIGBins)
			return err
		}, "1 values for 2 codes"},
		{"NaN code", func() error {
			_, err := MutualInformationGap([][]float32{{0, 1}, {float32(math.NaN()), 0}}, names, sizes, values, MIGBins)
			return err
		}, "codes[1][0] is NaN"},
		{"one bin", func() error {
			_, err := MutualInformationGap(codes, names, sizes, values, 1)
			return err
		}, "bins=1"},
	}
	for _, c := range cases {
		err := c.run()
		if err == nil || !strings.Contains(err.Error(), c.expect) {
			t.Errorf("%s: got %v, expected an error containing %q", c.name, err, c.expect)
		}
	}
}
