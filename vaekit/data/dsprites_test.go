package data

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
)

// The tests check the drawing against the design, restated here from its definition
// (dsprites.go's doc comment), not read from the code: the centre 8 + 47*i/31, the outer
// radius 7.5*(0.5 + 0.5*i/5), the angle 2*pi*i/40 counter-clockwise with y up, and the
// shapes' regions. The heart's area, centroid and farthest point come from integrating
// its curve on a fine grid here.

// drawFunc draws one image; the checks take one so that a broken drawer can be shown to
// fail them.
type drawFunc func(DSpritesFactors) []float32

func drawOrFail(t testing.TB) drawFunc {
	return func(f DSpritesFactors) []float32 {
		image, err := DrawDSprite(f)
		if err != nil {
			t.Fatal(err)
		}
		return image
	}
}

func refRadius(scale int) float64 { return 7.5 * (0.5 + 0.5*float64(scale)/5) }
func refCentre(pos int) float64   { return 8 + 47*float64(pos)/31 }

func heartIn(x, y float64) bool {
	a := x*x + y*y - 1
	return a*a*a-x*x*y*y*y <= 0
}

// heartCurve is the heart region's area, the y of its centroid and the distance of its
// farthest grid point from the centroid, in the curve's own units, by a grid of step
// 0.001. The farthest point is the tip (0, -1), a cusp too thin for the grid to reach:
// reach is its distance, the heart's outer radius.
type heartCurve struct{ area, centroidY, farthest float64 }

func (h heartCurve) reach() float64 { return 1 + h.centroidY }

var heartRef = sync.OnceValue(func() heartCurve {
	const h = 0.001
	var n, sumY float64
	for y := -1.05 + h/2; y < 1.3; y += h {
		for x := -1.2 + h/2; x < 1.2; x += h {
			if heartIn(x, y) {
				n, sumY = n+1, sumY+y
			}
		}
	}
	c := heartCurve{area: n * h * h, centroidY: sumY / n}
	for y := -1.05 + h/2; y < 1.3; y += h {
		for x := -1.2 + h/2; x < 1.2; x += h {
			if heartIn(x, y) {
				c.farthest = max(c.farthest, math.Hypot(x, y-c.centroidY))
			}
		}
	}
	return c
})

// refArea is the closed-form area in pixels of the shape of f.
func refArea(f DSpritesFactors) float64 {
	r := refRadius(f.Scale)
	switch f.Shape {
	case DSpritesSquare:
		side := r * math.Sqrt2
		return side * side
	case DSpritesEllipse:
		return math.Pi * r * (r / 2)
	}
	h := heartRef()
	return h.area * (r / h.reach()) * (r / h.reach())
}

// refInside says whether the point (px, py) of the image (pixel coordinates: pixel (x, y)
// is centred at (x, y), y down) is inside the turned shape of f.
func refInside(f DSpritesFactors, px, py float64) bool {
	r := refRadius(f.Scale)
	dx, dy := px-refCentre(f.PosX), refCentre(f.PosY)-py // y up
	// The upright shape's point that a counter-clockwise turn by theta brings to (dx, dy).
	s, c := math.Sincos(-2 * math.Pi * float64(f.Orientation) / 40)
	u, v := dx*c-dy*s, dx*s+dy*c
	switch f.Shape {
	case DSpritesSquare:
		half := r * math.Sqrt2 / 2
		return math.Abs(u) <= half && math.Abs(v) <= half
	case DSpritesEllipse:
		return (u/r)*(u/r)+(v/(r/2))*(v/(r/2)) <= 1
	}
	h := heartRef()
	k := h.reach() / r
	return heartIn(u*k, v*k+h.centroidY)
}

