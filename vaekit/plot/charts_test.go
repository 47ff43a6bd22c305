package plot

import (
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit"
)

// svgText returns the chart's SVG, failing the test on error.
func svgText(t *testing.T, c *Chart) string {
	t.Helper()
	svg, err := c.SVG()
	if err != nil {
		t.Fatal(err)
	}
	return string(svg)
}

// wantError checks that err names what is wrong.
func wantError(t *testing.T, what string, err error, contains string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), contains) {
		t.Errorf("%s: error %v, expected one containing %q", what, err, contains)
	}
}

func TestLatentScatter(t *testing.T) {
	codes := [][]float32{{0, 0, 5}, {1, 1, 5}, {2, 0.5, 5}, {-1, 2, 5}}
	labels := []uint8{0, 1, 2, 1}
	chart, err := LatentScatter(codes, labels, ScatterOptions{ClassNames: []string{"zero", "one", "two"}, Dims: [2]int{0, 2}})
	if err != nil {
		t.Fatal(err)
	}
	w, h := chartPixels(chart)
	checkSaved(t, "scatter", chart, w, h)
	svg := svgText(t, chart)
	for _, text := range []string{">zero<", ">one<", ">two<", ">z1<", ">z3<"} {
		if !strings.Contains(svg, text) {
			t.Errorf("SVG has no text %s (legend entry or axis name)", text)
		}
	}
	// []int labels, numbers as legend text, and no labels at all.
	chart, err = LatentScatter(codes, []int{3, 3, 4, 4}, ScatterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svg := svgText(t, chart); !strings.Contains(svg, ">3<") || !strings.Contains(svg, ">4<") {
		t.Errorf("legend of []int labels lacks 3 and 4")
	}
	if chart, err = LatentScatter[int](codes, nil, ScatterOptions{}); err != nil || chart.legend != nil {
		t.Errorf("unlabelled scatter: err %v, legend %v (expected none)", err, chart.legend)
	}

	wantError(t, "no codes", func() error { _, err := LatentScatter[int](nil, nil, ScatterOptions{}); return err }(), "codes is empty")
	wantError(t, "label count", func() error { _, err := LatentScatter(codes, []int{1}, ScatterOptions{}); return err }(), "1 labels for 4 codes")
	wantError(t, "1-D codes", func() error { _, err := LatentScatter([][]float32{{1}}, []int{0}, ScatterOptions{}); return err }(), "at least 2 dimensions")
	wantError(t, "ragged codes", func() error {
		_, err := LatentScatter([][]float32{{1, 2}, {1}}, []int{0, 0}, ScatterOptions{})
		return err
	}(), "codes[1] has 1 values, expected 2")
	wantError(t, "NaN code", func() error {
		_, err := LatentScatter([][]float32{{1, 2}, {float32(math.NaN()), 0}}, []int{0, 0}, ScatterOptions{})
		return err
	}(), "codes[1][0] is NaN")
	wantError(t, "negative label", func() error { _, err := LatentScatter(codes, []int{0, -1, 0, 0}, ScatterOptions{}); return err }(), "labels[1] is -1")
	wantError(t, "label without name", func() error {
		_, err := LatentScatter(codes, []int{0, 1, 2, 3}, ScatterOptions{ClassNames: []string{"a", "b", "c"}})
		return err
	}(), "labels[3] is 3, expected < 3")
	wantError(t, "bad dims", func() error { _, err := LatentScatter(codes, labels, ScatterOptions{Dims: [2]int{1, 3}}); return err }(), "out of range")
}

// history returns n evaluation records with falling losses. Every term differs from the
// others and between the splits, and the loss (KL weight 0.5) is not the negative ELBO,
// so a chart that draws the wrong one shows it.
func history(n int) []vaekit.Record {
	var h []vaekit.Record
	for i := range n {
		tr := vaekit.Terms{Reconstruction: 200 / float64(i+1), KL: 10 + float64(i)}
		ho := vaekit.Terms{Reconstruction: tr.Reconstruction + 2, KL: tr.KL + 1}
		for _, terms := range []*vaekit.Terms{&tr, &ho} {
			terms.Loss, terms.NegELBO = terms.Reconstruction+0.5*terms.KL, terms.Reconstruction+terms.KL
		}
		h = append(h, vaekit.Record{Step: 100 * (i + 1), Train: tr, HeldOut: ho})
	}
	return h
}

// curvePoints returns the steps of history and one term of one split at each.
func curvePoints(history []vaekit.Record, term func(vaekit.Record) float64) (steps, values []float64) {
	for _, r := range history {
		steps = append(steps, float64(r.Step))
		values = append(values, term(r))
	}
	return steps, values
}

func TestTrainingCurves(t *testing.T) {
	for _, n := range []int{1, 3, 100} { // One point, marked points, plain lines.
		chart, err := TrainingCurves(history(n), CurvesOptions{})
		if err != nil {
			t.Fatalf("%d records: %v", n, err)
		}
		if len(chart.Plots()) != 3 {
			t.Fatalf("%d panels, expected 3", len(chart.Plots()))
		}
		w, h := chartPixels(chart)
		checkSaved(t, "curves", chart, w, h)
		svg := svgText(t, chart)
		for _, text := range []string{">loss<", ">reconstruction<", ">KL<", ">train<", ">held-out<", ">step<"} {
			if !strings.Contains(svg, text) {
				t.Errorf("%d records: SVG has no text %s", n, text)
			}
		}
		// The loss is in the Config's own units (a per-pixel mean for bernoulli_mean);
		// only the two terms are nats per image.
		for k, want := range []string{"trained objective", "nats per image", "nats per image"} {
			if got := chart.Plots()[k].Y.Label.Text; got != want {
				t.Errorf("%d records, panel %d: y label %q, expected %q", n, k, got, want)
			}
		}
		// Each panel draws its term of each split through the records, train in the first
		// colour, held-out in the second; with few records, a dot marks each.
		records := history(n)
		for k, term := range []func(vaekit.Terms) float64{
			func(t vaekit.Terms) float64 { return t.Loss },
			func(t vaekit.Terms) float64 { return t.Reconstruction },
			func(t vaekit.Terms) float64 { return t.KL },
		} {
			drawn := recordPanel(t, chart.Plots()[k])
			for _, split := range []struct {
				name  string
				get   func(vaekit.Record) vaekit.Terms
				color color.Color
			}{
				{"train", func(r vaekit.Record) vaekit.Terms { return r.Train }, trainStyle.Color},
				{"held-out", func(r vaekit.Record) vaekit.Terms { return r.HeldOut }, heldOutStyle.Color},
			} {
				steps, values := curvePoints(records, func(r vaekit.Record) float64 { return term(split.get(r)) })
				if n > 1 && !drawn.lineThrough(split.color, steps, values) {
					t.Errorf("%d records, panel %d: no %s line through %v at steps %v", n, k, split.name, values, steps)
				}
				wantDots := n
				if n > maxMarkedPoints {
					wantDots = 0
				}
				if dots := drawn.dots(split.color, steps, values); dots != wantDots {
					t.Errorf("%d records, panel %d: %d %s points marked, expected %d", n, k, dots, split.name, wantDots)
				}
			}
		}
	}
	bad := history(3)
	bad[2].HeldOut.KL = math.Inf(1)
	_, err := TrainingCurves(bad, CurvesOptions{})
	wantError(t, "infinite KL", err, "history[2].HeldOut.KL is +Inf")
	_, err = TrainingCurves(nil, CurvesOptions{})
	wantError(t, "no history", err, "history is empty")
}

func TestKLBars(t *testing.T) {
	kl := []float64{2, 0.001, 0.5, 0, 0.01, 0.05}
	activity := []float64{1.5, 0.0005, 0.3, 0, 0.02, 0.04} // z2 and z4 inactive (<= 0.01).
	for _, sorted := range []bool{false, true} {
		chart, err := KLBars(kl, KLBarsOptions{Sorted: sorted, Activity: activity})
		if err != nil {
			t.Fatal(err)
		}
		w, h := chartPixels(chart)
		checkSaved(t, "kl", chart, w, h)
		svg := svgText(t, chart)
		for _, text := range []string{">z1<", ">z4<", "active (4)", "inactive (2)"} {
			if !strings.Contains(svg, text) {
				t.Errorf("sorted=%v: SVG has no text %s", sorted, text)
			}
		}
		// Bar i shows dimension order[i]: its KL as its height, its name under it, grey when
		// its unit is inactive.
		order := []int{0, 1, 2, 3, 4, 5}
		wantXLabel := "latent dimension (active: Var(E[z|x]) > 0.01)"
		if sorted {
			order = []int{0, 2, 5, 4, 1, 3} // Largest KL first.
			wantXLabel = "latent dimension, sorted by KL (active: Var(E[z|x]) > 0.01)"
		}
		p := chart.Plots()[0]
		if p.X.Label.Text != wantXLabel {
			t.Errorf("sorted=%v: x axis %q, want %q", sorted, p.X.Label.Text, wantXLabel)
		}
		names := map[float64]string{}
		for _, tick := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
			names[tick.Value] = tick.Label
		}
		heights, colors := make([]float64, len(kl)), make([]color.Color, len(kl))
		for _, b := range recordPanel(t, p).bars(palette[0], inactiveColor) {
			i := int(math.Round(b.position))
			if math.Abs(b.position-float64(i)) > 1e-6 || i < 0 || i >= len(kl) {
				t.Fatalf("sorted=%v: a bar at x = %g, expected one at each of 0..%d", sorted, b.position, len(kl)-1)
			}
			if b.height > 1e-9 {
				heights[i] += b.height
				colors[i] = b.color
			}
		}
		for i, d := range order {
			if want := fmt.Sprintf("z%d", d+1); names[float64(i)] != want {
				t.Errorf("sorted=%v: bar %d is named %q, want %q", sorted, i, names[float64(i)], want)
			}
			if math.Abs(heights[i]-kl[d]) > 1e-6*max(1, kl[d]) {
				t.Errorf("sorted=%v: bar %d (z%d) has height %g, want its KL %g", sorted, i, d+1, heights[i], kl[d])
			}
			wantColor := color.Color(palette[0])
			if activity[d] <= 0.01 {
				wantColor = inactiveColor
			}
			if kl[d] > 0 && !sameColor(colors[i], wantColor) {
				t.Errorf("sorted=%v: bar %d (z%d, KL %g) has colour %v, want %v", sorted, i, d+1, kl[d], colors[i], wantColor)
			}
		}
	}
	// 60 dimensions: the names are thinned out, the chart still renders.
	if _, err := KLBars(make([]float64, 60), KLBarsOptions{}); err != nil {
		t.Error(err)
	}
	_, err := KLBars(nil, KLBarsOptions{})
	wantError(t, "no values", err, "kl is empty")
	_, err = KLBars([]float64{1, math.NaN()}, KLBarsOptions{})
	wantError(t, "NaN", err, "kl[1] is NaN")
}

