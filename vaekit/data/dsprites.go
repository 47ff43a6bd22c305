package data

import (
	"fmt"
	"math"
)

// dSprites (Matthey, Higgins, Hassabis & Lerchner 2017, "dSprites: Disentanglement
// testing Sprites dataset", https://github.com/deepmind/dsprites-dataset) is a set of
// 64x64 binary images of one white shape on black, made as the full product of five
// independent factors: shape (square, ellipse, heart), scale (6 values from 0.5 to 1),
// orientation (40 angles 2*pi*i/40) and position x and y (32 values each over [0, 1]):
// 3*6*40*32*32 = 737,280 images. Because every image's factors are known, a model's codes
// can be compared with them: the data of disentanglement studies such as the beta-VAE's.
//
// vaekit draws its OWN images of that design here; the published .npz file is neither
// downloaded nor read, so there is nothing to fetch and no checksum. The factors, their
// values and their order are dSprites'; the geometry of the drawing is vaekit's choice,
// given below, so the pixels are not those of the published file.
//
// Geometry, in pixel coordinates where pixel (x, y) (column x, row y counted from the
// top) has its centre at (x, y):
//
//   - the shape's centre is at (8 + 47*posX, 8 + 47*posY): over [8, 55], 8.5 pixels
//     from each edge of the image, with posX = PosX/31 and posY = PosY/31 (posY grows
//     downwards, with the row);
//   - a shape of scale s has the outer radius R = 7.5*s pixels: every point of it is
//     within R of its centre, and the farthest at R, so the largest shape (R = 7.5) at
//     any angle and position stays off the image's border rows and columns (the centre
//     of a border pixel is at least 8 away);
//   - square: side R*sqrt(2) (its corners on the circle of radius R), area 2R^2;
//   - ellipse: semi-axes R (along x at angle 0) and R/2, area pi*R^2/2; it looks the
//     same only after a half turn;
//   - heart: the region (X^2+Y^2-1)^3 - X^2*Y^3 <= 0 (lobes up, point down at angle 0),
//     scaled by R/(1+heartCentroidY) about its centroid (0, heartCentroidY), which is
//     the heart's centre: its point, the farthest from the centroid, is then at R;
//   - the shape is turned about its centre by the angle 2*pi*Orientation/40,
//     counter-clockwise as seen on the image (y pointing up);
//   - a pixel is 1 when its centre is inside the turned shape (boundary included), else 0.
//
// So the centroid of a shape's pixels is its centre, for the heart as well, up to the
// pixels cut by its boundary.

// The sizes of dSprites' factors and of its images.
const (
	DSpritesSide         = 64 // Images are DSpritesSide x DSpritesSide pixels, grey.
	DSpritesShapes       = 3
	DSpritesScales       = 6
	DSpritesOrientations = 40
	DSpritesPositions    = 32 // For PosX and for PosY.
	// DSpritesCount is the number of factor combinations: 3*6*40*32*32 = 737,280.
	DSpritesCount = DSpritesShapes * DSpritesScales * DSpritesOrientations * DSpritesPositions * DSpritesPositions
)

// The values of DSpritesFactors.Shape, in dSprites' order (also the Set's labels).
const (
	DSpritesSquare  = 0
	DSpritesEllipse = 1
	DSpritesHeart   = 2
)

var (
	dspritesShapeNames  = [DSpritesShapes]string{"square", "ellipse", "heart"}
	dspritesFactorNames = [...]string{"shape", "scale", "orientation", "pos_x", "pos_y"}
	dspritesFactorSizes = [...]int{DSpritesShapes, DSpritesScales, DSpritesOrientations, DSpritesPositions, DSpritesPositions}
)

// The drawing's geometry (see above).
const (
	dspritesMinCentre = 8.0  // The centre's pixel coordinate at position 0.
	dspritesTravel    = 47.0 // How far the centre moves from position 0 to position 1.
	dspritesRadius    = 7.5  // The outer radius R of a shape of scale 1.
	// heartCentroidY is the y of the centroid of (x^2+y^2-1)^3 - x^2*y^3 <= 0 (area
	// 3.66197), by numerical integration (row widths found by bisection, 200,000 rows);
	// the tests integrate it again on their own.
	heartCentroidY = 0.29348
)

// DSpritesFactors are one dSprites image's factors, each the index of its value.
type DSpritesFactors struct {
	Shape       int // 0..2: DSpritesSquare, DSpritesEllipse, DSpritesHeart.
	Scale       int // 0..5: the scale 0.5 + 0.5*Scale/5 (ScaleValue).
	Orientation int // 0..39: the angle 2*pi*Orientation/40 (Angle).
	PosX        int // 0..31: the position PosX/31 in [0, 1], left to right (PosXValue).
	PosY        int // 0..31: the position PosY/31 in [0, 1], top to bottom (PosYValue).
}

// Check says which factor is out of its range, or nil.
func (f DSpritesFactors) Check() error {
	for j, v := range f.row() {
		if v < 0 || int(v) >= dspritesFactorSizes[j] {
			return fmt.Errorf("dsprites factor %s=%d is out of range: expected 0..%d (%+v)",
				dspritesFactorNames[j], v, dspritesFactorSizes[j]-1, f)
		}
	}
	return nil
}

// row is f as a row of the Factors table, in dSprites' order.
func (f DSpritesFactors) row() [len(dspritesFactorNames)]int32 {
	return [...]int32{int32(f.Shape), int32(f.Scale), int32(f.Orientation), int32(f.PosX), int32(f.PosY)}
}

