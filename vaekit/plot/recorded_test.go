package plot

import (
	"image/color"
	"math"
	"slices"
	"testing"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// A panel's drawing, recorded: what it stroked and filled, in which colour, the texts it
// wrote, and the map from its data to the canvas. Tests read a chart's data back from it:
// the bar heights, the points a line goes through, where a label sits.

// mark is one stroked or filled path and its colour.
type mark struct {
	color color.Color
	path  vg.Path
}

// recordedPanel is what p drew on a canvas of the default chart size.
type recordedPanel struct {
	strokes, fills []mark
	texts          map[string][]vg.Point
	x, y           func(float64) vg.Length // Data to canvas coordinates.
}

func recordPanel(t *testing.T, p *gplot.Plot) recordedPanel {
	t.Helper()
	rec := &recorder.Canvas{}
	dc := draw.NewCanvas(rec, defaultWidth, defaultHeight)
	p.Draw(dc)
	da := p.DataCanvas(dc)
	r := recordedPanel{texts: map[string][]vg.Point{}}
	r.x, r.y = p.Transforms(&da)
	var current color.Color = color.Black
	for _, action := range rec.Actions {
		switch a := action.(type) {
		case *recorder.SetColor:
			current = a.Color
		case *recorder.Stroke:
			r.strokes = append(r.strokes, mark{current, a.Path})
		case *recorder.Fill:
			r.fills = append(r.fills, mark{current, a.Path})
		case *recorder.FillString:
			r.texts[a.String] = append(r.texts[a.String], a.Point)
		case *recorder.Rotate, *recorder.Translate, *recorder.Scale:
			// Only the y axis's title is rotated; no test reads its position.
		}
	}
	return r
}

// sameColor compares colours by their RGBA values (nil, a colour never drawn, is only the
// same as nil).
func sameColor(a, b color.Color) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

// vertices are the points a path visits.
func vertices(path vg.Path) []vg.Point {
	var pts []vg.Point
	for _, c := range path {
		if c.Type == vg.MoveComp || c.Type == vg.LineComp {
			pts = append(pts, c.Pos)
		}
	}
	return pts
}

// lineThrough reports whether one stroke of colour c visits exactly the data points
// (xs[i], ys[i]), in order.
func (r recordedPanel) lineThrough(c color.Color, xs, ys []float64) bool {
	for _, s := range r.strokes {
		pts := vertices(s.path)
		if !sameColor(s.color, c) || len(pts) != len(xs) {
			continue
		}
		match := true
		for i, pt := range pts {
			match = match && near(pt.X, r.x(xs[i])) && near(pt.Y, r.y(ys[i]))
		}
		if match {
			return true
		}
	}
	return false
}

// near: within a hundredth of a point.
func near(a, b vg.Length) bool { return math.Abs(float64(a-b)) < 0.01 }

// bar is one filled bar of a vertical bar chart, in data units.
type bar struct {
	color    color.Color
	position float64 // Centre on the x axis.
	height   float64
}

// bars are the filled rectangles of the panel in the given colours, measured back in
// data units.
func (r recordedPanel) bars(colors ...color.Color) []bar {
	var out []bar
	unitX, unitY := float64(r.x(1)-r.x(0)), float64(r.y(1)-r.y(0))
	for _, f := range r.fills {
		pts := vertices(f.path)
		if len(pts) != 4 || !slices.ContainsFunc(colors, func(k color.Color) bool { return sameColor(k, f.color) }) {
			continue
		}
		minX, maxX, minY, maxY := pts[0].X, pts[0].X, pts[0].Y, pts[0].Y
		for _, pt := range pts {
			minX, maxX, minY, maxY = min(minX, pt.X), max(maxX, pt.X), min(minY, pt.Y), max(maxY, pt.Y)
		}
		out = append(out, bar{
			color:    f.color,
			position: float64((minX+maxX)/2-r.x(0)) / unitX,
			height:   float64(maxY-minY) / unitY,
		})
	}
	return out
}

// dots counts the points (xs[i], ys[i]) marked with a filled circle of colour c.
func (r recordedPanel) dots(c color.Color, xs, ys []float64) int {
	n := 0
	for i := range xs {
		if slices.ContainsFunc(r.fills, func(f mark) bool {
			return sameColor(f.color, c) && slices.ContainsFunc(f.path, func(p vg.PathComp) bool {
				return p.Type == vg.ArcComp && near(p.Pos.X, r.x(xs[i])) && near(p.Pos.Y, r.y(ys[i]))
			})
		}) {
			n++
		}
	}
	return n
}