// crossedPixels counts the pixels the shape's boundary passes through (some of 9 points
// of the pixel's square inside the shape, some outside). Only those can be drawn other
// than their share of the area, each by less than 1, so the lit count is within that
// many pixels of the area.
func crossedPixels(f DSpritesFactors) int {
	crossed := 0
	for y := range 64 {
		for x := range 64 {
			in := 0
			for _, ox := range []float64{-0.5, 0, 0.5} {
				for _, oy := range []float64{-0.5, 0, 0.5} {
					if refInside(f, float64(x)+ox, float64(y)+oy) {
						in++
					}
				}
			}
			if in > 0 && in < 9 {
				crossed++
			}
		}
	}
	return crossed
}

func litCount(image []float32) int {
	n := 0
	for _, p := range image {
		if p != 0 {
			n++
		}
	}
	return n
}

// checkAreas compares the lit pixels of every shape, scale and orientation at two
// positions with the shape's closed-form area: the difference must be within the
// number of pixels the boundary crosses. It reports the worst error per shape and scale.
func checkAreas(draw drawFunc) (report string, err error) {
	var lines []string
	for shape := range 3 {
		for scale := range 6 {
			worst, bound := 0.0, 0
			for orientation := range 40 {
				for _, pos := range [][2]int{{15, 16}, {3, 28}} {
					f := DSpritesFactors{shape, scale, orientation, pos[0], pos[1]}
					got, want, tol := litCount(draw(f)), refArea(f), crossedPixels(f)
					if math.Abs(float64(got)-want) > float64(tol) {
						return "", fmt.Errorf("%+v: %d lit pixels, expected the area %.2f within %d (the pixels its boundary crosses)", f, got, want, tol)
					}
					if d := float64(got) - want; math.Abs(d) > math.Abs(worst) {
						worst, bound = d, tol
					}
				}
			}
			lines = append(lines, fmt.Sprintf("%s scale %d: area %.2f, worst lit-area %+.2f (allowed %d)",
				dspritesShapeNames[shape], scale, refArea(DSpritesFactors{Shape: shape, Scale: scale}), worst, bound))
		}
	}
	return strings.Join(lines, "\n"), nil
}

// checkCentres compares the centroid of each image's lit pixels with its position's
// centre, 8 + 47*i/31, along x and along y, within tol pixels each. Sampling at pixel
// centres moves the centroid of a shape symmetric about its centre by up to half a pixel
// along an axis (an upright square lights the columns its side spans, whose middle is
// its centre rounded to a half pixel); it returns the worst error per shape.
func checkCentres(draw drawFunc, factors []DSpritesFactors, tol float64) (worst [3]float64, err error) {
	for _, f := range factors {
		image := draw(f)
		var n, sx, sy float64
		for i, p := range image {
			if p != 0 {
				n, sx, sy = n+1, sx+float64(i%64), sy+float64(i/64)
			}
		}
		if n == 0 {
			return worst, fmt.Errorf("%+v: no lit pixel", f)
		}
		d := max(math.Abs(sx/n-refCentre(f.PosX)), math.Abs(sy/n-refCentre(f.PosY)))
		if d > tol {
			return worst, fmt.Errorf("%+v: lit pixels' centroid (%.2f, %.2f), expected the centre (%.2f, %.2f) within %.2f px along each axis",
				f, sx/n, sy/n, refCentre(f.PosX), refCentre(f.PosY), tol)
		}
		worst[f.Shape] = max(worst[f.Shape], d)
	}
	return worst, nil
}

// centreCases: every position of each shape at one scale and orientation, and every
// 61st combination of all 737,280.
func centreCases() []DSpritesFactors {
	var cases []DSpritesFactors
	for shape := range 3 {
		for x := range 32 {
			for y := range 32 {
				cases = append(cases, DSpritesFactors{Shape: shape, Scale: 2, Orientation: 7, PosX: x, PosY: y})
			}
		}
	}
	for i := 0; i < DSpritesCount; i += 61 {
		f, _ := DSpritesFactorsOf(i)
		cases = append(cases, f)
	}
	return cases
}

