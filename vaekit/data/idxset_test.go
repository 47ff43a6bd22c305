package data

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"slices"
	"testing"
)

// float32Bytes and float64Bytes write values as an IDX file stores them (big-endian).
func float32Bytes(values ...float32) []byte {
	var b []byte
	for _, v := range values {
		b = binary.BigEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func float64Bytes(values ...float64) []byte {
	var b []byte
	for _, v := range values {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

// ramp returns n bytes 0, 1, 2, ...: each pixel tells where it came from.
func ramp(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestLoadIDXShapes(t *testing.T) {
	for _, tc := range []struct {
		name        string
		split       Split
		files       map[string][]byte // gzipped when the name ends in .gz
		shape       Shape
		wantPixels  []float32 // all images, in order
		wantLabels  []uint8
		wantClasses []string
	}{
		{"grey bytes 3x4, labels, gzipped", Train,
			map[string][]byte{
				"train-images-idx3-ubyte.gz": idxBytes([]int{2, 3, 4}, ramp(24)),
				"train-labels-idx1-ubyte.gz": idxBytes([]int{2}, []byte{5, 2}),
				"t10k-images-idx3-ubyte":     idxBytes([]int{1, 1, 1}, []byte{9}), // the other split: not read
			},
			Shape{3, 4, 1}, scaled(ramp(24)), []uint8{5, 2}, []string{"0", "1", "2", "3", "4", "5"}},
		{"colour bytes 2x3x3 (channels last, as in the file)", Test,
			map[string][]byte{"t10k-images-idx4-ubyte": idxBytes([]int{2, 2, 3, 3}, ramp(36))},
			Shape{2, 3, 3}, scaled(ramp(36)), nil, nil},
		{"float32 1x2, test- names", Test,
			map[string][]byte{
				"test-images.idx":    idxFile(idxTypeFloat32, []int{3, 1, 2}, float32Bytes(0, 1, 0.5, 0.25, 1e-7, 0.999)),
				"test-labels.idx.gz": idxBytes([]int{3}, []byte{0, 0, 1}),
			},
			Shape{1, 2, 1}, []float32{0, 1, 0.5, 0.25, 1e-7, 0.999}, []uint8{0, 0, 1}, []string{"0", "1"}},
		{"float64 colour 1x1x3", Train,
			map[string][]byte{"train-images.gz": idxFile(idxTypeFloat64, []int{1, 1, 1, 3}, float64Bytes(0.125, 0.5, 1))},
			Shape{1, 1, 3}, []float32{0.125, 0.5, 1}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeIDXFiles(t, dir, tc.files)
			for _, load := range []struct {
				how string
				fn  func() (*Set, error)
			}{
				{"LoadIDX", func() (*Set, error) { return LoadIDX(dir, tc.split) }},
				{"Load", func() (*Set, error) { return Load(IDXFiles, tc.split, Options{Dir: dir}) }},
			} {
				s, err := load.fn()
				if err != nil {
					t.Fatalf("%s: %v", load.how, err)
				}
				if s.Shape() != tc.shape || s.Channels != tc.shape.Channels || s.N != len(tc.wantPixels)/tc.shape.Size() {
					t.Errorf("%s: N=%d of %v (Channels %d), want %v", load.how, s.N, s.Shape(), s.Channels, tc.shape)
				}
				if !slices.Equal(s.Images, tc.wantPixels) {
					t.Errorf("%s: Images = %v\nwant %v", load.how, s.Images, tc.wantPixels)
				}
				if !slices.Equal(s.Labels, tc.wantLabels) || (s.Labels == nil) != (tc.wantLabels == nil) {
					t.Errorf("%s: Labels = %v, want %v", load.how, s.Labels, tc.wantLabels)
				}
				if !slices.Equal(s.ClassNames(), tc.wantClasses) {
					t.Errorf("%s: ClassNames = %q, want %q", load.how, s.ClassNames(), tc.wantClasses)
				}
				if s.Name != IDXFiles || s.Split != tc.split || s.Source != dir {
					t.Errorf("%s: Name %q Split %q Source %q", load.how, s.Name, s.Split, s.Source)
				}
			}
		})
	}
}

// Image i of a colour set is (y, x, c) with c fastest: pick one value by its coordinates.
func TestIDXChannelsLast(t *testing.T) {
	dir := t.TempDir()
	writeIDXFiles(t, dir, map[string][]byte{"train-images": idxBytes([]int{2, 2, 3, 3}, ramp(36))})
	s, err := LoadIDX(dir, Train)
	if err != nil {
		t.Fatal(err)
	}
	// Image 1, row 1, column 2, channel 1: byte 18 + (1*3+2)*3 + 1 = 34.
	if got, want := s.Image(1)[(1*s.Width+2)*s.Channels+1], float32(34)/255; got != want {
		t.Errorf("image 1 (y=1, x=2, c=1) = %v, want %v", got, want)
	}
}

func TestLoadIDXRejects(t *testing.T) {
	images := idxBytes([]int{2, 2, 2}, ramp(8))
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  func(dir string) []string
	}{
		{"flat images [n pixels]", map[string][]byte{"train-images": idxBytes([]int{2, 4}, ramp(8))},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images"), "IDX dimensions [2 4] do not describe images", "expected [n height width] or [n height width channels]"}
			}},
		{"two channels", map[string][]byte{"train-images.gz": idxBytes([]int{1, 2, 2, 2}, ramp(8))},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images.gz"), "[1 2 2 2] do not describe images: 2 channels, expected 1 (grey) or 3"}
			}},
		{"zero height", map[string][]byte{"train-images": idxBytes([]int{2, 0, 4}, nil)},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images"), "image size 0x4, expected both >= 1"}
			}},
		{"no images in the file", map[string][]byte{"train-images": idxBytes([]int{0, 2, 2}, nil)},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images"), "contains no images"}
			}},
		{"a float above 1", map[string][]byte{"train-images": idxFile(idxTypeFloat32, []int{2, 1, 2}, float32Bytes(0, 0.5, 1, 1.5))},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images"), "value 1.5 of image 1 is outside [0,1]"}
			}},
		{"a negative float64", map[string][]byte{"train-images": idxFile(idxTypeFloat64, []int{1, 1, 2}, float64Bytes(-0.5, 0))},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images"), "value -0.5 of image 0 is outside [0,1]"}
			}},
		{"a NaN", map[string][]byte{"train-images": idxFile(idxTypeFloat32, []int{1, 1, 1}, float32Bytes(float32(math.NaN())))},
			func(dir string) []string { return []string{"value NaN of image 0"} }},
		{"int16 images", map[string][]byte{"train-images": idxFile(idxTypeInt16, []int{1, 1, 1}, []byte{0, 1})},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images"), "element type 0x0b (int16), expected 0x08 (unsigned byte) or 0x0d/0x0e (float32/float64 in [0,1]) images"}
			}},
		{"labels of rank 2", map[string][]byte{"train-images": images, "train-labels": idxBytes([]int{2, 1}, []byte{1, 2})},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-labels"), "expected 1 IDX dimensions [*], got 2 dimensions [2 1]"}
			}},
		{"more labels than images", map[string][]byte{"train-images": images, "train-labels": idxBytes([]int{3}, []byte{1, 2, 3})},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images") + " has 2 images but " + filepath.Join(dir, "train-labels") + " has 3 labels"}
			}},
		{"float labels", map[string][]byte{"train-images": images, "train-labels": idxFile(idxTypeFloat32, []int{2}, float32Bytes(1, 2))},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-labels"), "element type 0x0d (float32), expected 0x08 (unsigned byte) labels"}
			}},
		{"a truncated images file", map[string][]byte{"train-images": images[:len(images)-1]},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images"), "truncated IDX data"}
			}},
		{"no images file for the split", map[string][]byte{"t10k-images": images, "train-labels": idxBytes([]int{2}, []byte{1, 2})},
			func(dir string) []string {
				return []string{dir + ": no train images file: expected one named train-images*"}
			}},
		{"two images files", map[string][]byte{"train-images-idx3-ubyte": images, "train-images-idx3-ubyte.gz": images},
			func(dir string) []string {
				return []string{dir + ": 2 train images files (train-images-idx3-ubyte, train-images-idx3-ubyte.gz): expected one"}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeIDXFiles(t, dir, tc.files)
			s, err := LoadIDX(dir, Train)
			if err == nil {
				t.Fatalf("loaded %d images of %v, want an error", s.N, s.Shape())
			}
			wantErr(t, err, tc.want(dir)...)
			t.Logf("%s ->\n%v", tc.name, err)
			_, err = Load(IDXFiles, Train, Options{Dir: dir})
			wantErr(t, err, append([]string{"idx train from the data directory " + dir + ": "}, tc.want(dir)...)...)
		})
	}

	missing := filepath.Join(t.TempDir(), "missing")
	_, err := LoadIDX(missing, Test)
	wantErr(t, err, missing, "no such file or directory")
	_, err = Load(IDXFiles, Test, Options{})
	wantErr(t, err, "idx test: no directory given: the idx data set is read from Options.Dir")
	_, err = LoadIDX(t.TempDir(), "validation")
	wantErr(t, err, `unknown split "validation"`)
}