// With opts.Activity the bars are coloured by vaekit's active-unit rule (Burda et al.
// 2016: Var_x(E_q[z_u|x]) > vaekit.ActivityThreshold), the rule Metrics.ActiveUnits counts
// by, not by their KL: a unit that pays KL but whose mean hardly varies is grey, and a
// unit whose mean varies is coloured even with a KL under 0.01 nats.
func TestKLBarsByActivity(t *testing.T) {
	kl := []float64{2, 0.5, 0.02, 0.008, 0}
	activity := []float64{1.3, 0.4, 0.001, 0.015, 0} // z3: KL >= 0.01 but inactive; z4: KL < 0.01 but active.
	wantActive := []bool{true, true, false, true, false}
	wantCount := 0
	for _, a := range activity {
		if a > vaekit.ActivityThreshold {
			wantCount++
		}
	}
	opts := KLBarsOptions{Sorted: true, Activity: activity}
	active, err := KLBarsActive(kl, opts)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(active) != fmt.Sprint(wantActive) {
		t.Errorf("KLBarsActive = %v, want %v (by activity, not KL)", active, wantActive)
	}
	chart, err := KLBars(kl, opts)
	if err != nil {
		t.Fatal(err)
	}
	order := []int{0, 1, 2, 3, 4} // Sorted by KL, which is already decreasing.
	colours, coloured := make([]color.Color, len(kl)), 0
	for _, b := range recordPanel(t, chart.Plots()[0]).bars(palette[0], inactiveColor) {
		if i := int(math.Round(b.position)); b.height > 1e-9 {
			colours[i] = b.color
			if sameColor(b.color, palette[0]) {
				coloured++
			}
		}
	}
	for i, d := range order {
		want := color.Color(inactiveColor)
		if wantActive[d] {
			want = palette[0]
		}
		if kl[d] > 0 && !sameColor(colours[i], want) {
			t.Errorf("bar %d (z%d: KL %g, activity %g) has colour %v, want %v", i, d+1, kl[d], activity[d], colours[i], want)
		}
	}
	// z5 has no height to draw; every other active unit is a coloured bar.
	if coloured != wantCount {
		t.Errorf("%d coloured bars, want the %d active units", coloured, wantCount)
	}
	svg := svgText(t, chart)
	for _, text := range []string{"active (3)", "inactive (2)", "latent dimension, sorted by KL (active: Var(E[z|x]) &gt; 0.01)"} {
		if !strings.Contains(svg, text) {
			t.Errorf("SVG has no text %q (legend or axis name)", text)
		}
	}

	_, err = KLBars(kl, KLBarsOptions{Activity: activity[:2]})
	wantError(t, "activity of 2 units", err, "2 values in opts.Activity for 5 latent dimensions")
	_, err = KLBarsActive(kl, KLBarsOptions{Activity: []float64{1, math.Inf(1), 0, 0, 0}})
	wantError(t, "infinite activity", err, "opts.Activity[1] is +Inf")
	// Without a rule, every bar is active.
	if all, err := KLBarsActive(kl, KLBarsOptions{}); err != nil || slices.Contains(all, false) {
		t.Errorf("no rule: %v, %v; want every bar active", all, err)
	}
}

