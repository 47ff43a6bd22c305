package data

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeImage encodes img as PNG, or as JPEG when path ends in .jpg or .jpeg, making
// the folders it needs.
func writeImage(t *testing.T, path string, img image.Image) {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg":
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 100})
	default:
		err = png.Encode(&b, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b.Bytes())
}

// tagged is a height x width colour image whose top-left red value is tag, so a test
// can tell which file a Set's image came from; the rest is mid grey.
func tagged(tag uint8, height, width int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			img.SetNRGBA(x, y, color.NRGBA{128, 128, 128, 255})
		}
	}
	img.SetNRGBA(0, 0, color.NRGBA{tag, 0, 0, 255})
	return img
}

// tags reads back the tag of each image of a colour set.
func tags(s *Set) []uint8 {
	out := make([]uint8, s.N)
	for i := range out {
		out[i] = uint8(math.Round(float64(s.Image(i)[0]) * 255))
	}
	return out
}

func uniform(c color.Color, height, width int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			img.Set(x, y, c)
		}
	}
	return img
}

// uniformGrey is an image stored as greyscale, all of level v.
func uniformGrey(v uint8, height, width int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, width, height))
	for i := range img.Pix {
		img.Pix[i] = v
	}
	return img
}

// writeFileIn writes a file, making the folders it needs.
func writeFileIn(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b)
}

func loadFolder(t *testing.T, dir string, split Split, opts FolderOptions) *Set {
	t.Helper()
	s, err := LoadFolder(dir, split, opts)
	if err != nil {
		t.Fatalf("LoadFolder %s: %v", split, err)
	}
	return s
}

// Class subfolders give the labels (sorted names), and a seeded share of the images is
// held out: the two splits are disjoint, cover the folder, and come out the same each time.
func TestLoadFolderClassesAndHeldOut(t *testing.T) {
	dir := t.TempDir()
	classOf := map[uint8]uint8{}
	for i := range 10 {
		class, label := "cat", uint8(0)
		if i >= 6 {
			class, label = "dog", 1
		}
		tag := uint8(10 + i)
		classOf[tag] = label
		writeImage(t, filepath.Join(dir, class, string(rune('a'+i))+".png"), tagged(tag, 2, 3))
	}
	writeFile(t, filepath.Join(dir, "cat", "notes.txt"), []byte("not an image: ignored"))
	writeFile(t, filepath.Join(dir, ".DS_Store"), []byte("hidden: ignored"))

	for _, opts := range []FolderOptions{{}, {TestFraction: 0.5, Seed: 1}, {TestFraction: 0.5, Seed: 2}} {
		train := loadFolder(t, dir, Train, opts)
		test := loadFolder(t, dir, Test, opts)
		wantTest := 1 // 0.1 of 10
		if opts.TestFraction == 0.5 {
			wantTest = 5
		}
		if train.N != 10-wantTest || test.N != wantTest {
			t.Errorf("%+v: %d train and %d test images, want %d and %d", opts, train.N, test.N, 10-wantTest, wantTest)
		}
		for _, s := range []*Set{train, test} {
			if s.Shape() != (Shape{2, 3, 3}) || s.Channels != 3 || s.Name != ImageFolder || s.Source != dir {
				t.Errorf("%s: %v, Channels %d, Name %q, Source %q", s.Split, s.Shape(), s.Channels, s.Name, s.Source)
			}
			if !slices.Equal(s.ClassNames(), []string{"cat", "dog"}) {
				t.Errorf("%s: ClassNames %q, want [cat dog]", s.Split, s.ClassNames())
			}
			got := tags(s)
			if !slices.IsSorted(got) {
				t.Errorf("%s: images %v not in path order", s.Split, got)
			}
			for i, tag := range got {
				if s.Labels[i] != classOf[tag] {
					t.Errorf("%s: image %d (tag %d) has label %d, want %d", s.Split, i, tag, s.Labels[i], classOf[tag])
				}
			}
		}
		all := slices.Sorted(slices.Values(slices.Concat(tags(train), tags(test))))
		if !slices.Equal(all, []uint8{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}) {
			t.Errorf("%+v: train and test together hold %v, want each image once", opts, all)
		}
		if again := loadFolder(t, dir, Test, opts); !slices.Equal(tags(again), tags(test)) {
			t.Errorf("%+v: test split %v, then %v", opts, tags(test), tags(again))
		}
	}
	a := loadFolder(t, dir, Test, FolderOptions{TestFraction: 0.5, Seed: 1})
	b := loadFolder(t, dir, Test, FolderOptions{TestFraction: 0.5, Seed: 2})
	if slices.Equal(tags(a), tags(b)) {
		t.Errorf("seeds 1 and 2 held out the same images %v", tags(a))
	}
	// Through Load, with the options in Options.Folder.
	s, err := Load(ImageFolder, Test, Options{Dir: dir, Folder: FolderOptions{TestFraction: 0.5, Seed: 1}})
	if err != nil || !slices.Equal(tags(s), tags(a)) {
		t.Errorf("Load(folder): %v, tags %v, want %v", err, tags(s), tags(a))
	}
}

