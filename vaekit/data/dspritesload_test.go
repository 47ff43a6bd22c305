package data

import (
	"slices"
	"strings"
	"testing"
)

// small keeps the loads of the tests quick: 3,000 + 1,000 images.
var small = Options{DSprites: DSpritesOptions{TrainImages: 3000, TestImages: 1000}}

func loadBothDSprites(t *testing.T, opts Options) (train, test *Set) {
	t.Helper()
	train, test, err := LoadBoth(DSprites, opts)
	if err != nil {
		t.Fatal(err)
	}
	return train, test
}

// indicesOf returns each image's place among the 737,280 combinations, from its row of
// Factors, checking that the row is the image's own: the image drawn again from it.
func indicesOf(t *testing.T, s *Set) []int {
	t.Helper()
	if err := s.Factors.Check(s.N); err != nil {
		t.Fatal(err)
	}
	indices := make([]int, s.N)
	for i := range s.N {
		f, err := DSpritesFactorsFromRow(s.Factors.Of(i))
		if err != nil {
			t.Fatal(err)
		}
		image, _ := DrawDSprite(f)
		if !slices.Equal(image, s.Image(i)) {
			t.Fatalf("%s image %d is not the drawing of its factors %+v", s.Split, i, f)
		}
		if int(s.Labels[i]) != f.Shape {
			t.Fatalf("%s image %d: label %d, expected its shape %d", s.Split, i, s.Labels[i], f.Shape)
		}
		indices[i], _ = f.Index()
	}
	return indices
}

func TestDSpritesLoad(t *testing.T) {
	train, test := loadBothDSprites(t, small)
	for _, c := range []struct {
		s     *Set
		split Split
		n     int
	}{{train, Train, 3000}, {test, Test, 1000}} {
		s := c.s
		if s.Name != DSprites || s.Split != c.split || s.N != c.n || s.Height != 64 || s.Width != 64 || s.Channels != 1 ||
			len(s.Images) != c.n*4096 || len(s.Labels) != c.n || s.Factors.Count() != c.n {
			t.Errorf("%s: %s %s N=%d %v, %d values, %d labels, %d factor rows; expected %d images of 64x64x1",
				c.split, s.Name, s.Split, s.N, s.Shape(), len(s.Images), len(s.Labels), s.Factors.Count(), c.n)
		}
		if !slices.Equal(s.ClassNames(), []string{"square", "ellipse", "heart"}) || !strings.Contains(s.Source, "Matthey et al. 2017") {
			t.Errorf("%s: class names %q, source %q", c.split, s.ClassNames(), s.Source)
		}
		if !slices.Equal(s.Factors.Names, []string{"shape", "scale", "orientation", "pos_x", "pos_y"}) ||
			!slices.Equal(s.Factors.Sizes, []int{3, 6, 40, 32, 32}) {
			t.Errorf("%s: factors %q of sizes %v", c.split, s.Factors.Names, s.Factors.Sizes)
		}
	}
	trainIdx, testIdx := indicesOf(t, train), indicesOf(t, test)
	seen := map[int]bool{}
	for _, i := range append(slices.Clone(trainIdx), testIdx...) {
		if seen[i] {
			t.Fatalf("combination %d is drawn twice: expected disjoint splits of distinct images", i)
		}
		seen[i] = true
	}
	// The fixed shuffle: a change of seed or of the shuffle changes every dsprites model's data.
	if want := []int{636125, 458582, 608472, 713828}; !slices.Equal(trainIdx[:4], want) {
		t.Errorf("the first training combinations are %v, expected %v (the fixed shuffle changed)", trainIdx[:4], want)
	}
	shapes, _ := train.Factors.Column("shape")
	for shape := range int32(3) {
		if n := len(slices.DeleteFunc(slices.Clone(shapes), func(v int32) bool { return v != shape })); n < 900 || n > 1100 {
			t.Errorf("%d training images of shape %d out of 3000: expected about a third", n, shape)
		}
	}
}

// The same options give the same images; the train split does not depend on the test
// split's size, and a smaller one is the start of a larger one.
func TestDSpritesLoadDeterministic(t *testing.T) {
	train, test := loadBothDSprites(t, small)
	again, againTest := loadBothDSprites(t, small)
	if train.Fingerprint() != again.Fingerprint() || test.Fingerprint() != againTest.Fingerprint() ||
		!slices.Equal(train.Factors.Values, again.Factors.Values) {
		t.Errorf("two loads differ: train %s and %s, test %s and %s", train.Fingerprint(), again.Fingerprint(), test.Fingerprint(), againTest.Fingerprint())
	}
	moreTest, err := Load(DSprites, Train, Options{DSprites: DSpritesOptions{TrainImages: 3000, TestImages: 5000}})
	if err != nil || moreTest.Fingerprint() != train.Fingerprint() {
		t.Errorf("a larger test split changed the train split: %v", err)
	}
	fewer, err := Load(DSprites, Train, Options{DSprites: DSpritesOptions{TrainImages: 1000, TestImages: 10}})
	if err != nil || fewer.Fingerprint() != train.Head(1000).Fingerprint() {
		t.Errorf("1,000 training images are not the first 1,000 of 3,000: %v", err)
	}
}

