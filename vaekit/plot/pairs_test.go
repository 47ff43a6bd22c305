package plot

import (
	"strings"
	"testing"
)

func TestPairsLayout(t *testing.T) {
	// Two pairs of 2x3 images, one pair per band: originals black, reconstructions grey.
	black := []float32{1, 1, 1, 1, 1, 1}
	grey := []float32{0.5, 0.5, 0.5, 0.5, 0.5, 0.5}
	pic, err := Pairs(imageSet(2, 3, black, black), imageSet(2, 3, grey, grey),
		PairsOptions{Cols: 1, Padding: 1, NoRowNames: true})
	if err != nil {
		t.Fatal(err)
	}
	// Width: padding + image + padding. Height: per band padding + original +
	// padding + reconstruction, bands set apart by pairsBandGap, plus the last padding.
	wantH := 1 + 2*(2+1+2+1) + pairsBandGap
	if b := pic.Bounds(); b.Dx() != 5 || b.Dy() != wantH {
		t.Fatalf("pairs picture %v, expected 5x%d", b, wantH)
	}
	band1 := 1 + (2 + 1 + 2 + 1) + pairsBandGap // Top of the second band.
	for name, c := range map[string]struct {
		x, y int
		want uint8
	}{
		"original 0":       {1, 1, 0},
		"original 0 end":   {3, 2, 0},
		"padding between":  {1, 3, 255},
		"reconstruction 0": {1, 4, 128},
		"original 1":       {1, band1, 0},
		"reconstruction 1": {3, band1 + 3, 128},
		"band gap":         {2, band1 - 1, 255},
		"right padding":    {4, 1, 255},
	} {
		if got := pic.GrayAt(c.x, c.y).Y; got != c.want {
			t.Errorf("%s: pixel (%d,%d) = %d, want %d", name, c.x, c.y, got, c.want)
		}
	}

	// Row names add a column of text on the left and move the images right.
	named, err := Pairs(imageSet(2, 3, black), imageSet(2, 3, grey), PairsOptions{Padding: 1})
	if err != nil {
		t.Fatal(err)
	}
	nameW := captionCharWidth*len("original") + 1
	if b := named.Bounds(); b.Dx() != nameW+5 {
		t.Errorf("named pairs width %d, expected %d", b.Dx(), nameW+5)
	}
	if got := named.GrayAt(nameW+1, 1).Y; got != 0 {
		t.Errorf("first original after the names = %d, want 0", got)
	}

	if _, err := Pairs(imageSet(2, 3, black, black), imageSet(2, 3, grey), PairsOptions{}); err == nil ||
		!strings.Contains(err.Error(), "2 originals but 1 reconstructions") {
		t.Errorf("mismatched counts: %v", err)
	}
	if _, err := Pairs(imageSet(2, 3, black), imageSet(2, 3, []float32{1}), PairsOptions{}); err == nil ||
		!strings.Contains(err.Error(), "reconstructions holds 1 pixel values, expected 1 images of 2x3") {
		t.Errorf("bad reconstruction size: %v", err)
	}
}
