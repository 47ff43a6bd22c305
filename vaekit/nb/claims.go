package nb

import (
	"fmt"
	"math"
)

// A claim the prose of a notebook makes about its results ("the posterior's sigma falls
// below 0.01", "IWAE <= ELBO") is printed by the cell that measures it, with the measured
// value, one line each:
//
//	check: <claim>: <measured> ... ok
//	check: <claim>: <measured> ... FAILED
//
// In full mode a claim that does not hold fails the cell (a panic), and
// scripts/check_notebook.py fails the run on any FAILED line. In quick mode the budgets are
// too small for the results to hold, so a claim that does not is reported as such and
// checked the next time the notebook runs in full mode.

// Claim prints claim with what was measured (fmt.Sprintf(format, args...)), and whether it
// holds.
func Claim(claim string, holds bool, format string, args ...any) {
	measured := fmt.Sprintf(format, args...)
	switch {
	case holds:
		fmt.Fprintf(stdout, "check: %s: %s ... ok\n", claim, measured)
	case QuickMode():
		fmt.Fprintf(stdout, "check: %s: %s ... does not hold at quick mode's budget (checked in full mode)\n", claim, measured)
	default:
		fmt.Fprintf(stdout, "check: %s: %s ... FAILED\n", claim, measured)
		panic(fmt.Sprintf("claim does not hold: %s: %s", claim, measured))
	}
}

// ClaimWithin claims that got is within a relative tolerance of want (e.g. a document's
// number, tolerance 0.1 for 10%), and prints both and the relative difference.
func ClaimWithin(claim string, got, want, tolerance float64) {
	off := math.Abs(got-want) / math.Abs(want)
	Claim(claim, off <= tolerance && !math.IsNaN(got),
		"%.4g against %.4g, off by %.1f%% (tolerance %.0f%%)", got, want, 100*off, 100*tolerance)
}
