package nb

import (
	"strings"
	"testing"
)

// captureStdout runs fn and returns what it printed (nb's stdout), and the value it
// panicked with.
func captureStdout(t *testing.T, fn func()) (out string, panicked any) {
	t.Helper()
	out = output(t, func() {
		defer func() { panicked = recover() }()
		fn()
	})
	return out, panicked
}

// A claim prints its measured value; in full mode a false claim prints FAILED and fails
// the cell, in quick mode it says it is checked in full mode, without FAILED.
func TestClaims(t *testing.T) {
	for _, tc := range []struct {
		quick, holds bool
		want         string
		panics       bool
	}{
		{false, true, "check: sigma below 0.01: sigma = 0.0025 ... ok\n", false},
		{false, false, "check: sigma below 0.01: sigma = 0.0025 ... FAILED\n", true},
		{true, true, "check: sigma below 0.01: sigma = 0.0025 ... ok\n", false},
		{true, false, "check: sigma below 0.01: sigma = 0.0025 ... does not hold at quick mode's budget (checked in full mode)\n", false},
	} {
		if tc.quick {
			t.Setenv("VAEKIT_QUICK", "1")
		} else {
			t.Setenv("VAEKIT_QUICK", "")
		}
		out, panicked := captureStdout(t, func() { Claim("sigma below 0.01", tc.holds, "sigma = %.4f", 0.0025) })
		if out != tc.want {
			t.Errorf("quick=%v holds=%v: printed %q, want %q", tc.quick, tc.holds, out, tc.want)
		}
		if (panicked != nil) != tc.panics {
			t.Errorf("quick=%v holds=%v: panicked with %v, want a panic: %v", tc.quick, tc.holds, panicked, tc.panics)
		}
	}

	t.Setenv("VAEKIT_QUICK", "")
	out, panicked := captureStdout(t, func() { ClaimWithin("final reloss", 0.3276, 0.3264, 0.1) })
	if want := "check: final reloss: 0.3276 against 0.3264, off by 0.4% (tolerance 10%) ... ok\n"; out != want || panicked != nil {
		t.Errorf("ClaimWithin printed %q (panic %v), want %q", out, panicked, want)
	}
	out, panicked = captureStdout(t, func() { ClaimWithin("final klloss", 0.05, 0.0442, 0.1) })
	if !strings.Contains(out, "off by 13.1% (tolerance 10%) ... FAILED") || panicked == nil {
		t.Errorf("ClaimWithin 13%% off printed %q (panic %v), want FAILED and a panic", out, panicked)
	}
}

func TestTable(t *testing.T) {
	out, _ := captureStdout(t, func() {
		Table([]string{"step", "loss"}, [][]any{{0, "0.7146"}, {10000, "0.3706"}})
	})
	want := "   step|    loss|\n" +
		"   ----|    ----|\n" +
		"      0|  0.7146|\n" +
		"  10000|  0.3706|\n"
	if out != want {
		t.Errorf("Table printed\n%s\nwant\n%s", out, want)
	}
}
