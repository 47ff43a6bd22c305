package vaekit

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/vaekit/vaekit/vaekit/data"
)

// shapeFolder writes a folder of 24x24 colour PNGs, one subfolder per class: filled
// squares and discs of random colours at random places (n per class).
func shapeFolder(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for class, name := range []string{"disc", "square"} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			img := image.NewRGBA(image.Rect(0, 0, 24, 24))
			ink := color.RGBA{uint8(60 * (i % 4)), uint8(255 - 50*(i%5)), uint8(40 * (i % 7)), 255}
			cx, cy, r := 6+i%12, 6+(i*7)%12, 4+i%3
			for y := range 24 {
				for x := range 24 {
					dx, dy := x-cx, y-cy
					inside := dx*dx+dy*dy <= r*r
					if class == 1 {
						inside = dx >= -r && dx <= r && dy >= -r && dy <= r
					}
					if inside {
						img.Set(x, y, ink)
					} else {
						img.Set(x, y, color.White)
					}
				}
			}
			f, err := os.Create(filepath.Join(dir, name, fmt.Sprintf("%03d.png", i)))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	return dir
}

// folderSets loads the folder's colour images resized to size x size, a fifth held out.
func folderSets(t *testing.T, dir string, size int) (train, test *data.Set) {
	t.Helper()
	opts := data.FolderOptions{Height: size, Width: size, Channels: 3, TestFraction: 0.2, Seed: 1}
	train, err := data.LoadFolder(dir, data.Train, opts)
	if err != nil {
		t.Fatal(err)
	}
	if test, err = data.LoadFolder(dir, data.Test, opts); err != nil {
		t.Fatal(err)
	}
	return train, test
}