// ScaleValue is the scale the Scale index stands for: 0.5 + 0.5*Scale/5, in [0.5, 1].
func (f DSpritesFactors) ScaleValue() float64 {
	return 0.5 + 0.5*float64(f.Scale)/float64(DSpritesScales-1)
}

// Angle is the orientation in radians: 2*pi*Orientation/40, in [0, 2*pi).
func (f DSpritesFactors) Angle() float64 {
	return 2 * math.Pi * float64(f.Orientation) / DSpritesOrientations
}

// PosXValue is the horizontal position PosX/31 in [0, 1] (0: left).
func (f DSpritesFactors) PosXValue() float64 {
	return float64(f.PosX) / (DSpritesPositions - 1)
}

// PosYValue is the vertical position PosY/31 in [0, 1] (0: top).
func (f DSpritesFactors) PosYValue() float64 {
	return float64(f.PosY) / (DSpritesPositions - 1)
}

// Centre is where the shape's centre is drawn, in pixel coordinates where pixel (x, y)
// has its centre at (x, y): 8 + 47*position, over [8, 55]. It is the centroid of the
// shape, so that of its lit pixels up to the boundary's pixels.
func (f DSpritesFactors) Centre() (x, y float64) {
	return dspritesMinCentre + dspritesTravel*f.PosXValue(), dspritesMinCentre + dspritesTravel*f.PosYValue()
}

// Index is the place of the combination among the 737,280 in dSprites' order: row-major
// in shape, scale, orientation, posX, posY (posY varies fastest), as in the published
// file. A factor out of range is an error.
func (f DSpritesFactors) Index() (int, error) {
	if err := f.Check(); err != nil {
		return 0, err
	}
	index := 0
	for j, v := range f.row() {
		index = index*dspritesFactorSizes[j] + int(v)
	}
	return index, nil
}

// DSpritesFactorsOf returns the combination at index (0..737,279) in dSprites' order
// (see DSpritesFactors.Index).
func DSpritesFactorsOf(index int) (DSpritesFactors, error) {
	if index < 0 || index >= DSpritesCount {
		return DSpritesFactors{}, fmt.Errorf("dsprites index %d is out of range: expected 0..%d", index, DSpritesCount-1)
	}
	var row [len(dspritesFactorNames)]int32
	for j := len(row) - 1; j >= 0; j-- {
		row[j] = int32(index % dspritesFactorSizes[j])
		index /= dspritesFactorSizes[j]
	}
	return dspritesFactorsFromRow(row), nil
}

// DSpritesFactorsFromRow reads one row of a dSprites Set's Factors (Factors.Of(i)).
func DSpritesFactorsFromRow(row []int32) (DSpritesFactors, error) {
	if len(row) != len(dspritesFactorNames) {
		return DSpritesFactors{}, fmt.Errorf("dsprites factors: a row of %d values, expected %d (%v)", len(row), len(dspritesFactorNames), dspritesFactorNames)
	}
	f := dspritesFactorsFromRow([len(dspritesFactorNames)]int32(row))
	return f, f.Check()
}

func dspritesFactorsFromRow(row [len(dspritesFactorNames)]int32) DSpritesFactors {
	return DSpritesFactors{Shape: int(row[0]), Scale: int(row[1]), Orientation: int(row[2]), PosX: int(row[3]), PosY: int(row[4])}
}

// DrawDSprite draws the image of f: 64x64 values, 0 or 1, row-major (row y, then column
// x), with the geometry given at the top of this file. The same factors always give the
// same pixels.
func DrawDSprite(f DSpritesFactors) ([]float32, error) {
	if err := f.Check(); err != nil {
		return nil, err
	}
	image := make([]float32, DSpritesSide*DSpritesSide)
	drawDSprite(image, f)
	return image, nil
}

// drawDSprite sets to 1 the pixels of image (all 0, 64x64) whose centres are inside the
// shape of f (valid). Only the square of side 2R about the centre can hold any.
func drawDSprite(image []float32, f DSpritesFactors) {
	cx, cy := f.Centre()
	r := dspritesRadius * f.ScaleValue()
	sin, cos := math.Sincos(f.Angle())
	x0, x1 := max(0, int(math.Floor(cx-r))), min(DSpritesSide-1, int(math.Ceil(cx+r)))
	y0, y1 := max(0, int(math.Floor(cy-r))), min(DSpritesSide-1, int(math.Ceil(cy+r)))
	for y := y0; y <= y1; y++ {
		dy := cy - float64(y) // Upwards.
		for x := x0; x <= x1; x++ {
			dx := float64(x) - cx
			// Turn the pixel back by the angle into the shape's frame, of radius 1.
			u, v := (dx*cos+dy*sin)/r, (dy*cos-dx*sin)/r
			if insideDSprite(f.Shape, u, v) {
				image[y*DSpritesSide+x] = 1
			}
		}
	}
}

// insideDSprite says whether (u, v) (y up) is inside the shape of outer radius 1 centred
// at the origin, at angle 0.
func insideDSprite(shape int, u, v float64) bool {
	switch shape {
	case DSpritesSquare:
		const half = 1 / math.Sqrt2
		return math.Abs(u) <= half && math.Abs(v) <= half
	case DSpritesEllipse:
		return u*u+4*v*v <= 1
	default: // DSpritesHeart: back to the curve's own coordinates.
		const k = 1 + heartCentroidY // The point (0, -1) is the farthest from the centroid.
		x, y := u*k, v*k+heartCentroidY
		a := x*x + y*y - 1
		return a*a*a-x*x*y*y*y <= 0
	}
}
