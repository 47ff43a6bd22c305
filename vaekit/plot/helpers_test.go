package plot

import (
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/internal/testutil"
	"github.com/vaekit/vaekit/vaekit/data"
)

// imageSet makes a Set of height x width images from rows, unchecked (so plot's own
// checks see bad rows).
func imageSet(height, width int, rows ...[]float32) *data.Set {
	set := &data.Set{N: len(rows), Height: height, Width: width}
	for _, r := range rows {
		set.Images = append(set.Images, r...)
	}
	return set
}

// captureStdout returns what f writes to os.Stdout: GoNB's display protocol does not
// use stdout, but a Display that printed anything outside GoNB would be a bug.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = saved }()
	f()
	_ = w.Close()
	out, _ := io.ReadAll(r)
	return string(out)
}

// readSVGSize parses the SVG file at path as XML and returns the root's width and
// height attributes.
func readSVGSize(t *testing.T, path string) (width, height string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root struct {
		XMLName xml.Name
		Width   string `xml:"width,attr"`
		Height  string `xml:"height,attr"`
	}
	if err := xml.Unmarshal(data, &root); err != nil {
		t.Fatalf("%s is not well-formed XML: %v", path, err)
	}
	if root.XMLName.Local != "svg" {
		t.Fatalf("%s: root element %q, expected svg", path, root.XMLName.Local)
	}
	return root.Width, root.Height
}

// checkSaved saves fig under a temporary directory (in a sub-directory that does not
// exist yet) and checks the files: the PNG has the expected pixel size and, for charts,
// the SVG is XML with the chart's size in points.
func checkSaved(t *testing.T, name string, fig Figure, wantW, wantH int) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "figures")
	pngPath := filepath.Join(dir, name+".png")
	if err := fig.SavePNG(pngPath); err != nil {
		t.Fatalf("%s: SavePNG: %v", name, err)
	}
	if b := testutil.ReadPNG(t, pngPath).Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		t.Errorf("%s: PNG is %dx%d, expected %dx%d", name, b.Dx(), b.Dy(), wantW, wantH)
	}
	if b := fig.Image().Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		t.Errorf("%s: Image() is %dx%d, expected %dx%d", name, b.Dx(), b.Dy(), wantW, wantH)
	}
	chart, ok := fig.(*Chart)
	if !ok {
		return
	}
	svgPath := filepath.Join(dir, name+".svg")
	if err := chart.SaveSVG(svgPath); err != nil {
		t.Fatalf("%s: SaveSVG: %v", name, err)
	}
	w, h := readSVGSize(t, svgPath)
	// vgsvg writes sizes in points with 5 significant digits.
	if want := fmt.Sprintf("%.5gpt", chart.Width.Points()); w != want {
		t.Errorf("%s: SVG width %q, expected %q", name, w, want)
	}
	if want := fmt.Sprintf("%.5gpt", chart.Height.Points()); h != want {
		t.Errorf("%s: SVG height %q, expected %q", name, h, want)
	}
	data, _ := os.ReadFile(svgPath)
	if !strings.Contains(string(data), "sans-serif") {
		t.Errorf("%s: SVG text has no sans-serif fallback font", name)
	}
}

// chartPixels returns the pixel size a chart renders at.
func chartPixels(c *Chart) (int, int) {
	dots := func(l float64) int { return int(l/72*float64(c.dpi()) + 0.5) }
	return dots(c.Width.Points()), dots(c.Height.Points())
}
