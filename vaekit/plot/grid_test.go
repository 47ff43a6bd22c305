package plot

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

func TestGridPixels(t *testing.T) {
	// Two 2x3 images: all black (1) and a ramp; 2 columns, padding 1.
	black := []float32{1, 1, 1, 1, 1, 1}
	ramp := []float32{0, 0.5, 1, -3, 7, 0.25}
	img, err := Grid([][]float32{black, ramp}, 2, 3, GridOptions{Cols: 2, Padding: 1})
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1+2*(3+1) || b.Dy() != 1+(2+1) {
		t.Fatalf("grid size %v, expected 9x4", b)
	}
	want := map[[2]int]uint8{
		{0, 0}: 255,          // padding
		{1, 1}: 0, {3, 2}: 0, // black image corners
		{5, 1}: 255, {6, 1}: 127, {7, 1}: 0, // ramp 0, 0.5, 1
		{5, 2}: 255, {6, 2}: 0, {7, 2}: 191, // clipped -3 -> 0, 7 -> 1, 0.25
		{4, 1}: 255, // padding between the images
	}
	for xy, v := range want {
		if got := img.GrayAt(xy[0], xy[1]).Y; got != v && !(v == 127 && got == 128) {
			t.Errorf("pixel %v = %d, want %d", xy, got, v)
		}
	}
	// Scale doubles every pixel.
	big, _ := Grid([][]float32{black}, 2, 3, GridOptions{Scale: 2})
	if b := big.Bounds(); b.Dx() != 6 || b.Dy() != 4 {
		t.Errorf("scaled grid %v, expected 6x4", b)
	}
	if _, err := Grid([][]float32{{1, 2}}, 2, 3, GridOptions{}); err == nil || !strings.Contains(err.Error(), "expected 2x3=6") {
		t.Errorf("bad image size: %v", err)
	}
	data, err := EncodePNG(img)
	if err != nil {
		t.Fatal(err)
	}
	back, err := png.Decode(bytes.NewReader(data))
	if err != nil || back.Bounds() != img.Bounds() {
		t.Errorf("PNG round trip: %v %v", err, back.Bounds())
	}
	if err := Display(img); err != nil { // Outside GoNB: a no-op.
		t.Error(err)
	}
}
