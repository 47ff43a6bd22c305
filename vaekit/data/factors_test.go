package data

import (
	"slices"
	"testing"
)

func factorTable(values ...int32) *Factors {
	return &Factors{Names: []string{"colour", "size"}, Sizes: []int{3, 2}, Values: values}
}

func TestFactors(t *testing.T) {
	f := factorTable(0, 1, 2, 0, 1, 1)
	if err := f.Check(3); err != nil {
		t.Fatal(err)
	}
	if f.Count() != 3 || !slices.Equal(f.Of(1), []int32{2, 0}) {
		t.Errorf("Count %d, Of(1) %v: expected 3 and [2 0]", f.Count(), f.Of(1))
	}
	if col, err := f.Column("size"); err != nil || !slices.Equal(col, []int32{1, 0, 1}) {
		t.Errorf("Column(size) = %v, %v", col, err)
	}
	_, err := f.Column("shape")
	wantErr(t, err, `no factor "shape"`, "colour, size")
	var none *Factors
	if none.Count() != 0 {
		t.Errorf("a nil table counts %d rows", none.Count())
	}
}

func TestFactorsCheck(t *testing.T) {
	for _, tc := range []struct {
		f    *Factors
		n    int
		want []string
	}{
		{factorTable(0, 1, 2), 2, []string{"3 values for 2 images of 2 factors (colour, size)", "expected 4"}},
		{factorTable(0, 1, 3, 0), 2, []string{`image 1's factor "colour" is 3`, "0..2"}},
		{factorTable(0, -1), 1, []string{`image 0's factor "size" is -1`, "0..1"}},
		{&Factors{Names: []string{"a"}, Sizes: []int{2, 3}}, 0, []string{"1 names and 2 sizes"}},
		{&Factors{Names: []string{"a"}, Sizes: []int{0}}, 0, []string{`factor "a" has size 0`}},
		{nil, 4, []string{"none (nil)", "4 images"}},
	} {
		wantErr(t, tc.f.Check(tc.n), tc.want...)
	}
	// A Set whose table is short is refused by Select, not read past its end.
	s := &Set{N: 2, Height: 1, Width: 1, Images: []float32{0, 1}, Factors: factorTable(0, 1)}
	_, err := s.Select(1)
	wantErr(t, err, "Select", "2 values for 2 images of 2 factors", "expected 4")
}

// Head, Select, Concat and Binarized keep each image's row of factors with it.
func TestSetsCarryFactors(t *testing.T) {
	s := &Set{N: 3, Height: 1, Width: 1, Images: []float32{0.2, 0.6, 0.9}, Factors: factorTable(0, 1, 2, 0, 1, 1)}
	if head := s.Head(2); !slices.Equal(head.Factors.Values, []int32{0, 1, 2, 0}) {
		t.Errorf("Head(2) factors %v", head.Factors.Values)
	}
	picked, err := s.Select(2, 0)
	if err != nil || !slices.Equal(picked.Factors.Values, []int32{1, 1, 0, 1}) || picked.Factors.Check(2) != nil {
		t.Errorf("Select(2, 0): factors %v, %v", picked.Factors, err)
	}
	both, err := Concat(s.Head(1), picked)
	if err != nil || !slices.Equal(both.Factors.Values, []int32{0, 1, 1, 1, 0, 1}) {
		t.Errorf("Concat: factors %v, %v", both.Factors, err)
	}
	other := &Set{N: 1, Height: 1, Width: 1, Images: []float32{0}, Factors: &Factors{Names: []string{"x"}, Sizes: []int{2}, Values: []int32{1}}}
	for _, mixed := range [][]*Set{{s, other}, {s, {N: 1, Height: 1, Width: 1, Images: []float32{0}}}} {
		if out, err := Concat(mixed...); err != nil || out.Factors != nil {
			t.Errorf("Concat of sets with other factors or none: %v, %v (expected none)", out.Factors, err)
		}
	}
	binary := s.Binarized(0.5)
	binary.Factors.Values[0] = 2
	if !slices.Equal(binary.Factors.Values[1:], s.Factors.Values[1:]) || s.Factors.Values[0] != 0 {
		t.Errorf("Binarized: factors %v, the original's now %v (expected a copy)", binary.Factors.Values, s.Factors.Values)
	}
}