// train/ and test/ subfolders are the splits; labels come from the classes of both.
func TestLoadFolderSplitFolders(t *testing.T) {
	dir := t.TempDir()
	// The test split has a class the train split lacks, first in the sorted order.
	writeImage(t, filepath.Join(dir, "train", "banana", "1.png"), tagged(1, 2, 2))
	writeImage(t, filepath.Join(dir, "train", "cherry", "2.png"), tagged(2, 2, 2))
	writeImage(t, filepath.Join(dir, "test", "apple", "3.png"), tagged(3, 2, 2))
	writeImage(t, filepath.Join(dir, "test", "banana", "4.png"), tagged(4, 2, 2))
	writeFile(t, filepath.Join(dir, "README"), []byte("ignored"))
	train := loadFolder(t, dir, Train, FolderOptions{})
	test := loadFolder(t, dir, Test, FolderOptions{})
	want := []string{"apple", "banana", "cherry"}
	if !slices.Equal(train.ClassNames(), want) || !slices.Equal(test.ClassNames(), want) {
		t.Errorf("ClassNames %q and %q, want %q for both", train.ClassNames(), test.ClassNames(), want)
	}
	if !slices.Equal(tags(train), []uint8{1, 2}) || !slices.Equal(train.Labels, []uint8{1, 2}) {
		t.Errorf("train: tags %v labels %v", tags(train), train.Labels)
	}
	if !slices.Equal(tags(test), []uint8{3, 4}) || !slices.Equal(test.Labels, []uint8{0, 1}) {
		t.Errorf("test: tags %v labels %v", tags(test), test.Labels)
	}

	// Unlabelled splits.
	flat := t.TempDir()
	writeImage(t, filepath.Join(flat, "train", "a.png"), tagged(5, 1, 1))
	writeImage(t, filepath.Join(flat, "test", "b.png"), tagged(6, 1, 1))
	s := loadFolder(t, flat, Test, FolderOptions{})
	if s.N != 1 || tags(s)[0] != 6 || s.Labels != nil || s.ClassNames() != nil {
		t.Errorf("unlabelled test split: N %d tags %v Labels %v ClassNames %q", s.N, tags(s), s.Labels, s.ClassNames())
	}
}

