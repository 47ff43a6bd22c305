package plot

import (
	"bytes"
	"encoding/base64"
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
	if !notebook() {
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

// notebook reports whether the program runs under GoNB, i.e. has a notebook to show
// pictures in.
func notebook() bool { return gonbui.IsNotebook }

// displayHTML shows html as a new output of the cell, and waits until GoNB has it.
func displayHTML(html string) {
	gonbui.DisplayHTML(html)
	gonbui.Sync()
}

// updateHTML replaces the content of the output block displayID (creating it on first
// use), and waits until GoNB has it. The saved notebook keeps the last content.
func updateHTML(displayID, html string) {
	gonbui.UpdateHTML(displayID, html)
	gonbui.Sync()
}

// imgTag returns an <img> element showing PNG data from a data: URI (nothing to fetch),
// displayed widthPx CSS pixels wide (0: its natural size).
func imgTag(pngData []byte, widthPx int) string {
	src := "data:image/png;base64," + base64.StdEncoding.EncodeToString(pngData)
	if widthPx > 0 {
		return fmt.Sprintf(`<img src="%s" width="%d" style="max-width:100%%">`, src, widthPx)
	}
	return fmt.Sprintf(`<img src="%s">`, src)
}
