package plot

import (
	"bytes"
	"fmt"
	"image"
	"image/png"

	"github.com/janpfeifer/gonb/gonbui"
)

// EncodePNG returns the PNG encoding of img.
func EncodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("plot: encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// Display shows img inline when running under GoNB, and does nothing elsewhere (tests,
// commands), so library code can call it unconditionally.
func Display(img image.Image) error {
	if !gonbui.IsNotebook {
		return nil
	}
	data, err := EncodePNG(img)
	if err != nil {
		return err
	}
	gonbui.DisplayPNG(data)
	// Wait until GoNB has the picture: a cell program that exits right after displaying
	// can otherwise have its last output dropped.
	gonbui.Sync()
	return nil
}
