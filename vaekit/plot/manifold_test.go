package plot

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit"
)

// flat returns an image of n pixels all set to v.
func flat(n int, v float32) []float32 {
	img := make([]float32, n)
	for i := range img {
		img[i] = v
	}
	return img
}

// manifoldOf makes a Manifold over latent dimensions 0 and 1 of the grid xs x ys, image
// r*len(xs)+c being the given rows.
func manifoldOf(xs, ys []float32, height, width int, rows ...[]float32) *vaekit.Manifold {
	return &vaekit.Manifold{DimX: 0, DimY: 1, XValues: xs, YValues: ys, Images: imageSet(height, width, rows...)}
}

func TestManifoldTiles(t *testing.T) {
	// A 2x3 grid of 2x2 images; image i has value i/5, so each tile is identifiable.
	var images [][]float32
	for i := range 6 {
		images = append(images, flat(4, float32(i)/5))
	}
	man := manifoldOf([]float32{0, 1}, []float32{0, 1, 2}, 2, 2, images...)
	grey := func(i int) uint8 { return uint8(math.Round(255 * (1 - float64(i)/5))) }
	for _, yDown := range []bool{false, true} {
		pic, err := ManifoldTiles(man, ManifoldOptions{Scale: 2, YDown: yDown})
		if err != nil {
			t.Fatal(err)
		}
		if b := pic.Bounds(); b.Dx() != 2*2*2 || b.Dy() != 3*2*2 {
			t.Fatalf("canvas %v, expected 8x12", b)
		}
		// Image r*nx+c sits in column c, row r counted from the bottom (from the top with
		// YDown); each tile is 4x4.
		for r := range 3 {
			for c := range 2 {
				row := 2 - r
				if yDown {
					row = r
				}
				x, y := c*4+3, row*4+3 // Bottom-right pixel of the tile.
				if got, want := pic.GrayAt(x, y).Y, grey(r*2+c); got != want {
					t.Errorf("YDown=%v: tile (c=%d, r=%d) pixel (%d,%d) = %d, want %d", yDown, c, r, x, y, got, want)
				}
			}
		}
	}
	// WhiteOnBlack: tile i is grey 255*i/5 instead.
	pic, err := ManifoldTiles(man, ManifoldOptions{Scale: 2, WhiteOnBlack: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		r, c := i/2, i%2
		x, y := c*4+3, (2-r)*4+3
		if got, want := pic.GrayAt(x, y).Y, uint8(math.Round(255*float64(i)/5)); got != want {
			t.Errorf("WhiteOnBlack: tile %d pixel (%d,%d) = %d, want %d", i, x, y, got, want)
		}
	}
	if _, err := ManifoldTiles(manifoldOf([]float32{0, 1, 2, 3}, []float32{0, 1}, 2, 2, images...), ManifoldOptions{Scale: 1}); err == nil ||
		!strings.Contains(err.Error(), "6 images for a 4x2 grid") {
		t.Errorf("wrong grid: %v", err)
	}
}

func TestManifoldChart(t *testing.T) {
	zs := []float32{-1.5, -0.5, 0.5, 1.5}
	var images [][]float32
	for range len(zs) * len(zs) {
		images = append(images, flat(28*28, 1)) // All ink: the canvas is black.
	}
	chart, err := Manifold(manifoldOf(zs, zs, 28, 28, images...), ManifoldOptions{Title: "manifold"})
	if err != nil {
		t.Fatal(err)
	}
	w, h := chartPixels(chart)
	checkSaved(t, "manifold", chart, w, h)
	// The decoded tiles fill the middle of the chart: black ink, or white on black.
	img := chart.Image()
	if r, _, _, _ := img.At(w/2, h/2).RGBA(); r>>8 > 30 {
		t.Errorf("chart centre has grey %d, expected the black tiles", r>>8)
	}
	white, err := Manifold(manifoldOf(zs, zs, 28, 28, images...), ManifoldOptions{Title: "manifold", WhiteOnBlack: true})
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _, _ := white.Image().At(w/2, h/2).RGBA(); r>>8 < 225 {
		t.Errorf("WhiteOnBlack chart centre has grey %d, expected the white tiles", r>>8)
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

	if _, err := Manifold(manifoldOf(zs, []float32{0, float32(math.NaN()), 1, 2}, 28, 28, images...), ManifoldOptions{}); err == nil ||
		!strings.Contains(err.Error(), "zy[1] is NaN") {
		t.Errorf("NaN grid value: %v", err)
	}
	if _, err := Manifold(manifoldOf(zs, zs, 28, 28, images[:3]...), ManifoldOptions{}); err == nil ||
		!strings.Contains(err.Error(), "3 images for a 4x4 grid") {
		t.Errorf("too few images: %v", err)
	}
	if _, err := Manifold(manifoldOf(nil, zs, 28, 28, images...), ManifoldOptions{}); err == nil || !strings.Contains(err.Error(), "expected at least one") {
		t.Errorf("empty grid: %v", err)
	}
}

// The images an SVG embeds (the manifold's canvas) are labelled with their real type:
// gonum's vgsvg writes PNG bytes under image/jpg.
func TestSVGImagesCarryTheirType(t *testing.T) {
	zs := []float32{-1, 1}
	images := [][]float32{flat(28*28, 0.2), flat(28*28, 0.4), flat(28*28, 0.6), flat(28*28, 0.8)}
	chart, err := Manifold(manifoldOf(zs, zs, 28, 28, images...), ManifoldOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svg := svgText(t, chart)
	uris := regexp.MustCompile(`href="data:([^;"]+);base64,([^"]*)"`).FindAllStringSubmatch(svg, -1)
	if len(uris) == 0 {
		t.Fatal("the manifold's SVG embeds no image")
	}
	magic := map[string][]byte{"image/png": []byte("\x89PNG\r\n\x1a\n"), "image/jpeg": {0xFF, 0xD8, 0xFF}, "image/gif": []byte("GIF8")}
	for _, uri := range uris {
		payload, err := base64.StdEncoding.DecodeString(uri[2])
		if err != nil {
			t.Fatalf("embedded %s: %v", uri[1], err)
		}
		want, known := magic[uri[1]]
		if !known || !bytes.HasPrefix(payload, want) {
			t.Errorf("an image labelled %s starts with % x, expected that type's magic bytes", uri[1], payload[:min(8, len(payload))])
		}
		if uri[1] == "image/png" {
			if _, err := png.Decode(bytes.NewReader(payload)); err != nil {
				t.Errorf("an image labelled image/png does not decode as PNG: %v", err)
			}
		}
	}

	// The relabelling itself: a JPEG labelled image/jpg becomes image/jpeg, a payload of
	// an unknown type keeps its label.
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 2, 2)), nil); err != nil {
		t.Fatal(err)
	}
	jpgPayload := base64.StdEncoding.EncodeToString(jpg.Bytes())
	unknown := base64.StdEncoding.EncodeToString([]byte("not an image at all"))
	in := `<image xlink:href="data:image/jpg;base64,` + jpgPayload + `" /><image xlink:href="data:image/jpg;base64,` + unknown + `" />`
	want := `<image xlink:href="data:image/jpeg;base64,` + jpgPayload + `" /><image xlink:href="data:image/jpg;base64,` + unknown + `" />`
	if got := string(labelEmbeddedImages([]byte(in))); got != want {
		t.Errorf("labelEmbeddedImages:\n%s\nwant\n%s", got, want)
	}
}
