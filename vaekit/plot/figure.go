package plot

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure is what every helper of this package returns: a picture that is a plain Go
// value first, so tests can look at its pixels, and that can then be saved or shown.
//
// Two kinds implement it: *Picture (pixel pictures: image grids, reconstructions) and
// *Chart (gonum/plot charts: scatter, curves, bars, histogram, sweep, manifold), which
// can also be saved as SVG.
type Figure interface {
	// Image renders the figure to pixels.
	Image() image.Image
	// SavePNG writes the figure as a PNG file, creating the file's directory if needed.
	SavePNG(path string) error
	// Display shows the figure inline when the program runs under GoNB, and does
	// nothing (returns nil) anywhere else, so library code and tests can call it
	// unconditionally.
	Display() error
}

// Picture is a pixel picture, such as an image grid: greyscale for greyscale images (the
// embedded *image.Gray, whose pixels can be read directly), RGB for colour ones. It is an
// image.Image itself.
type Picture struct {
	*image.Gray             // Greyscale pictures; nil for colour ones.
	rgba        *image.RGBA // Colour pictures.
}

// Image returns the picture's pixels.
func (p *Picture) Image() image.Image {
	if p.Gray != nil {
		return p.Gray
	}
	return p.rgba
}

// Bounds, At and ColorModel make a Picture an image.Image, grey or colour.
func (p *Picture) Bounds() image.Rectangle { return p.Image().Bounds() }

// At is the colour of pixel (x, y).
func (p *Picture) At(x, y int) color.Color { return p.Image().At(x, y) }

// ColorModel is the picture's colour model: grey or RGBA.
func (p *Picture) ColorModel() color.Model { return p.Image().ColorModel() }

// PNG returns the picture encoded as PNG.
func (p *Picture) PNG() ([]byte, error) { return EncodePNG(p.Image()) }

// SavePNG writes the picture as a PNG file (pictures are pixels, so PNG is their format).
func (p *Picture) SavePNG(path string) error {
	data, err := p.PNG()
	if err != nil {
		return err
	}
	return writeFile(path, data)
}

// Display shows the picture inline under GoNB (see Display).
func (p *Picture) Display() error { return Display(p.Image()) }

// Chart is a gonum/plot chart: one or more panels side by side and, optionally, a
// legend in a column to their right (so it never hides data). Its fields set the size
// it is rendered at; change them, or the panels returned by Plots, before saving.
type Chart struct {
	Width, Height vg.Length // Size of the whole chart; SVG files use it as is.
	DPI           int       // Pixels per inch of Image and PNG output.

	panels []*gplot.Plot
	legend *gplot.Legend // Drawn right of the panels when not nil.
}

// Chart sizes: 96 DPI makes an inch 96 CSS pixels, so PNG and inline SVG show at the
// same size in a browser.
const (
	defaultDPI    = 96
	defaultWidth  = 6 * vg.Inch
	defaultHeight = 4 * vg.Inch
)

// newChart returns a chart of the default size holding the given panels.
func newChart(panels ...*gplot.Plot) *Chart {
	return &Chart{Width: defaultWidth, Height: defaultHeight, DPI: defaultDPI, panels: panels}
}

// Plots returns the chart's panels, left to right, to adjust titles, ranges or styles.
func (c *Chart) Plots() []*gplot.Plot { return c.panels }

// draw renders the chart onto a canvas of any backend (pixels or SVG).
func (c *Chart) draw(dc draw.Canvas) {
	dc.SetColor(chartBackground)
	dc.Fill(dc.Rectangle.Path())
	if c.legend != nil {
		// Reserve a column for the legend, as wide as its widest entry plus a margin.
		margin := vg.Points(10)
		width := c.legend.Rectangle(dc).Size().X + 2*margin
		legendArea := draw.Crop(dc, dc.Size().X-width+margin, -margin, 0, -margin)
		dc = draw.Crop(dc, 0, -width, 0, 0)
		c.legend.Draw(legendArea)
	}
	if len(c.panels) == 1 {
		c.panels[0].Draw(dc)
		return
	}
	tiles := draw.Tiles{Rows: 1, Cols: len(c.panels), PadX: vg.Points(14)}
	canvases := gplot.Align([][]*gplot.Plot{c.panels}, tiles, dc)
	for i, p := range c.panels {
		p.Draw(canvases[0][i])
	}
}

// dpi returns the chart's DPI, or the default when it is unset.
func (c *Chart) dpi() int {
	if c.DPI > 0 {
		return c.DPI
	}
	return defaultDPI
}

// size returns the chart's size, with the default for a width or height left unset
// (gonum's canvases refuse a zero size).
func (c *Chart) size() (w, h vg.Length) {
	w, h = c.Width, c.Height
	if w <= 0 {
		w = defaultWidth
	}
	if h <= 0 {
		h = defaultHeight
	}
	return w, h
}

// rasterCanvas draws the chart on a new pixel canvas.
func (c *Chart) rasterCanvas() *vgimg.Canvas {
	w, h := c.size()
	canvas := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(c.dpi()))
	c.draw(draw.New(canvas))
	return canvas
}