// readIDXSet takes the files by path; a labels path of "" means no labels.
func TestReadIDXSet(t *testing.T) {
	dir := t.TempDir()
	writeIDXFiles(t, dir, map[string][]byte{
		"pics.gz": idxBytes([]int{3, 1, 1}, []byte{0, 51, 255}),
		"tags":    idxBytes([]int{3}, []byte{2, 0, 2}),
	})
	s, err := readIDXSet(filepath.Join(dir, "pics.gz"), filepath.Join(dir, "tags"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Images, []float32{0, 0.2, 1}) || !slices.Equal(s.Labels, []uint8{2, 0, 2}) || len(s.ClassNames()) != 3 {
		t.Errorf("Images %v Labels %v ClassNames %q", s.Images, s.Labels, s.ClassNames())
	}
	if s, err = readIDXSet(filepath.Join(dir, "pics.gz"), ""); err != nil || s.Labels != nil || s.ClassNames() != nil {
		t.Errorf("without labels: %v, Labels %v, ClassNames %q", err, s.Labels, s.ClassNames())
	}
}

// writeIDXFiles writes raw IDX bytes under their names, gzipped when a name ends in .gz.
func writeIDXFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, raw := range files {
		if filepath.Ext(name) == ".gz" {
			raw = gzipBytes(t, raw)
		}
		writeFile(t, filepath.Join(dir, name), raw)
	}
}

// scaled maps bytes to pixel values the way a reader of IDX should: b/255.
func scaled(b []byte) []float32 {
	out := make([]float32, len(b))
	for i, v := range b {
		out[i] = float32(v) / 255
	}
	return out
}
