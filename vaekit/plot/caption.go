package plot

import (
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Captions on pixel pictures use a fixed bitmap font (7x13 pixels per character): it
// stays sharp at the small sizes of digit grids, where a scaled vector font blurs.

// captionHeight is the height in pixels of a caption line.
const captionHeight = 13

// captionCharWidth is the width in pixels of one caption character.
const captionCharWidth = 7

// drawCaption writes text in black, centred in rect, cutting characters that do not fit.
func drawCaption(out draw.Image, text string, rect image.Rectangle) {
	runes := []rune(text)
	if fit := rect.Dx() / captionCharWidth; len(runes) > fit {
		runes = runes[:fit]
	}
	if len(runes) == 0 {
		return
	}
	textW := len(runes) * captionCharWidth
	face := basicfont.Face7x13
	d := font.Drawer{
		Dst:  out,
		Src:  image.NewUniform(color.Black),
		Face: face,
		Dot: fixed.P(rect.Min.X+(rect.Dx()-textW)/2,
			rect.Min.Y+(rect.Dy()-captionHeight)/2+face.Ascent),
	}
	d.DrawString(string(runes))
}