func TestLoadFolderPixels(t *testing.T) {
	dir := t.TempDir()
	img := uniform(color.NRGBA{0, 0, 255, 255}, 2, 3)
	img.SetNRGBA(2, 1, color.NRGBA{255, 128, 0, 255}) // x=2, y=1
	img.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 128})   // half-transparent red
	writeImage(t, filepath.Join(dir, "train", "a.png"), img)
	writeImage(t, filepath.Join(dir, "test", "b.png"), img)

	s := loadFolder(t, dir, Train, FolderOptions{})
	pixel := func(s *Set, y, x int) []float32 {
		i := (y*s.Width + x) * s.Channels
		return s.Image(0)[i : i+s.Channels]
	}
	near := func(what string, got []float32, want ...float64) {
		t.Helper()
		for c := range want {
			if math.Abs(float64(got[c])-want[c]) > 0.5/255 {
				t.Errorf("%s: channel %d = %v (%.1f/255), want %v (%.1f/255)", what, c, got[c], got[c]*255, want[c], want[c]*255)
			}
		}
	}
	near("y=1 x=2, channels last", pixel(s, 1, 2), 1, 128.0/255, 0)
	near("y=1 x=1", pixel(s, 1, 1), 0, 0, 1)
	// Red at alpha 128/255 over white: 255 in red, 255*(1-128/255) = 127 in green and blue.
	near("half-transparent red on white", pixel(s, 0, 0), 1, 127.0/255, 127.0/255)

	grey := loadFolder(t, dir, Train, FolderOptions{Channels: 1})
	if grey.Channels != 1 || grey.ImageSize() != 6 {
		t.Fatalf("Channels: 1 gave %v", grey.Shape())
	}
	orange := color.GrayModel.Convert(color.RGBA{255, 128, 0, 255}).(color.Gray).Y
	near("grey of orange (color.GrayModel)", pixel(grey, 1, 2), float64(orange)/255)
	blue := color.GrayModel.Convert(color.RGBA{0, 0, 255, 255}).(color.Gray).Y
	near("grey of blue", pixel(grey, 1, 1), float64(blue)/255)
}

// Channels 0 follows the images: grey when all are stored grey, colour otherwise (a
// grey image in a colour set has equal channels). JPEG too.
func TestLoadFolderChannels(t *testing.T) {
	greyImage := image.NewGray(image.Rect(0, 0, 3, 2))
	for i := range greyImage.Pix {
		greyImage.Pix[i] = uint8(40 * i)
	}
	dir := t.TempDir()
	writeImage(t, filepath.Join(dir, "train", "g.png"), greyImage)
	writeImage(t, filepath.Join(dir, "test", "g.png"), greyImage)
	s := loadFolder(t, dir, Train, FolderOptions{})
	if s.Channels != 1 || !slices.Equal(s.Images, scaled(greyImage.Pix)) {
		t.Errorf("grey PNGs: Channels %d, Images %v, want 1 and %v", s.Channels, s.Images, scaled(greyImage.Pix))
	}

	writeImage(t, filepath.Join(dir, "test", "h.png"), tagged(9, 2, 3)) // one colour image
	s = loadFolder(t, dir, Train, FolderOptions{})
	if s.Channels != 3 {
		t.Fatalf("grey and colour PNGs: Channels %d, want 3", s.Channels)
	}
	for p := range 6 {
		if v := s.Images[3*p : 3*p+3]; v[0] != scaled(greyImage.Pix)[p] || v[1] != v[0] || v[2] != v[0] {
			t.Errorf("grey image in a colour set, pixel %d = %v, want 3 x %v", p, v, scaled(greyImage.Pix)[p])
		}
	}

	jpegs := t.TempDir()
	writeImage(t, filepath.Join(jpegs, "a.jpg"), uniformGrey(100, 8, 8))
	writeImage(t, filepath.Join(jpegs, "b.JPEG"), uniformGrey(200, 8, 8))
	s = loadFolder(t, jpegs, Train, FolderOptions{})
	if s.Channels != 1 || s.N != 1 {
		t.Fatalf("grey JPEGs: N %d Channels %d, want 1 and 1", s.N, s.Channels)
	}
	for _, v := range s.Images { // one of the two, whichever was not held out
		if got := float64(v) * 255; math.Abs(got-100) > 2 && math.Abs(got-200) > 2 {
			t.Fatalf("grey JPEG value %.1f/255, want about 100 or 200", got)
		}
	}
	colourJPEG := t.TempDir()
	writeImage(t, filepath.Join(colourJPEG, "a.jpeg"), uniform(color.NRGBA{200, 30, 60, 255}, 8, 8))
	writeImage(t, filepath.Join(colourJPEG, "b.jpg"), uniform(color.NRGBA{200, 30, 60, 255}, 8, 8))
	s = loadFolder(t, colourJPEG, Test, FolderOptions{})
	if s.Channels != 3 {
		t.Fatalf("colour JPEGs: Channels %d, want 3", s.Channels)
	}
	for c, want := range []float64{200, 30, 60} { // JPEG is lossy: within a few levels
		if got := float64(s.Images[c]) * 255; math.Abs(got-want) > 3 {
			t.Errorf("colour JPEG channel %d = %.1f/255, want about %v", c, got, want)
		}
	}
}