func TestStdHistogram(t *testing.T) {
	stds := []float64{0.1, 0.12, 0.15, 0.9, 1, 1, 0.98}
	chart, err := StdHistogram(stds, StdHistogramOptions{Bins: 5})
	if err != nil {
		t.Fatal(err)
	}
	w, h := chartPixels(chart)
	checkSaved(t, "stds", chart, w, h)
	if svg := svgText(t, chart); !strings.Contains(svg, "prior σ = 1") {
		t.Error("SVG lacks the prior's legend entry")
	}
	// All values equal: one bin, no division by zero.
	if _, err := StdHistogram([]float64{1, 1, 1}, StdHistogramOptions{}); err != nil {
		t.Error(err)
	}
	_, err = StdHistogram(nil, StdHistogramOptions{})
	wantError(t, "no values", err, "stds is empty")
	_, err = StdHistogram([]float64{0.5, -2}, StdHistogramOptions{})
	wantError(t, "log-variance passed", err, "stds[1] is -2, expected a standard deviation >= 0")
	_, err = StdHistogram([]float64{math.Inf(1)}, StdHistogramOptions{})
	wantError(t, "infinite", err, "stds[0] is +Inf")
}

func TestHistogramBins(t *testing.T) {
	// Every value is counted once; the minimum opens the first bin, the maximum closes
	// the last one.
	values := []float64{0, 0.05, 0.35, 0.999, 1}
	bins := histogramBins(values, 0, 1, 10)
	total := 0.0
	for _, b := range bins {
		total += b.Weight
	}
	if len(bins) != 10 || total != 5 || bins[0].Weight != 2 || bins[3].Weight != 1 || bins[9].Weight != 2 {
		t.Errorf("bins %v, expected 2 in the first, 1 in the fourth, 2 in the last", bins)
	}
	if bins[0].Min != 0 || bins[9].Max != 1 {
		t.Errorf("bins span [%v, %v], expected [0, 1]", bins[0].Min, bins[9].Max)
	}
}