// Image renders the chart to pixels: Width x Height at DPI.
func (c *Chart) Image() image.Image { return c.rasterCanvas().Image() }

// PNG returns the chart rendered as PNG.
func (c *Chart) PNG() ([]byte, error) {
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c.rasterCanvas()}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plot: encoding chart as PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// SVG returns the chart as an SVG document. The fonts are not embedded (that would add
// about 400 KB); text asks for Liberation Sans and falls back to Arial, which has the
// same metrics, then to any sans-serif font.
func (c *Chart) SVG() ([]byte, error) {
	canvas := vgsvg.New(c.size())
	c.draw(draw.New(canvas))
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("plot: encoding chart as SVG: %w", err)
	}
	svg := bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
	return labelEmbeddedImages(svg), nil
}

// embeddedImage matches an image embedded in SVG as a base64 data: URI: its media type
// and its payload.
var embeddedImage = regexp.MustCompile(`data:(image/[A-Za-z0-9.+-]+);base64,([A-Za-z0-9+/]+=*)`)

// labelEmbeddedImages gives every image embedded in svg the media type of its bytes:
// gonum's vgsvg (DrawImage) encodes images as PNG but labels them image/jpg, which a
// strict reader refuses. A payload of an unknown type keeps its label.
func labelEmbeddedImages(svg []byte) []byte {
	return embeddedImage.ReplaceAllFunc(svg, func(uri []byte) []byte {
		payload := embeddedImage.FindSubmatch(uri)[2]
		if len(payload) < 12 {
			return uri
		}
		head := make([]byte, 9) // 12 base64 characters are 9 bytes: enough for any magic below.
		if _, err := base64.StdEncoding.Decode(head, payload[:12]); err != nil {
			return uri
		}
		mediaType := sniffImage(head)
		if mediaType == "" {
			return uri
		}
		return append([]byte("data:"+mediaType+";base64,"), payload...)
	})
}

// sniffImage returns the media type of image bytes by their magic number, or "" if it is
// none of PNG, JPEG and GIF.
func sniffImage(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("GIF8")):
		return "image/gif"
	}
	return ""
}

// SavePNG writes the chart as a PNG file.
func (c *Chart) SavePNG(path string) error {
	data, err := c.PNG()
	if err != nil {
		return err
	}
	return writeFile(path, data)
}

// SaveSVG writes the chart as an SVG file.
func (c *Chart) SaveSVG(path string) error {
	data, err := c.SVG()
	if err != nil {
		return err
	}
	return writeFile(path, data)
}

// HTML returns the chart as an HTML fragment that needs nothing from the network:
// inline SVG, or an <img> with the PNG as a data: URI, whichever is smaller in a saved
// notebook. Notebooks are committed with their outputs, so this keeps them compact:
// line and bar charts are a few kilobytes of SVG, less than their PNG, while SVG spends
// about 130 bytes on every point of a scatter plot, and both formats hold a manifold's
// decoded digits as the same PNG pixels (its SVG embeds them).
func (c *Chart) HTML() (string, error) {
	svg, err := c.SVG()
	if err != nil {
		return "", err
	}
	data, err := c.PNG()
	if err != nil {
		return "", err
	}
	svgHTML := "<div>" + inlineSVG(svg) + "</div>"
	// CSS pixels are 1/96 inch: the picture shows at the chart's size whatever its DPI.
	w, _ := c.size()
	pngHTML := imgTag(data, int(w.Points()/vg.Inch.Points()*96))
	if savedSize(svgHTML) <= savedSize(pngHTML) {
		return svgHTML, nil
	}
	return pngHTML, nil
}

// savedSize is about how many bytes html takes in a saved notebook: a JSON string with
// its quotes and backslashes escaped, stored as a list of lines (about 8 bytes a line
// for the quotes, comma and indentation).
func savedSize(html string) int {
	return len(html) + strings.Count(html, `"`) + strings.Count(html, `\`) + 8*strings.Count(html, "\n")
}

// Display shows the chart inline under GoNB (see Figure.Display).
func (c *Chart) Display() error {
	if !notebook() {
		return nil
	}
	html, err := c.HTML()
	if err != nil {
		return err
	}
	displayHTML(html)
	return nil
}

// inlineSVG strips the XML prologue, which has no place inside an HTML page.
func inlineSVG(svg []byte) string {
	s := string(svg)
	if i := strings.Index(s, "<svg"); i > 0 {
		s = s[i:]
	}
	return s
}

// writeFile writes data to path, creating its directory first: notebooks save their
// figures under out/ directories that may not exist yet.
func writeFile(path string, data []byte) error {
	if path == "" {
		return fmt.Errorf("plot: empty file path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("plot: creating the directory of %s: %w", path, err)
		}
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("plot: writing %s: %w", path, err)
	}
	return nil
}

// Compile-time checks that both kinds are Figures.
var (
	_ Figure = (*Picture)(nil)
	_ Figure = (*Chart)(nil)
)