// catmullRom is the Catmull-Rom cubic (B=0, C=1/2), written from its definition.
func catmullRom(t float64) float64 {
	t = math.Abs(t)
	switch {
	case t < 1:
		return 1.5*t*t*t - 2.5*t*t + 1
	case t < 2:
		return -0.5*t*t*t + 2.5*t*t - 4*t + 2
	}
	return 0
}

// Resizing: the size asked for, whatever each image's own size, and Catmull-Rom values.
func TestLoadFolderResize(t *testing.T) {
	dir := t.TempDir()
	// 4x4, left half black, right half white; and a 6x2 uniform image.
	halves := image.NewGray(image.Rect(0, 0, 4, 4))
	for y := range 4 {
		for x := 2; x < 4; x++ {
			halves.SetGray(x, y, color.Gray{255})
		}
	}
	writeImage(t, filepath.Join(dir, "train", "halves.png"), halves)
	writeImage(t, filepath.Join(dir, "train", "tall.png"), uniformGrey(77, 6, 2))
	writeImage(t, filepath.Join(dir, "test", "x.png"), uniformGrey(0, 3, 3))
	s := loadFolder(t, dir, Train, FolderOptions{Height: 2, Width: 2})
	if s.Shape() != (Shape{2, 2, 1}) || s.N != 2 {
		t.Fatalf("resized to %v, N %d; want 2x2x1, 2", s.Shape(), s.N)
	}
	// Halving a row: output column 0 is centred on source x = 0.5; the kernel is
	// stretched by 2, and only source pixels inside the image count, renormalised.
	var sum, white float64
	for sx := range 4 {
		w := catmullRom((0.5 - float64(sx)) / 2)
		sum += w
		if sx >= 2 {
			white += w
		}
	}
	want := []float64{white / sum, 1 - white/sum} // by symmetry
	for y := range 2 {
		for x := range 2 {
			if got := float64(s.Image(0)[y*2+x]); math.Abs(got-want[x]) > 1.0/255 {
				t.Errorf("halves resized, y=%d x=%d: %.4f, want %.4f", y, x, got, want[x])
			}
		}
	}
	if want[0] < 0.05 {
		t.Fatalf("the closed form says %v: the check would not tell Catmull-Rom from nearest", want)
	}
	for i, v := range s.Image(1) {
		if v != float32(77)/255 {
			t.Errorf("uniform 6x2 image resized, value %d = %v, want 77/255", i, v)
		}
	}
}

