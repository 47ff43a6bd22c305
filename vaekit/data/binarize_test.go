package data

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBinarized(t *testing.T) {
	s := &Set{Name: MNIST, N: 1, Height: 1, Width: 4, Images: []float32{0, 0.5, 0.51, 1}, Labels: []uint8{3}}
	b := s.Binarized(0.5)
	if want := []float32{0, 0, 1, 1}; !slices.Equal(b.Images, want) {
		t.Errorf("Binarized(0.5) = %v, want %v", b.Images, want)
	}
	if s.Images[1] != 0.5 {
		t.Error("Binarized modified the original images")
	}
	if b.N != 1 || b.Width != 4 || b.Labels[0] != 3 || b.Name != MNIST {
		t.Errorf("Binarized lost metadata: %+v", b)
	}
}

func TestBernoulliBinarize(t *testing.T) {
	src := make([]float32, 100000)
	for i := range src {
		src[i] = float32(i%5) / 4 // 0, .25, .5, .75, 1
	}
	sample := func(seed uint64) []float32 {
		dst := make([]float32, len(src))
		BernoulliBinarize(dst, src, rand.New(rand.NewPCG(seed, 0)))
		return dst
	}
	a, b, c := sample(1), sample(1), sample(2)
	if !slices.Equal(a, b) {
		t.Error("same seed gave different samples")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds gave the same sample")
	}
	var ones [5]int
	for i, v := range a {
		if v != 0 && v != 1 {
			t.Fatalf("dst[%d] = %v, want 0 or 1", i, v)
		}
		if v == 1 {
			ones[i%5]++
		}
	}
	per := len(src) / 5
	if ones[0] != 0 || ones[4] != per {
		t.Errorf("p=0 gave %d ones, p=1 gave %d of %d", ones[0], ones[4], per)
	}
	for k := 1; k < 4; k++ {
		if got, want := float64(ones[k])/float64(per), float64(k)/4; got < want-0.02 || got > want+0.02 {
			t.Errorf("p=%v: frequency of ones %.3f", want, got)
		}
	}

	// In place works too.
	in := slices.Clone(src)
	BernoulliBinarize(in, in, rand.New(rand.NewPCG(1, 0)))
	if !slices.Equal(in, a) {
		t.Error("in-place result differs")
	}
}

func TestBernoulliBinarizeLengthMismatch(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for mismatched lengths")
		}
	}()
	BernoulliBinarize(make([]float32, 2), make([]float32, 3), rand.New(rand.NewPCG(1, 0)))
}
