package plot

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The look shared by every chart: a sans-serif font (gonum's default is a serif),
// light grid lines, and a categorical palette that most readers know.

var (
	chartBackground = color.White
	gridColor       = color.Gray{Y: 225}
	sansFont        = font.Font{Typeface: "Liberation", Variant: "Sans"}
)

// palette is the "tab10" palette of matplotlib and Vega: ten distinct hues that most
// readers know from other plots.
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0xd6, 0x27, 0x28, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
	{0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff}, {0xbc, 0xbd, 0x22, 0xff},
	{0x17, 0xbe, 0xcf, 0xff},
}

// classColor returns the colour of class k out of n: the palette when it has enough
// colours, else n hues evenly spaced around the colour wheel.
func classColor(k, n int) color.RGBA {
	if n <= len(palette) {
		return palette[k]
	}
	return hsv(360*float64(k)/float64(n), 0.75, 0.85)
}

// hsv converts a hue (degrees), saturation and value to an opaque RGBA colour.
func hsv(h, s, v float64) color.RGBA {
	c := v * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	var r, g, b float64
	switch {
	case h < 60:
		r, g = c, x
	case h < 120:
		r, g = x, c
	case h < 180:
		g, b = c, x
	case h < 240:
		g, b = x, c
	case h < 300:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := v - c
	to8 := func(f float64) uint8 { return uint8(math.Round(255 * (f + m))) }
	return color.RGBA{to8(r), to8(g), to8(b), 0xff}
}

// newPlot returns a gonum plot with the package's look, the given title and axis names.
func newPlot(title, xLabel, yLabel string) *gplot.Plot {
	p := gplot.New()
	p.BackgroundColor = chartBackground
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sansFont, 12)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	for _, axis := range []*gplot.Axis{&p.X, &p.Y} {
		axis.Label.TextStyle.Font = font.From(sansFont, 11)
		axis.Tick.Label.Font = font.From(sansFont, 9)
		axis.Tick.Marker = plainTicks{}
	}
	p.Legend.TextStyle.Font = font.From(sansFont, 10)
	return p
}

// addGrid adds light grid lines behind what is added to p afterwards: they help read
// values off a chart without competing with the data.
func addGrid(p *gplot.Plot) {
	grid := plotter.NewGrid()
	grid.Vertical.Color = gridColor
	grid.Horizontal.Color = gridColor
	p.Add(grid)
}

// newLegend returns an empty legend with the package's look, for Chart's side column.
func newLegend() *gplot.Legend {
	l := gplot.NewLegend()
	l.TextStyle.Font = font.From(sansFont, 10)
	l.Top, l.Left = true, true
	l.Padding = vg.Points(2)
	return &l
}

// glyphThumb draws a legend entry as one marker.
type glyphThumb draw.GlyphStyle

// Thumbnail implements gonum's plot.Thumbnailer.
func (g glyphThumb) Thumbnail(c *draw.Canvas) { c.DrawGlyph(draw.GlyphStyle(g), c.Center()) }

// plainTicks are gonum's default ticks, labelled without padding zeros ("175", not
// "175.00").
type plainTicks struct{}

// Ticks implements gonum's plot.Ticker.
func (plainTicks) Ticks(min, max float64) []gplot.Tick {
	ticks := gplot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'g', 6, 64)
		}
	}
	return ticks
}

// labeledTicks puts a tick mark at each position with the matching label: the
// manifold's axes show the latent values of its tiles, and the bar chart names its bars.
type labeledTicks struct {
	positions []float64
	labels    []string
}

// Ticks implements gonum's plot.Ticker.
func (t labeledTicks) Ticks(min, max float64) []gplot.Tick {
	var ticks []gplot.Tick
	for i, x := range t.positions {
		if x >= min && x <= max {
			ticks = append(ticks, gplot.Tick{Value: x, Label: t.labels[i]})
		}
	}
	return ticks
}

// formatValue prints a coordinate with as few digits as it needs (0.5, -1.25, 3).
func formatValue(v float64) string {
	return fmt.Sprintf("%.3g", v)
}