// Bad folders: each error names the file or folder and what was expected.
func TestLoadFolderRejects(t *testing.T) {
	good := tagged(1, 2, 3)
	pngBytes := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	whole := pngBytes(tagged(1, 8, 8))
	for _, tc := range []struct {
		name  string
		make  func(t *testing.T, dir string)
		opts  FolderOptions
		split Split
		want  func(dir string) []string
	}{
		{"images of two sizes, no resize", func(t *testing.T, dir string) {
			writeImage(t, filepath.Join(dir, "a.png"), good)
			writeImage(t, filepath.Join(dir, "b.png"), tagged(2, 3, 2))
		}, FolderOptions{}, Train, func(dir string) []string {
			return []string{filepath.Join(dir, "b.png") + " is 3x2 pixels (height x width) but " + filepath.Join(dir, "a.png") + " is 2x3",
				"expected images of one size, or FolderOptions Height and Width"}
		}},
		{"not an image", func(t *testing.T, dir string) {
			writeImage(t, filepath.Join(dir, "a.png"), good)
			writeFile(t, filepath.Join(dir, "b.jpg"), []byte("<html>not a picture</html>"))
		}, FolderOptions{}, Train, func(dir string) []string {
			return []string{filepath.Join(dir, "b.jpg") + ": cannot read the image header (image: unknown format): expected a PNG or JPEG image"}
		}},
		{"a truncated PNG", func(t *testing.T, dir string) {
			writeFileIn(t, filepath.Join(dir, "train", "cut.png"), whole[:len(whole)/2])
			writeImage(t, filepath.Join(dir, "test", "b.png"), tagged(1, 8, 8))
		}, FolderOptions{}, Train, func(dir string) []string {
			return []string{filepath.Join(dir, "train", "cut.png") + ": cannot decode the image", "expected a whole PNG or JPEG image"}
		}},
		{"an image that cannot be opened", func(t *testing.T, dir string) {
			writeImage(t, filepath.Join(dir, "a.png"), good)
			if err := os.Symlink(filepath.Join(dir, "nowhere.png"), filepath.Join(dir, "b.png")); err != nil {
				t.Fatal(err)
			}
		}, FolderOptions{}, Train, func(dir string) []string {
			return []string{filepath.Join(dir, "b.png"), "no such file or directory"}
		}},
		{"an empty folder", func(t *testing.T, dir string) {}, FolderOptions{}, Train, func(dir string) []string {
			return []string{dir + ": no images found (0 other files ignored): expected .png, .jpg or .jpeg files, or one subfolder of them per class"}
		}},
		{"a folder of other files", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "a.gif"), []byte("GIF89a"))
		}, FolderOptions{}, Test, func(dir string) []string {
			return []string{dir + ": no images found (1 other files ignored)"}
		}},
		{"a class folder without images", func(t *testing.T, dir string) {
			writeImage(t, filepath.Join(dir, "cat", "a.png"), good)
			writeImage(t, filepath.Join(dir, "cat", "b.png"), good)
			writeFileIn(t, filepath.Join(dir, "dog", "notes.txt"), nil)
		}, FolderOptions{}, Train, func(dir string) []string {
			return []string{filepath.Join(dir, "dog") + ": class folder has no images (1 other files ignored)"}
		}},
		{"images beside class folders", func(t *testing.T, dir string) {
			writeImage(t, filepath.Join(dir, "cat", "a.png"), good)
			writeImage(t, filepath.Join(dir, "stray.png"), good)
		}, FolderOptions{}, Train, func(dir string) []string {
			return []string{dir + ": holds both images (stray.png) and subfolders (cat)", "expected either images only (no labels) or one subfolder of images per class"}
		}},
		{"a folder in a class folder", func(t *testing.T, dir string) {
			writeImage(t, filepath.Join(dir, "cat", "a.png"), good)
			writeImage(t, filepath.Join(dir, "cat", "kittens", "b.png"), good)
		}, FolderOptions{}, Train, func(dir string) []string {
			return []string{filepath.Join(dir, "cat") + ": class folder holds a folder (kittens)"}
		}},
		{"train/ without test/", func(t *testing.T, dir string) {
			writeImage(t, filepath.Join(dir, "train", "a.png"), good)
		}, FolderOptions{}, Train, func(dir string) []string {
			return []string{dir + ": has a train/ folder but no test/: expected both"}
		}},
		{"train/ and test/ and more", func(t *testing.T, dir string) {
			writeImage(t, filepath.Join(dir, "train", "a.png"), good)
			writeImage(t, filepath.Join(dir, "test", "a.png"), good)
			writeImage(t, filepath.Join(dir, "extra", "a.png"), good)
		}, FolderOptions{}, Test, func(dir string) []string {
			return []string{dir + ": holds train/ and test/ (the splits) and also extra"}
		}},
		{"train/ labelled, test/ not", func(t *testing.T, dir string) {
			writeImage(t, filepath.Join(dir, "train", "cat", "a.png"), good)
			writeImage(t, filepath.Join(dir, "test", "a.png"), good)
		}, FolderOptions{}, Test, func(dir string) []string {
			return []string{dir + ": train/ and test/ differ"}
		}},
		{"one image, nothing to hold out", func(t *testing.T, dir string) {
			writeImage(t, filepath.Join(dir, "a.png"), good)
		}, FolderOptions{}, Train, func(dir string) []string {
			return []string{dir + ": holds only 1 image: expected at least 2"}
		}},
		{"one file, not an image", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "x.png"), []byte("not a picture"))
		}, FolderOptions{}, Train, func(dir string) []string {
			return []string{filepath.Join(dir, "x.png") + ": cannot read the image header (image: unknown format): expected a PNG or JPEG image"}
		}},
		{"a folder that does not exist", func(t *testing.T, dir string) {
			if err := os.Remove(dir); err != nil {
				t.Fatal(err)
			}
		}, FolderOptions{}, Train, func(dir string) []string {
			return []string{dir, "no such file or directory"}
		}},
		{"257 classes", func(t *testing.T, dir string) {
			dot := image.NewGray(image.Rect(0, 0, 1, 1))
			for i := range 257 {
				writeImage(t, filepath.Join(dir, fmt.Sprintf("c%03d", i), "a.png"), dot)
			}
		}, FolderOptions{}, Train, func(dir string) []string {
			return []string{dir + ": 257 class folders, expected at most 256"}
		}},
		{"a height without a width", func(t *testing.T, dir string) {}, FolderOptions{Height: 28}, Train, func(dir string) []string {
			return []string{"FolderOptions: Height 28 and Width 0: expected both >= 1"}
		}},
		{"two channels", func(t *testing.T, dir string) {}, FolderOptions{Channels: 2}, Train, func(dir string) []string {
			return []string{"FolderOptions: Channels 2: expected 1 (grey), 3 (colour) or 0"}
		}},
		{"everything held out", func(t *testing.T, dir string) {}, FolderOptions{TestFraction: 1}, Train, func(dir string) []string {
			return []string{"FolderOptions: TestFraction 1: expected a share in [0, 1)"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.make(t, dir)
			s, err := LoadFolder(dir, tc.split, tc.opts)
			if err == nil {
				t.Fatalf("loaded %d images of %v, want an error", s.N, s.Shape())
			}
			wantErr(t, err, tc.want(dir)...)
			t.Logf("%s ->\n%v", tc.name, err)
			_, err = Load(ImageFolder, tc.split, Options{Dir: dir, Folder: tc.opts})
			wantErr(t, err, append([]string{"folder " + string(tc.split) + " from the data directory " + dir + ": "}, tc.want(dir)...)...)
		})
	}
	_, err := Load(ImageFolder, Train, Options{})
	wantErr(t, err, "folder train: no directory given: the folder data set is read from Options.Dir")

	// Images of two sizes: a program can name its own way to give a size.
	dir := t.TempDir()
	writeImage(t, filepath.Join(dir, "a.png"), good)
	writeImage(t, filepath.Join(dir, "b.png"), tagged(2, 3, 2))
	_, err = Load(ImageFolder, Train, Options{Dir: dir})
	var sizes *SizesError
	if !errors.As(err, &sizes) || !strings.HasSuffix(sizes.Message("-image_shape"), "expected images of one size, or -image_shape to resize them to") {
		t.Errorf("images of two sizes: %v; want a *SizesError", err)
	}
}
