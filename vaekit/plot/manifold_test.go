package plot

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestManifoldPoints(t *testing.T) {
	got := ManifoldPoints([]float64{-1, 1}, []float64{-2, 0, 2})
	want := [][]float32{{-1, -2}, {1, -2}, {-1, 0}, {1, 0}, {-1, 2}, {1, 2}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("ManifoldPoints = %v, want %v", got, want)
	}
	at, err := ManifoldPointsAt([]float32{7, 7, 7}, 2, 0, []float64{1}, []float64{5})
	if err != nil || !slices.Equal(at[0], []float32{5, 7, 1}) {
		t.Errorf("ManifoldPointsAt = %v, %v; want [[5 7 1]]", at, err)
	}
	if _, err := ManifoldPointsAt([]float32{0, 0}, 1, 1, nil, nil); err == nil || !strings.Contains(err.Error(), "two different") {
		t.Errorf("same dimension twice: %v", err)
	}
	if _, err := ManifoldPointsAt([]float32{0, 0}, 0, 2, nil, nil); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("dimension out of range: %v", err)
	}
}

// flat returns an image of n pixels all set to v.
func flat(n int, v float32) []float32 {
	img := make([]float32, n)
	for i := range img {
		img[i] = v
	}
	return img
}

func TestManifoldCanvas(t *testing.T) {
	// A 2x3 grid of 2x2 images; image i has value i/5, so each tile is identifiable.
	var images [][]float32
	for i := range 6 {
		images = append(images, flat(4, float32(i)/5))
	}
	pic, err := ManifoldCanvas(images, 2, 2, 2, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if b := pic.Bounds(); b.Dx() != 2*2*2 || b.Dy() != 3*2*2 {
		t.Fatalf("canvas %v, expected 8x12", b)
	}
	grey := func(i int) uint8 { return uint8(math.Round(255 * (1 - float64(i)/5))) }
	// Image r*nx+c sits in column c, row r counted from the bottom (each tile 4x4).
	for r := range 3 {
		for c := range 2 {
			x, y := c*4+3, (2-r)*4+3 // Bottom-right pixel of the tile.
			if got, want := pic.GrayAt(x, y).Y, grey(r*2+c); got != want {
				t.Errorf("tile (c=%d, r=%d) pixel (%d,%d) = %d, want %d", c, r, x, y, got, want)
			}
		}
	}
	if _, err := ManifoldCanvas(images, 2, 2, 4, 2, 1); err == nil || !strings.Contains(err.Error(), "6 images for a 4x2 grid") {
		t.Errorf("wrong grid: %v", err)
	}
}

func TestManifoldChart(t *testing.T) {
	zs := []float64{-1.5, -0.5, 0.5, 1.5}
	var images [][]float32
	for range ManifoldPoints(zs, zs) {
		images = append(images, flat(28*28, 1)) // All ink: the canvas is black.
	}
	chart, err := Manifold(images, 28, 28, zs, zs, ManifoldOptions{Title: "manifold"})
	if err != nil {
		t.Fatal(err)
	}
	w, h := chartPixels(chart)
	checkSaved(t, "manifold", chart, w, h)
	// The decoded tiles fill the middle of the chart.
	img := chart.Image()
	if r, _, _, _ := img.At(w/2, h/2).RGBA(); r>>8 > 30 {
		t.Errorf("chart centre has grey %d, expected the black tiles", r>>8)
	}
	// The axes name the latent values, and the SVG carries them.
	svg, err := chart.SVG()
	if err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{">-1.5<", ">-0.5<", ">0.5<", ">1.5<", ">z1<", ">z2<"} {
		if !strings.Contains(string(svg), label) {
			t.Errorf("SVG has no text %s", label)
		}
	}

	if _, err := Manifold(images, 28, 28, zs, []float64{0, math.NaN(), 1, 2}, ManifoldOptions{}); err == nil ||
		!strings.Contains(err.Error(), "zy[1] is NaN") {
		t.Errorf("NaN grid value: %v", err)
	}
	if _, err := Manifold(images[:3], 28, 28, zs, zs, ManifoldOptions{}); err == nil ||
		!strings.Contains(err.Error(), "3 images for a 4x4 grid") {
		t.Errorf("too few images: %v", err)
	}
	if _, err := Manifold(images, 28, 28, nil, zs, ManifoldOptions{}); err == nil || !strings.Contains(err.Error(), "expected at least one") {
		t.Errorf("empty grid: %v", err)
	}
}