// A conv VAE trains on a folder of colour images resized to 16x16: the image shape comes
// from the data (Config.WithImageShape), the held-out loss falls, reconstructions and
// samples are 16x16x3, and the model refuses data of another shape.
func TestConvVAETrainsOnAFolderOfColourImages(t *testing.T) {
	dir := shapeFolder(t, 40)
	trainSet, testSet := folderSets(t, dir, 16)
	cfg := smallConvConfig()
	cfg.Dataset, cfg.Reconstruction = "folder", "bernoulli"
	cfg.Steps, cfg.EvalEvery, cfg.BatchSize, cfg.LearningRate = 60, 30, 16, 1e-3
	cfg = cfg.WithImageShape(trainSet.Shape())
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	start := untrainedTerms(t, cfg, testSet)
	m, err := Train(cfg, trainSet, testSet, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	last := m.History[len(m.History)-1].HeldOut
	t.Logf("%d training and %d held-out 16x16x3 images: held-out negative ELBO %.1f -> %.1f nats", trainSet.N, testSet.N, start.NegELBO, last.NegELBO)
	if !(last.NegELBO < start.NegELBO) {
		t.Errorf("held-out negative ELBO %.1f after training, %.1f before: expected a fall", last.NegELBO, start.NegELBO)
	}
	recon, err := m.Reconstruct(testSet.Head(3))
	if err != nil || recon.Shape() != (data.Shape{Height: 16, Width: 16, Channels: 3}) || recon.N != 3 {
		t.Fatalf("Reconstruct: %v, %v", recon.Shape(), err)
	}
	samples, err := m.Sample(2, 1)
	if err != nil || samples.Shape() != recon.Shape() {
		t.Fatalf("Sample: %v, %v", samples.Shape(), err)
	}
	grey, err := data.LoadFolder(dir, data.Test, data.FolderOptions{Height: 16, Width: 16, Channels: 1, TestFraction: 0.2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Reconstruct(grey)
	wantError(t, "a colour model given greyscale images", err, "16x16x1 images", "the model expects 16x16x3")
	loaded := savedCopy(t, m)
	if loaded.Shape() != m.Shape() {
		t.Errorf("the saved model loads as %v images, was %v", loaded.Shape(), m.Shape())
	}
}

// A Config for data of one's own that leaves image_shape at its default takes the shape
// of the images it is trained on; one that pins a shape keeps it, and other data is refused.
func TestOwnDataBringsItsShape(t *testing.T) {
	trainSet, testSet := folderSets(t, shapeFolder(t, 10), 12)
	cfg := smallConfig()
	cfg.Dataset, cfg.Steps, cfg.EvalEvery, cfg.BatchSize = "folder", 4, 2, 4
	m, err := Train(cfg, trainSet, testSet, TrainOptions{Quiet: true})
	if err != nil || m.Shape() != trainSet.Shape() || intList(m.Config.ImageShape) != "12,12,3" {
		t.Fatalf("dataset=folder without image_shape on 12x12x3 images: %v, %v", m, err)
	}
	pinned := cfg.WithImageShape(data.Shape{Height: 16, Width: 16, Channels: 3})
	_, err = Train(pinned, trainSet, testSet, TrainOptions{Quiet: true})
	wantError(t, "image_shape pinned to 16,16,3", err, "12x12x3 images", "the model expects 16x16x3")
}

// MNIST's and CIFAR-10's image shapes are known: a Config that contradicts them is refused
// with the shape to set; data of one's own takes any shape.
func TestImageShapeValidation(t *testing.T) {
	for _, tc := range []struct {
		settings, want string
	}{
		{"image_shape=32,32,3", "mnist's images are 28,28,1"},
		{"dataset=cifar10;image_shape=28,28,1", "cifar10's images are 32,32,3: expected image_shape=32,32,3"},
		{"image_shape=28,28", "expected height,width,channels"},
		{"image_shape=0,28,1", "each >= 1"},
	} {
		cfg := DefaultConfig()
		err := cfg.Set(tc.settings)
		wantError(t, tc.settings, err, tc.want)
	}
	for _, settings := range []string{"dataset=cifar10;image_shape=32,32,3", "dataset=folder;image_shape=64,48,3", "dataset=idx;image_shape=5,7,1"} {
		cfg := DefaultConfig()
		if err := cfg.Set(settings); err != nil {
			t.Errorf("%s: %v", settings, err)
		}
	}
	// A data set with a known shape brings it; so do flags, in any order.
	cfg := DefaultConfig()
	if err := cfg.Set("dataset=cifar10"); err != nil || intList(cfg.ImageShape) != "32,32,3" {
		t.Errorf("dataset=cifar10: image_shape=%v, %v; want 32,32,3", cfg.ImageShape, err)
	}
	if err := cfg.Set("dataset=mnist"); err != nil || intList(cfg.ImageShape) != "28,28,1" {
		t.Errorf("back to mnist: image_shape=%v, %v; want 28,28,1", cfg.ImageShape, err)
	}
}

// Data of one's own has no name that says which data it is: the model cache tells two
// folders apart by their fingerprint (data_id), and loads the model of the same folder.
func TestCacheTellsOwnDataApart(t *testing.T) {
	t.Setenv("VAEKIT_MODELS", t.TempDir())
	load := func(n int) (*data.Set, *data.Set) {
		dir := shapeFolder(t, n)
		opts := data.FolderOptions{Height: 12, Width: 12, Channels: 1, TestFraction: 0.25, Seed: 1}
		train, err := data.LoadFolder(dir, data.Train, opts)
		if err != nil {
			t.Fatal(err)
		}
		test, err := data.LoadFolder(dir, data.Test, opts)
		if err != nil {
			t.Fatal(err)
		}
		return train, test
	}
	cfg := smallConfig()
	cfg.Dataset, cfg.BatchSize, cfg.Steps, cfg.EvalEvery = "folder", 8, 4, 0
	cfg = cfg.WithImageShape(data.Shape{Height: 12, Width: 12, Channels: 1})
	trainA, testA := load(12)
	trainB, testB := load(14)
	a, err := TrainOrLoad(cfg, trainA, testA, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := TrainOrLoad(cfg, trainB, testB, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	again, err := TrainOrLoad(cfg, trainA, testA, TrainOptions{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Config.DataID != trainA.Fingerprint() || b.Config.DataID == a.Config.DataID {
		t.Errorf("data_id: %q and %q, fingerprints %q and %q", a.Config.DataID, b.Config.DataID, trainA.Fingerprint(), trainB.Fingerprint())
	}
	if again.trainer != nil || again.Config.Hash() != a.Config.Hash() {
		t.Error("the same folder's model was trained again instead of loaded")
	}
	dirA, _ := CachedModelDir(a.Config)
	dirB, _ := CachedModelDir(b.Config)
	if dirA == dirB {
		t.Errorf("two folders share the cache entry %s", dirA)
	}
}