func TestBetaSweep(t *testing.T) {
	points := []SweepPoint{{Beta: 4, Reconstruction: 120, KL: 8}, {Beta: 0.5, Reconstruction: 80, KL: 30}, {Beta: 1, Reconstruction: 90, KL: 22}}
	chart, err := BetaSweep(points, SweepOptions{Title: "sweep"})
	if err != nil {
		t.Fatal(err)
	}
	w, h := chartPixels(chart)
	checkSaved(t, "sweep", chart, w, h)
	svg := svgText(t, chart)
	for _, text := range []string{"β=0.5", "β=1<", "β=4<"} {
		if !strings.Contains(svg, text) {
			t.Errorf("SVG has no point label %s", text)
		}
	}
	if points[0].Beta != 4 {
		t.Error("BetaSweep reordered its argument")
	}
	// One line through (KL, reconstruction) in order of beta, each point labelled with its
	// beta just above and right of it.
	drawn := recordPanel(t, chart.Plots()[0])
	if !drawn.lineThrough(palette[0], []float64{30, 22, 8}, []float64{80, 90, 120}) {
		t.Error("no line through (KL, reconstruction) = (30, 80), (22, 90), (8, 120), in order of beta")
	}
	if dots := drawn.dots(palette[0], []float64{30, 22, 8}, []float64{80, 90, 120}); dots != 3 {
		t.Errorf("%d of the 3 points are marked", dots)
	}
	for _, l := range []struct {
		text string
		x, y float64
	}{{"β=0.5", 30, 80}, {"β=1", 22, 90}, {"β=4", 8, 120}} {
		at := drawn.texts[l.text]
		if len(at) != 1 {
			t.Errorf("label %s drawn %d times, expected once", l.text, len(at))
			continue
		}
		if dx, dy := at[0].X-drawn.x(l.x), at[0].Y-drawn.y(l.y); dx < 0 || dx > 10 || dy < 0 || dy > 10 {
			t.Errorf("label %s is %v, %v points from its point (%g, %g): expected just above and right of it", l.text, dx, dy, l.x, l.y)
		}
	}
	_, err = BetaSweep(nil, SweepOptions{})
	wantError(t, "no points", err, "points is empty")
	_, err = BetaSweep([]SweepPoint{{Beta: 1, Reconstruction: math.NaN()}}, SweepOptions{})
	wantError(t, "NaN", err, "points[0].Reconstruction is NaN")
	_, err = BetaSweep([]SweepPoint{{Beta: -1}}, SweepOptions{})
	wantError(t, "negative beta", err, "points[0].Beta is -1, expected >= 0")
}

