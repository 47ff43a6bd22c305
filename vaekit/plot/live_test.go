package plot

import (
	"math"
	"testing"

	"github.com/vaekit/vaekit/vaekit"
)

func TestLiveCurvesOutsideGoNB(t *testing.T) {
	live := NewLiveCurves(CurvesOptions{})
	var onEval func(vaekit.Record) = live.Update // Fits vaekit.TrainOptions.OnEval.
	out := captureStdout(t, func() {
		for _, r := range history(4) {
			onEval(r)
		}
	})
	if out != "" {
		t.Errorf("Update outside GoNB wrote %q, expected nothing", out)
	}
	if got := live.History(); len(got) != 4 || got[3].Step != 400 {
		t.Errorf("History() = %v, expected the 4 records", got)
	}
	chart, err := live.Chart()
	if err != nil {
		t.Fatal(err)
	}
	w, h := chartPixels(chart)
	checkSaved(t, "live", chart, w, h)
	if live.Err() != nil {
		t.Errorf("Err() = %v", live.Err())
	}

	// A NaN record is kept; the final chart reports it.
	bad := history(1)[0]
	bad.Train.Loss = math.NaN()
	live.Update(bad)
	if _, err := live.Chart(); err == nil {
		t.Error("Chart() with a NaN loss: expected an error")
	}
}
