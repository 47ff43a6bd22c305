package nb

import (
	"math"
	"testing"
)

// LineSlope against the closed form of three points, (0, 0), (1, 2), (2, 1): x̄ = ȳ = 1,
// Σ(x - x̄)² = 2, Σ(x - x̄)(y - ȳ) = 1, so the slope is 1/2 and the line 1/2 + x/2; the
// residuals -1/2, 1, -1/2 square to 3/2, s² = (3/2)/(3 - 2), and the standard error is
// sqrt(s²/2) = sqrt(3/4).
func TestLineSlopeClosedForm(t *testing.T) {
	slope, se := LineSlope([]float64{0, 1, 2}, []float64{0, 2, 1})
	if math.Abs(slope-0.5) > 1e-12 || math.Abs(se-math.Sqrt(0.75)) > 1e-12 {
		t.Errorf("LineSlope = %v ± %v, want 0.5 ± %v", slope, se, math.Sqrt(0.75))
	}

	// Points exactly on a line: its slope, with no error.
	x := []float64{16, 17, 18, 19, 20}
	y := make([]float64, len(x))
	for i := range x {
		y[i] = 100 - 0.25*x[i]
	}
	if slope, se := LineSlope(x, y); math.Abs(slope+0.25) > 1e-12 || se > 1e-12 {
		t.Errorf("points on y = 100 - x/4: LineSlope = %v ± %v, want -0.25 ± 0", slope, se)
	}

	// Too few points, or no spread in x: undefined.
	for _, tc := range [][2][]float64{{{1, 2}, {3, 4}}, {{5, 5, 5}, {1, 2, 3}}} {
		if slope, se := LineSlope(tc[0], tc[1]); !math.IsNaN(slope) || !math.IsNaN(se) {
			t.Errorf("LineSlope(%v, %v) = %v ± %v, want NaN ± NaN", tc[0], tc[1], slope, se)
		}
	}
}

// The claim notebook 05 makes with it, "still falling by more than two standard errors"
// (slope < -2 se), holds for a curve shaped like its held-out NLL over epochs 16 to 30
// and fails for a flat curve with the same scatter, and for a curve that rises.
func TestLineSlopeTellsFallingFromFlat(t *testing.T) {
	var epochs, falling, flat, rising []float64
	for e := 16; e <= 30; e++ {
		noise := 0.15 * math.Sin(float64(7*e)) // Deterministic scatter of about 0.1 nats.
		epochs = append(epochs, float64(e))
		falling = append(falling, 92+80/float64(e)+noise) // Bends like a learning curve: 2.3 nats over the half.
		flat = append(flat, 94+noise)
		rising = append(rising, 94+0.01*float64(e)+noise)
	}
	for _, tc := range []struct {
		name  string
		y     []float64
		holds bool
	}{{"falling", falling, true}, {"flat", flat, false}, {"rising", rising, false}} {
		slope, se := LineSlope(epochs, tc.y)
		if got := slope < -2*se; got != tc.holds {
			t.Errorf("%s curve: slope %.4f ± %.4f: still falling = %v, want %v", tc.name, slope, se, got, tc.holds)
		}
		t.Logf("%s curve: slope %+.4f nats per epoch, standard error %.4f (%.1f standard errors)", tc.name, slope, se, slope/se)
	}
}
