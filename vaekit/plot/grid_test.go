package plot

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit/data"
)

func TestGridPixels(t *testing.T) {
	// Two 2x3 images: all black (1) and a ramp; 2 columns, padding 1.
	black := []float32{1, 1, 1, 1, 1, 1}
	ramp := []float32{0, 0.5, 1, -3, 7, 0.25}
	img, err := Grid(imageSet(2, 3, black, ramp), GridOptions{Cols: 2, Padding: 1})
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
	big, _ := Grid(imageSet(2, 3, black), GridOptions{Scale: 2})
	if b := big.Bounds(); b.Dx() != 6 || b.Dy() != 4 {
		t.Errorf("scaled grid %v, expected 6x4", b)
	}
	if _, err := Grid(imageSet(2, 3, []float32{1, 2}), GridOptions{}); err == nil || !strings.Contains(err.Error(), "holds 2 pixel values, expected 1 images of 2x3") {
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

// WhiteOnBlack draws a value as its grey (1 white, 0 black), as matplotlib's
// imshow(cmap="gray") does; the padding and captions stay as they are.
func TestGridWhiteOnBlack(t *testing.T) {
	ramp := []float32{0, 0.5, 1, -3, 7, 0.25}
	pic, err := Grid(imageSet(2, 3, ramp), GridOptions{Padding: 1, WhiteOnBlack: true, Labels: []string{"7"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]int]uint8{
		{0, 0}: 255,                         // padding
		{1, 1}: 0, {2, 1}: 127, {3, 1}: 255, // ramp 0, 0.5, 1
		{1, 2}: 0, {2, 2}: 255, {3, 2}: 64, // clipped -3 -> 0, 7 -> 1, 0.25
	}
	for xy, v := range want {
		if got := pic.GrayAt(xy[0], xy[1]).Y; got != v && !(v == 127 && got == 128) {
			t.Errorf("pixel %v = %d, want %d", xy, got, v)
		}
	}
	// The same images without the option: each pixel the other way round.
	inked, err := Grid(imageSet(2, 3, ramp), GridOptions{Padding: 1, Labels: []string{"7"}})
	if err != nil {
		t.Fatal(err)
	}
	for y := 1; y < 3; y++ {
		for x := 1; x < 4; x++ {
			if a, b := int(pic.GrayAt(x, y).Y), int(inked.GrayAt(x, y).Y); a+b < 254 || a+b > 256 {
				t.Errorf("pixel (%d,%d): %d white on black, %d black on white: expected complements", x, y, a, b)
			}
		}
	}
	// Captions are drawn on the white padding below, in black, either way.
	captions := func(p *Picture) string {
		var b strings.Builder
		for y := 3; y < p.Bounds().Dy(); y++ {
			for x := range p.Bounds().Dx() {
				fmt.Fprint(&b, p.GrayAt(x, y).Y)
			}
		}
		return b.String()
	}
	if captions(pic) != captions(inked) {
		t.Error("the caption differs with WhiteOnBlack, expected the same black text on white")
	}
}

func TestGridLabels(t *testing.T) {
	// Two 8x8 images, one black and one white, captioned "7" and "" (blank).
	black, white := make([]float32, 64), make([]float32, 64)
	for i := range black {
		black[i] = 1
	}
	pic, err := Grid(imageSet(8, 8, black, white), GridOptions{Cols: 2, Padding: 1, Labels: []string{"7", ""}})
	if err != nil {
		t.Fatal(err)
	}
	// Each cell is 8 pixels of image plus a 13-pixel caption line, plus padding.
	if b := pic.Bounds(); b.Dx() != 1+2*(8+1) || b.Dy() != 1+(8+captionHeight+1) {
		t.Fatalf("labelled grid %v, expected 19x23", b)
	}
	// The images sit where they would without labels.
	for _, xy := range [][2]int{{1, 1}, {8, 8}} {
		if got := pic.GrayAt(xy[0], xy[1]).Y; got != 0 {
			t.Errorf("black image pixel %v = %d, want 0", xy, got)
		}
	}
	if got := pic.GrayAt(10, 1).Y; got != 255 {
		t.Errorf("white image pixel = %d, want 255", got)
	}
	// The caption "7" puts ink under the first image, the blank caption none.
	ink := func(x0, x1 int) int {
		n := 0
		for y := 9; y < 9+captionHeight; y++ {
			for x := x0; x < x1; x++ {
				if pic.GrayAt(x, y).Y < 128 {
					n++
				}
			}
		}
		return n
	}
	if n := ink(1, 9); n < 5 {
		t.Errorf("caption \"7\" has %d dark pixels, expected a drawn digit", n)
	}
	if n := ink(10, 18); n != 0 {
		t.Errorf("blank caption has %d dark pixels, expected none", n)
	}
	// Too long captions are cut, not an error.
	if _, err := Grid(imageSet(8, 8, black), GridOptions{Labels: []string{"a long caption"}}); err != nil {
		t.Errorf("long caption: %v", err)
	}
	if _, err := Grid(imageSet(8, 8, black, white), GridOptions{Labels: []string{"1"}}); err == nil || !strings.Contains(err.Error(), "one label per image") {
		t.Errorf("1 label for 2 images: %v", err)
	}
	if _, err := Grid(imageSet(8, 8), GridOptions{}); err == nil || !strings.Contains(err.Error(), "images is empty") {
		t.Errorf("no images: %v", err)
	}
}

func TestPictureSavePNG(t *testing.T) {
	ramp := []float32{0, 0.25, 0.5, 0.75, 1, 0}
	pic, err := Grid(imageSet(2, 3, ramp, ramp, ramp), GridOptions{Cols: 3, Padding: 2, Scale: 3})
	if err != nil {
		t.Fatal(err)
	}
	// 3 images of 9x6 screen pixels in a row, 2 pixels apart and around.
	checkSaved(t, "grid", pic, 2+3*(9+2), 2+6+2)
	path := t.TempDir() + "/grid.png"
	if err := pic.SavePNG(path); err != nil {
		t.Fatal(err)
	}
	back := testutil.ReadPNG(t, path)
	b := pic.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := back.At(x, y).RGBA(); uint8(r>>8) != pic.GrayAt(x, y).Y {
				t.Fatalf("PNG pixel (%d,%d) = %d, picture has %d", x, y, r>>8, pic.GrayAt(x, y).Y)
			}
		}
	}
}

// Colour images are drawn in their colours (not inverted like greyscale ink), channels
// last, on white padding.
func TestGridOfColourImages(t *testing.T) {
	red := []float32{1, 0, 0, 0, 0.5, 1} // Two pixels: red, then (0, 0.5, 1).
	set, err := data.FromImagesHWC([][]float32{red, red}, 1, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	pic, err := Grid(set, GridOptions{Cols: 2, Padding: 1})
	if err != nil {
		t.Fatal(err)
	}
	if pic.Gray != nil {
		t.Fatal("a colour grid came out greyscale")
	}
	if b := pic.Bounds(); b.Dx() != 2*(2+1)+1 || b.Dy() != 1+1+1 {
		t.Fatalf("bounds %v", b)
	}
	for _, c := range []struct {
		x, y    int
		r, g, b uint32
	}{{1, 1, 255, 0, 0}, {2, 1, 0, 128, 255}, {4, 1, 255, 0, 0}, {0, 0, 255, 255, 255}} {
		r, g, b, _ := pic.At(c.x, c.y).RGBA()
		if r>>8 != c.r || g>>8 != c.g || b>>8 != c.b {
			t.Errorf("pixel (%d,%d) = (%d,%d,%d), want (%d,%d,%d)", c.x, c.y, r>>8, g>>8, b>>8, c.r, c.g, c.b)
		}
	}
	two := &data.Set{N: 1, Height: 1, Width: 1, Channels: 2, Images: []float32{0, 1}}
	if _, err := Grid(two, GridOptions{}); err == nil || !strings.Contains(err.Error(), "2 channels") {
		t.Errorf("2-channel images: %v", err)
	}
}