func TestDSpritesHeartCurve(t *testing.T) {
	h := heartRef()
	t.Logf("heart curve: area %.5f, centroid y %.5f, farthest point %.5f from it", h.area, h.centroidY, h.farthest)
	if math.Abs(h.centroidY-heartCentroidY) > 2e-3 {
		t.Errorf("the heart's centroid is at y=%.5f by the test's integration, the code uses %.5f", h.centroidY, heartCentroidY)
	}
	// The drawing takes the tip (0, -1) as the farthest point from the centroid.
	if !heartIn(0, -1) || h.farthest > h.reach()+1e-3 {
		t.Errorf("a point of the heart is %.5f from its centroid, farther than the tip (0, -1) at %.5f", h.farthest, h.reach())
	}
}

func TestDSpritesAreas(t *testing.T) {
	report, err := checkAreas(drawOrFail(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Log("lit pixels against the closed-form areas, over 40 orientations and 2 positions:\n" + report)
}

func TestDSpritesAreaCheckCatchesIgnoredScale(t *testing.T) {
	draw := drawOrFail(t)
	broken := func(f DSpritesFactors) []float32 { f.Scale = 5; return draw(f) }
	if _, err := checkAreas(broken); err == nil {
		t.Fatal("checkAreas passed a drawer that ignores the scale")
	} else {
		t.Logf("the broken drawer fails as it should: %v", err)
	}
}

func TestDSpritesCentres(t *testing.T) {
	cases := centreCases()
	worst, err := checkCentres(drawOrFail(t), cases, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d images: worst centroid error along an axis: square %.3f px, ellipse %.3f px, heart %.3f px", len(cases), worst[0], worst[1], worst[2])
	for _, f := range cases[:50] {
		if x, y := f.Centre(); math.Abs(x-refCentre(f.PosX)) > 1e-12 || math.Abs(y-refCentre(f.PosY)) > 1e-12 {
			t.Fatalf("%+v: Centre() = (%v, %v), expected (%v, %v)", f, x, y, refCentre(f.PosX), refCentre(f.PosY))
		}
	}
}

func TestDSpritesCentreCheckCatchesSwappedPositions(t *testing.T) {
	draw := drawOrFail(t)
	broken := func(f DSpritesFactors) []float32 { f.PosX, f.PosY = f.PosY, f.PosX; return draw(f) }
	if _, err := checkCentres(broken, centreCases(), 0.5); err == nil {
		t.Fatal("checkCentres passed a drawer with posX and posY swapped")
	} else {
		t.Logf("the broken drawer fails as it should: %v", err)
	}
}

func pixelsApart(a, b []float32) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// A quarter turn (10 orientations) maps the square onto itself and a half turn (20) the
// ellipse: their images must be the same, up to a pixel whose centre lies on the boundary
// within rounding (at scale 3, R = 6, a corner of the square turned by 45 degrees falls
// exactly on the centre of a pixel when the centre is on a whole pixel). A quarter turn
// of the ellipse must change it.
func TestDSpritesRotationSymmetry(t *testing.T) {
	draw := drawOrFail(t)
	positions := [][2]int{{0, 0}, {15, 16}, {31, 7}, {4, 29}, {31, 31}}
	worstSquare, worstEllipse, leastQuarter := 0, 0, 1.0
	for _, scale := range []int{0, 3, 5} {
		for _, pos := range positions {
			at := func(shape, orientation int) []float32 {
				return draw(DSpritesFactors{shape, scale, orientation % 40, pos[0], pos[1]})
			}
			for i := range 40 {
				worstSquare = max(worstSquare, pixelsApart(at(DSpritesSquare, i), at(DSpritesSquare, i+10)))
				worstEllipse = max(worstEllipse, pixelsApart(at(DSpritesEllipse, i), at(DSpritesEllipse, i+20)))
				e := at(DSpritesEllipse, i)
				leastQuarter = min(leastQuarter, float64(pixelsApart(e, at(DSpritesEllipse, i+10)))/float64(litCount(e)))
			}
		}
	}
	t.Logf("pixels apart: square after a quarter turn at most %d, ellipse after a half turn at most %d; the ellipse after a quarter turn at least %.0f%% of its pixels",
		worstSquare, worstEllipse, 100*leastQuarter)
	if worstSquare > 2 || worstEllipse > 2 {
		t.Errorf("a symmetric turn changed %d (square) and %d (ellipse) pixels: expected at most 2 (boundary rounding)", worstSquare, worstEllipse)
	}
	if leastQuarter < 0.25 {
		t.Errorf("a quarter turn of the ellipse changed only %.0f%% of its pixels: expected a clearly different image (>= 25%%)", 100*leastQuarter)
	}
}

// extent returns how far the lit pixels reach from (cx, cy): left, right, up, down.
func extent(image []float32, cx, cy float64) (left, right, up, down float64) {
	for i, p := range image {
		if p != 0 {
			x, y := float64(i%64), float64(i/64)
			left, right, up, down = max(left, cx-x), max(right, x-cx), max(up, cy-y), max(down, y-cy)
		}
	}
	return left, right, up, down
}

// Angles turn counter-clockwise as seen on the image, and the heart's point is down at
// angle 0.
func TestDSpritesTurnDirection(t *testing.T) {
	draw := drawOrFail(t)
	// The ellipse at 45 degrees: its long axis rises to the right, so the row (down)
	// falls as the column grows.
	var n, sx, sy, sxy float64
	for i, p := range draw(DSpritesFactors{DSpritesEllipse, 5, 5, 15, 15}) {
		if p != 0 {
			x, y := float64(i%64), float64(i/64)
			n, sx, sy, sxy = n+1, sx+x, sy+y, sxy+x*y
		}
	}
	if cov := sxy/n - sx/n*sy/n; cov >= -1 {
		t.Errorf("ellipse at orientation 5 (45 degrees): covariance of column and row %.2f, expected clearly negative (long axis up to the right)", cov)
	}
	c := refCentre(15)
	if left, right, up, down := extent(draw(DSpritesFactors{DSpritesHeart, 5, 0, 15, 15}), c, c); !(down > up+1 && math.Abs(left-right) <= 1) {
		t.Errorf("heart at orientation 0 reaches left %.1f right %.1f up %.1f down %.1f: expected its point down", left, right, up, down)
	}
	if left, right, up, down := extent(draw(DSpritesFactors{DSpritesHeart, 5, 10, 15, 15}), c, c); !(right > left+1 && math.Abs(up-down) <= 1) {
		t.Errorf("heart at orientation 10 (a quarter turn counter-clockwise) reaches left %.1f right %.1f up %.1f down %.1f: expected its point to the right", left, right, up, down)
	}
}

// The largest shapes at every orientation, on the image's edges, stay off its border
// rows and columns, so none is cut off.
func TestDSpritesInsideImage(t *testing.T) {
	draw := drawOrFail(t)
	margin := 64
	for shape := range 3 {
		for orientation := range 40 {
			for i := range 32 {
				for _, pos := range [][2]int{{0, i}, {31, i}, {i, 0}, {i, 31}} {
					f := DSpritesFactors{shape, 5, orientation, pos[0], pos[1]}
					for p, v := range draw(f) {
						if v == 0 {
							continue
						}
						x, y := p%64, p/64
						m := min(x, y, 63-x, 63-y)
						if m == 0 {
							t.Fatalf("%+v: lit pixel (%d, %d) on the border", f, x, y)
						}
						margin = min(margin, m)
					}
				}
			}
		}
	}
	t.Logf("largest shapes at the edges: the nearest lit pixel is %d pixels in from the border", margin)
}

// Index and DSpritesFactorsOf follow dSprites' order, row-major in shape, scale,
// orientation, posX, posY, for all 737,280 combinations.
func TestDSpritesIndexOrder(t *testing.T) {
	index := 0
	for shape := range 3 {
		for scale := range 6 {
			for orientation := range 40 {
				for x := range 32 {
					for y := range 32 {
						want := DSpritesFactors{shape, scale, orientation, x, y}
						got, err := DSpritesFactorsOf(index)
						if err != nil || got != want {
							t.Fatalf("DSpritesFactorsOf(%d) = %+v, %v; expected %+v", index, got, err, want)
						}
						if back, err := got.Index(); err != nil || back != index {
							t.Fatalf("%+v.Index() = %d, %v; expected %d", got, back, err, index)
						}
						index++
					}
				}
			}
		}
	}
	if index != DSpritesCount || DSpritesCount != 737_280 {
		t.Errorf("%d combinations, DSpritesCount %d: expected 737,280", index, DSpritesCount)
	}
	for i, want := range map[int]DSpritesFactors{0: {}, 1: {PosY: 1}, 32: {PosX: 1}, 1024: {Orientation: 1},
		40960: {Scale: 1}, 245760: {Shape: 1}, 737279: {2, 5, 39, 31, 31}} {
		if got, _ := DSpritesFactorsOf(i); got != want {
			t.Errorf("DSpritesFactorsOf(%d) = %+v, expected %+v", i, got, want)
		}
	}
}

// The continuous values the indices stand for.
func TestDSpritesValues(t *testing.T) {
	f := DSpritesFactors{Scale: 5, Orientation: 10, PosX: 31, PosY: 0}
	if f.ScaleValue() != 1 || math.Abs(f.Angle()-math.Pi/2) > 1e-15 || f.PosXValue() != 1 || f.PosYValue() != 0 {
		t.Errorf("%+v: scale %v, angle %v, posX %v, posY %v; expected 1, pi/2, 1, 0", f, f.ScaleValue(), f.Angle(), f.PosXValue(), f.PosYValue())
	}
	g := DSpritesFactors{Scale: 0, Orientation: 39, PosX: 1}
	if g.ScaleValue() != 0.5 || math.Abs(g.Angle()-2*math.Pi*39/40) > 1e-15 || math.Abs(g.PosXValue()-1.0/31) > 1e-15 {
		t.Errorf("%+v: scale %v, angle %v, posX %v; expected 0.5, 2pi*39/40, 1/31", g, g.ScaleValue(), g.Angle(), g.PosXValue())
	}
	image, err := DrawDSprite(DSpritesFactors{DSpritesHeart, 2, 13, 9, 22})
	if err != nil || len(image) != 4096 {
		t.Fatalf("DrawDSprite: %d values, %v; expected 4096", len(image), err)
	}
	for i, p := range image {
		if p != 0 && p != 1 {
			t.Fatalf("pixel %d is %v: expected 0 or 1", i, p)
		}
	}
}

func TestDSpritesBadFactors(t *testing.T) {
	_, err := DrawDSprite(DSpritesFactors{Scale: 6})
	wantErr(t, err, "scale=6", "0..5")
	_, err = DSpritesFactors{PosY: -1}.Index()
	wantErr(t, err, "pos_y=-1", "0..31")
	_, err = DSpritesFactorsOf(-1)
	wantErr(t, err, "index -1", "0..737279")
	_, err = DSpritesFactorsOf(DSpritesCount)
	wantErr(t, err, "index 737280", "0..737279")
	_, err = DSpritesFactorsFromRow([]int32{0, 1, 2})
	wantErr(t, err, "3 values", "expected 5")
	_, err = DSpritesFactorsFromRow([]int32{3, 0, 0, 0, 0})
	wantErr(t, err, "shape=3", "0..2")
}

func BenchmarkDrawDSprite(b *testing.B) {
	f := DSpritesFactors{DSpritesHeart, 5, 13, 9, 22}
	for b.Loop() {
		if _, err := DrawDSprite(f); err != nil {
			b.Fatal(err)
		}
	}
}
