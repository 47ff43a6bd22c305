package data

import (
	"fmt"
	"slices"
	"strings"
)

// Factors are the known generative factors of each image of a data set made from them
// (dSprites: shape, scale, orientation, position), one row of value indices per image.
// Measures of disentanglement compare a model's codes with them, and a picture can vary
// one factor while holding the others; data loaded from files has none (Set.Factors is
// nil).
type Factors struct {
	Names  []string // e.g. "shape", "scale", "orientation", "pos_x", "pos_y"
	Sizes  []int    // how many values each factor takes (3, 6, 40, 32, 32)
	Values []int32  // N rows of len(Names): the index of image i's value of factor f at i*len(Names)+f
}

// Count is the number of rows (images) the table holds: len(Values)/len(Names).
func (f *Factors) Count() int {
	if f == nil || len(f.Names) == 0 {
		return 0
	}
	return len(f.Values) / len(f.Names)
}

// Of returns image i's row, one value index per factor, as a slice view of Values. Like
// a slice index it panics when i is out of range.
func (f *Factors) Of(i int) []int32 {
	k := len(f.Names)
	return f.Values[i*k : (i+1)*k : (i+1)*k]
}

// Column returns every image's value index of the factor named name (a copy), e.g.
// Column("scale"); an unknown name is an error listing the known ones.
func (f *Factors) Column(name string) ([]int32, error) {
	col := slices.Index(f.Names, name)
	if col < 0 {
		return nil, fmt.Errorf("data: Factors: no factor %q: expected one of %s", name, strings.Join(f.Names, ", "))
	}
	out := make([]int32, f.Count())
	for i := range out {
		out[i] = f.Values[i*len(f.Names)+col]
	}
	return out, nil
}

// Check says what is wrong with the table as the factors of n images, or nil: one size
// (>= 1) per name, n rows of one value per factor, and each value an index in [0, its
// factor's size).
func (f *Factors) Check(n int) error {
	if f == nil {
		return fmt.Errorf("data: Factors: none (nil), expected the factors of %d images", n)
	}
	k := len(f.Names)
	if k == 0 || len(f.Sizes) != k {
		return fmt.Errorf("data: Factors: %d names and %d sizes, expected one size per name and at least one factor", k, len(f.Sizes))
	}
	for j, size := range f.Sizes {
		if size < 1 {
			return fmt.Errorf("data: Factors: factor %q has size %d, expected >= 1", f.Names[j], size)
		}
	}
	if len(f.Values) != n*k {
		return fmt.Errorf("data: Factors: %d values for %d images of %d factors (%s): expected %d = %d*%d",
			len(f.Values), n, k, strings.Join(f.Names, ", "), n*k, n, k)
	}
	for i, v := range f.Values {
		if j := i % k; v < 0 || int(v) >= f.Sizes[j] {
			return fmt.Errorf("data: Factors: image %d's factor %q is %d: expected an index in 0..%d", i/k, f.Names[j], v, f.Sizes[j]-1)
		}
	}
	return nil
}

// clone returns a copy of f sharing nothing with it (nil for nil).
func (f *Factors) clone() *Factors {
	if f == nil {
		return nil
	}
	return &Factors{Names: slices.Clone(f.Names), Sizes: slices.Clone(f.Sizes), Values: slices.Clone(f.Values)}
}

// head returns the first n rows, sharing memory with f (nil for nil). Like Set.Head's
// labels it panics when f has fewer than n rows.
func (f *Factors) head(n int) *Factors {
	if f == nil {
		return nil
	}
	end := n * len(f.Names)
	return &Factors{Names: f.Names, Sizes: f.Sizes, Values: f.Values[:end:end]}
}

// sameKind says whether g has the factors of f (names and sizes), so their rows can
// go in one table.
func (f *Factors) sameKind(g *Factors) bool {
	return f != nil && g != nil && slices.Equal(f.Names, g.Names) && slices.Equal(f.Sizes, g.Sizes)
}
