package plot

import "testing"

// Outside GoNB every Display returns nil and shows nothing; under GoNB the notebook
// tests exercise them.
func TestDisplayOutsideGoNB(t *testing.T) {
	pic, err := Grid(imageSet(2, 2, []float32{0, 1, 0, 1}), GridOptions{})
	if err != nil {
		t.Fatal(err)
	}
	chart, err := TrainingCurves(history(2), CurvesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := captureStdout(t, func() {
		for name, display := range map[string]func() error{
			"Display":         func() error { return Display(pic) },
			"Picture.Display": pic.Display,
			"Chart.Display":   chart.Display,
		} {
			if err := display(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
	if out != "" {
		t.Errorf("Display outside GoNB wrote %q, expected nothing", out)
	}
}