// Head, Select, Concat and Binarized keep each image's factors with it.
func TestDSpritesSubsetsCarryFactors(t *testing.T) {
	train, _ := loadBothDSprites(t, small)
	head := train.Head(10)
	if head.Factors.Count() != 10 || !slices.Equal(head.Factors.Of(9), train.Factors.Of(9)) {
		t.Errorf("Head(10): %d factor rows", head.Factors.Count())
	}
	picked, err := train.Select(2999, 5)
	if err != nil || picked.Factors.Count() != 2 || !slices.Equal(picked.Factors.Of(0), train.Factors.Of(2999)) ||
		!slices.Equal(picked.Factors.Of(1), train.Factors.Of(5)) {
		t.Fatalf("Select(2999, 5): %v, %v", picked.Factors, err)
	}
	indicesOf(t, picked)
	both, err := Concat(head, picked)
	if err != nil || both.Factors.Count() != 12 || !slices.Equal(both.Factors.Of(11), train.Factors.Of(5)) {
		t.Errorf("Concat: %v, %v", both.Factors, err)
	}
	indicesOf(t, both)
	plain, _ := FromImages([][]float32{train.Image(0)}, 64, 64)
	if mixed, err := Concat(head, plain); err != nil || mixed.Factors != nil {
		t.Errorf("Concat with a set without factors: %v, %v (expected none)", mixed.Factors, err)
	}
	binary := head.Binarized(0.5)
	if !slices.Equal(binary.Factors.Values, head.Factors.Values) {
		t.Fatalf("Binarized changed the factors")
	}
	shape := head.Factors.Values[0]
	binary.Factors.Values[0] = (shape + 1) % 3
	if head.Factors.Values[0] != shape {
		t.Errorf("Binarized shares its factors with the original")
	}
	if plain.Factors != nil || train.Head(0).Factors.Count() != 0 {
		t.Errorf("a set without factors has %v; Head(0) has %d rows", plain.Factors, train.Head(0).Factors.Count())
	}
}

// DSpritesSet draws the combinations asked for, e.g. one factor varying.
func TestDSpritesSet(t *testing.T) {
	var factors []DSpritesFactors
	for x := range 32 {
		factors = append(factors, DSpritesFactors{Shape: DSpritesHeart, Scale: 3, Orientation: 4, PosX: x, PosY: 9})
	}
	s, err := DSpritesSet(factors)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 32 || s.Name != DSprites || s.Split != "" || s.Factors.Count() != 32 {
		t.Fatalf("%d images of %s %q, %d factor rows", s.N, s.Name, s.Split, s.Factors.Count())
	}
	for i, index := range indicesOf(t, s) {
		if want, _ := factors[i].Index(); index != want {
			t.Errorf("image %d is combination %d, expected %d", i, index, want)
		}
	}
	_, err = DSpritesSet([]DSpritesFactors{{}, {Orientation: 40}})
	wantErr(t, err, "factors[1]", "orientation=40", "0..39")
	_, err = DSpritesSet(nil)
	wantErr(t, err, "no factor combinations")
}

func TestDSpritesLoadBadOptions(t *testing.T) {
	for _, tc := range []struct {
		opts DSpritesOptions
		want []string
	}{
		{DSpritesOptions{TrainImages: -1}, []string{"-1 train", "expected counts >= 0"}},
		{DSpritesOptions{TestImages: -5}, []string{"-5 test", ">= 0"}},
		{DSpritesOptions{TrainImages: 737280, TestImages: 1}, []string{"737281 images", "at most 737280"}},
		{DSpritesOptions{TrainImages: 730000}, []string{"730000 train + 10000 test", "at most 737280"}},
	} {
		_, err := Load(DSprites, Train, Options{DSprites: tc.opts})
		wantErr(t, err, tc.want...)
	}
	_, err := Load(DSprites, Test, Options{Dir: "/some/where", DSprites: small.DSprites})
	wantErr(t, err, "dsprites test", "/some/where", "reads no files")
	_, err = Load(DSprites, "validation", small)
	wantErr(t, err, `"validation"`)
	if train, test, err := (DSpritesOptions{}).sizes(); err != nil || train != 60_000 || test != 10_000 {
		t.Errorf("default sizes %d and %d, %v: expected 60,000 and 10,000", train, test, err)
	}
}

func BenchmarkDSpritesLoadBoth(b *testing.B) {
	for b.Loop() {
		if _, _, err := LoadBoth(DSprites, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