func TestChartHTML(t *testing.T) {
	chart, err := BetaSweep([]SweepPoint{{Beta: 1, Reconstruction: 90, KL: 20}}, SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	html, err := chart.HTML()
	if err != nil || !strings.HasPrefix(html, "<div><svg") || strings.Contains(html, "<?xml") {
		t.Errorf("small chart HTML should be inline SVG without XML prologue: %.60q, %v", html, err)
	}
	// Thousands of points make a large SVG: shown as a PNG instead, still offline.
	var codes [][]float32
	for i := range 10000 {
		codes = append(codes, []float32{float32(i % 100), float32(i / 100)})
	}
	big, err := LatentScatter[int](codes, nil, ScatterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	html, err = big.HTML()
	if err != nil || !strings.HasPrefix(html, `<img src="data:image/png;base64,`) || !strings.Contains(html, `width="576"`) {
		t.Errorf("large chart HTML should be a 576-pixel-wide PNG data URI: %.60q, %v", html, err)
	}
}

// TestChartHTMLIsTheSmaller checks that a chart is shown in the format that takes fewer
// bytes in a saved notebook, measured as nbformat stores it: a JSON list of lines.
func TestChartHTMLIsTheSmaller(t *testing.T) {
	saved := func(html string) int {
		data, err := json.MarshalIndent(strings.SplitAfter(html, "\n"), "      ", " ")
		if err != nil {
			t.Fatal(err)
		}
		return len(data)
	}
	scatter := func(n int) *Chart {
		rng := rand.New(rand.NewPCG(1, 2))
		codes, labels := make([][]float32, n), make([]int, n)
		for i := range codes {
			codes[i] = []float32{float32(rng.NormFloat64()), float32(rng.NormFloat64())}
			labels[i] = i % 10
		}
		chart, err := LatentScatter(codes, labels, ScatterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return chart
	}
	curves, err := Lines([]Series{{Name: "loss", X: []float64{1, 2, 3, 4}, Y: []float64{9, 5, 4, 3.5}}}, LinesOptions{Title: "curves"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		chart   *Chart
		wantSVG bool
	}{{"line chart", curves, true}, {"scatter of 50 points", scatter(50), true}, {"scatter of 2,000 points", scatter(2000), false}} {
		svg, err := c.chart.SVG()
		if err != nil {
			t.Fatal(err)
		}
		png, err := c.chart.PNG()
		if err != nil {
			t.Fatal(err)
		}
		svgSize, pngSize := saved("<div>"+inlineSVG(svg)+"</div>"), saved(imgTag(png, 576))
		html, err := c.chart.HTML()
		if err != nil {
			t.Fatal(err)
		}
		gotSVG := strings.HasPrefix(html, "<div><svg")
		if gotSVG != (svgSize <= pngSize) || gotSVG != c.wantSVG {
			t.Errorf("%s: shown as SVG %v; saved sizes SVG %d, PNG %d bytes (expected SVG %v)", c.name, gotSVG, svgSize, pngSize, c.wantSVG)
		}
	}
}

func TestLinesChart(t *testing.T) {
	chart, err := Lines([]Series{{Name: "mean", X: []float64{1, 2, 3}, Y: []float64{1, 0.5, 0.2}}, {Name: "min", X: []float64{1, 2, 3}, Y: []float64{0.9, 0.3, 0.1}}}, LinesOptions{Title: "posterior std", XLabel: "step", YLabel: "sigma"})
	if err != nil {
		t.Fatal(err)
	}
	w, h := chartPixels(chart)
	checkSaved(t, "lines", chart, w, h)
	svg := svgText(t, chart)
	for _, text := range []string{">posterior std<", ">step<", ">sigma<", ">mean<", ">min<"} {
		if !strings.Contains(svg, text) {
			t.Errorf("SVG has no text %s", text)
		}
	}
	if chart, err := Lines([]Series{{X: []float64{1}, Y: []float64{2}}}, LinesOptions{}); err != nil || chart.legend != nil {
		t.Errorf("one unnamed point: err %v, legend %v (expected none)", err, chart.legend)
	}
	_, err = Lines(nil, LinesOptions{})
	wantError(t, "no series", err, "no series")
	_, err = Lines([]Series{{X: []float64{1, 2}, Y: []float64{1}}}, LinesOptions{})
	wantError(t, "ragged series", err, "series[0] has 2 x and 1 y values")
	_, err = Lines([]Series{{X: []float64{1}, Y: []float64{1}}, {X: []float64{1}, Y: []float64{math.NaN()}}}, LinesOptions{})
	wantError(t, "NaN", err, "series[1].Y[0] is NaN")
}
