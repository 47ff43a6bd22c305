package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers the JPEG decoder with image.Decode
	_ "image/png"  // registers the PNG decoder
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/image/draw"
)

// FolderOptions tells LoadFolder how to read a folder of images. The zero value keeps
// the images' size and colours and holds out 10% of them for the test split.
type FolderOptions struct {
	// Height and Width, when set (both), resize every image to Height x Width pixels:
	// stretched, not cropped, with Catmull-Rom interpolation. 0 and 0 keep the images'
	// own size, which must then be the same for all of them.
	Height, Width int
	// Channels is 1 to read the images as grey (their luma, as color.GrayModel
	// computes it), 3 as red, green and blue. 0 picks 1 when every image is stored as
	// greyscale, else 3.
	Channels int
	// TestFraction is the share of the images held out as the test split when the
	// folder has no train/ and test/ subfolders; 0 means 0.1.
	TestFraction float64
	// Seed picks which images are held out.
	Seed uint64
}

// defaultTestFraction is the share of a folder held out when FolderOptions says none.
const defaultTestFraction = 0.1

// imageExtensions are the file name endings LoadFolder reads (in any case); other
// files are ignored.
var imageExtensions = []string{".png", ".jpg", ".jpeg"}

// maxClasses is how many classes a uint8 label can tell apart.
const maxClasses = 256

// LoadFolder reads one split of a folder of PNG and JPEG images into a Set of values
// in [0,1] (see FolderOptions for the size and channels).
//
// Layout. dir holds either the images themselves (no labels), or one subfolder of
// images per class: the labels are the indices of the sorted subfolder names, which are
// the Set's Classes. Holding both images and subfolders is an error, and so is a class
// subfolder without images or with folders in it. Files and folders whose names start
// with "." are skipped, and so are files without a .png, .jpg or .jpeg ending.
//
// Splits. When dir has subfolders named train and test, they are the two splits, each
// laid out as above (class labels then come from the classes of both). Otherwise the
// test split is a share of dir's images (FolderOptions.TestFraction, at least one
// image), picked by a hash of FolderOptions.Seed and each image's path under dir, and
// the train split is the rest: the same files give the same split on every machine.
//
// Images are read in the sorted order of their paths. Transparent pixels are put on
// white. Any file that cannot be read or decoded, images of different sizes when no
// size is asked for, an empty folder: each is an error naming the file or folder.
func LoadFolder(dir string, split Split, opts FolderOptions) (*Set, error) {
	if _, err := split.filePrefix(); err != nil {
		return nil, err
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	all, mine, classes, err := folderSplit(dir, split, opts)
	if err != nil {
		return nil, err
	}
	shape, err := folderShape(all, opts)
	if err != nil {
		return nil, err
	}
	size := shape.Size()
	set := &Set{Name: ImageFolder, Split: split, N: len(mine), Height: shape.Height, Width: shape.Width,
		Channels: shape.Channels, Images: make([]float32, len(mine)*size), Classes: classes, Source: dir}
	if classes != nil {
		set.Labels = make([]uint8, len(mine))
	}
	for i, f := range mine {
		img, err := readImage(f.path)
		if err != nil {
			return nil, err
		}
		imagePixels(img, shape, set.Images[i*size:(i+1)*size])
		if classes != nil {
			k, _ := slices.BinarySearch(classes, f.class)
			set.Labels[i] = uint8(k)
		}
	}
	return set, nil
}

func (o FolderOptions) check() error {
	if o.Height < 0 || o.Width < 0 || (o.Height == 0) != (o.Width == 0) {
		return fmt.Errorf("FolderOptions: Height %d and Width %d: expected both >= 1 (resize to that size) or both 0 (keep the images' size)",
			o.Height, o.Width)
	}
	if o.Channels != 0 && o.Channels != 1 && o.Channels != 3 {
		return fmt.Errorf("FolderOptions: Channels %d: expected 1 (grey), 3 (colour) or 0 (from the images)", o.Channels)
	}
	if !(o.TestFraction >= 0 && o.TestFraction < 1) {
		return fmt.Errorf("FolderOptions: TestFraction %v: expected a share in [0, 1) (0: %v)", o.TestFraction, defaultTestFraction)
	}
	return nil
}

// imageFile is one image of a folder.
type imageFile struct {
	path  string
	rel   string // the path under the folder being split, with slashes: picks the split
	class string // its class subfolder, "" when the folder has none
}

// folderSplit lists every image of the folder (both splits) and those of split, and
// the sorted class names (nil when the images have no classes).
func folderSplit(dir string, split Split, opts FolderOptions) (all, mine []imageFile, classes []string, err error) {
	top, err := listDir(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	var splitDirs, others []string
	for _, name := range slices.Concat(top.dirs, top.images) {
		if name == string(Train) || name == string(Test) {
			splitDirs = append(splitDirs, name)
		} else {
			others = append(others, name)
		}
	}
	switch {
	case len(splitDirs) == 2:
		if len(others) > 0 {
			return nil, nil, nil, fmt.Errorf("%s: holds train/ and test/ (the splits) and also %s: expected only the two split folders",
				dir, strings.Join(others, ", "))
		}
		train, trainClassed, err := scanImages(filepath.Join(dir, string(Train)))
		if err != nil {
			return nil, nil, nil, err
		}
		test, testClassed, err := scanImages(filepath.Join(dir, string(Test)))
		if err != nil {
			return nil, nil, nil, err
		}
		if trainClassed != testClassed {
			return nil, nil, nil, fmt.Errorf("%s: train/ and test/ differ: one holds class subfolders, the other images: expected the same layout", dir)
		}
		all, mine = slices.Concat(train, test), train
		if split == Test {
			mine = test
		}
	case len(splitDirs) == 1:
		return nil, nil, nil, fmt.Errorf("%s: has a %s/ folder but no %s/: expected both (the two splits) or neither (then a share of the images is held out for testing)",
			dir, splitDirs[0], otherSplit(Split(splitDirs[0])))
	default:
		if all, _, err = scanImages(dir); err != nil {
			return nil, nil, nil, err
		}
		if mine, err = holdOut(dir, all, split, opts); err != nil {
			return nil, nil, nil, err
		}
	}
	for _, f := range all {
		if f.class != "" {
			classes = append(classes, f.class)
		}
	}
	slices.Sort(classes)
	classes = slices.Compact(classes)
	if len(classes) > maxClasses {
		return nil, nil, nil, fmt.Errorf("%s: %d class folders, expected at most %d", dir, len(classes), maxClasses)
	}
	return all, mine, classes, nil
}

func otherSplit(s Split) Split {
	if s == Train {
		return Test
	}
	return Train
}

// dirListing is what a folder holds, by kind, sorted by name; hidden entries left out.
type dirListing struct {
	images, dirs []string
	ignored      int // other files
}

func listDir(dir string) (dirListing, error) {
	var l dirListing
	entries, err := os.ReadDir(dir)
	if err != nil {
		return l, err // *fs.PathError names the folder
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			if info, err := os.Stat(filepath.Join(dir, name)); err == nil {
				isDir = info.IsDir()
			}
		}
		switch {
		case isDir:
			l.dirs = append(l.dirs, name)
		case slices.Contains(imageExtensions, strings.ToLower(filepath.Ext(name))):
			l.images = append(l.images, name)
		default:
			l.ignored++
		}
	}
	return l, nil
}

// scanImages lists the images of one folder: directly in it, or one level down in class
// subfolders (classed).
func scanImages(dir string) (files []imageFile, classed bool, err error) {
	top, err := listDir(dir)
	if err != nil {
		return nil, false, err
	}
	switch {
	case len(top.images) > 0 && len(top.dirs) > 0:
		return nil, false, fmt.Errorf("%s: holds both images (%s) and subfolders (%s): expected either images only (no labels) or one subfolder of images per class",
			dir, top.images[0], top.dirs[0])
	case len(top.images) > 0:
		for _, name := range top.images {
			files = append(files, imageFile{path: filepath.Join(dir, name), rel: name})
		}
		return files, false, nil
	case len(top.dirs) == 0:
		return nil, false, fmt.Errorf("%s: no images found (%d other files ignored): expected .png, .jpg or .jpeg files, or one subfolder of them per class",
			dir, top.ignored)
	}
	for _, class := range top.dirs {
		classDir := filepath.Join(dir, class)
		in, err := listDir(classDir)
		if err != nil {
			return nil, false, err
		}
		if len(in.dirs) > 0 {
			return nil, false, fmt.Errorf("%s: class folder holds a folder (%s): expected images only, one level of class folders", classDir, in.dirs[0])
		}
		if len(in.images) == 0 {
			return nil, false, fmt.Errorf("%s: class folder has no images (%d other files ignored): expected .png, .jpg or .jpeg files (or remove the folder)",
				classDir, in.ignored)
		}
		for _, name := range in.images {
			files = append(files, imageFile{path: filepath.Join(classDir, name), rel: class + "/" + name, class: class})
		}
	}
	return files, true, nil
}

// holdOut returns the files of split: the test split is the TestFraction of them with
// the smallest hashes of (seed, path), the train split the rest, both in path order.
func holdOut(dir string, files []imageFile, split Split, opts FolderOptions) ([]imageFile, error) {
	if len(files) == 1 { // If it is no image, that is what to say.
		if _, err := readImageConfig(files[0].path); err != nil {
			return nil, err
		}
	}
	if len(files) < 2 {
		return nil, fmt.Errorf("%s: holds only %d image: expected at least 2, to hold one out for the test split (or use train/ and test/ subfolders)",
			dir, len(files))
	}
	fraction := opts.TestFraction
	if fraction == 0 {
		fraction = defaultTestFraction
	}
	nTest := min(max(1, int(math.Round(fraction*float64(len(files))))), len(files)-1)
	keys := make([][]byte, len(files))
	var seed [8]byte
	binary.LittleEndian.PutUint64(seed[:], opts.Seed)
	for i, f := range files {
		sum := sha256.Sum256(append(seed[:], f.rel...))
		keys[i] = sum[:]
	}
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	test := make([]bool, len(files))
	for _, i := range order[:nTest] {
		test[i] = true
	}
	var out []imageFile
	for i, f := range files {
		if test[i] == (split == Test) {
			out = append(out, f)
		}
	}
	return out, nil
}

// folderShape reads every image's header (not its pixels) to find the Set's shape:
// the size asked for or the images' common size, and the channels.
func folderShape(files []imageFile, opts FolderOptions) (Shape, error) {
	shape := Shape{Height: opts.Height, Width: opts.Width, Channels: opts.Channels}
	allGrey := true
	var first string
	for _, f := range files {
		cfg, err := readImageConfig(f.path)
		if err != nil {
			return Shape{}, err
		}
		if cfg.Width < 1 || cfg.Height < 1 {
			return Shape{}, fmt.Errorf("%s: image of %dx%d pixels, expected at least 1x1", f.path, cfg.Width, cfg.Height)
		}
		allGrey = allGrey && (cfg.ColorModel == color.GrayModel || cfg.ColorModel == color.Gray16Model)
		if opts.Height > 0 {
			continue
		}
		if first == "" {
			first, shape.Height, shape.Width = f.path, cfg.Height, cfg.Width
		} else if cfg.Height != shape.Height || cfg.Width != shape.Width {
			return Shape{}, &SizesError{Path: f.path, Height: cfg.Height, Width: cfg.Width, First: first, FirstHeight: shape.Height, FirstWidth: shape.Width}
		}
	}
	if shape.Channels == 0 {
		shape.Channels = 3
		if allGrey {
			shape.Channels = 1
		}
	}
	return shape, nil
}

// SizesError is LoadFolder's error for images of different sizes when FolderOptions asks
// for no size: a program can name its own way to give one (Message).
type SizesError struct {
	Path          string // An image whose size differs from First's.
	Height, Width int
	First         string // The first image read.
	FirstHeight   int
	FirstWidth    int
}

func (e *SizesError) Error() string { return e.Message("FolderOptions Height and Width") }

// Message is the error's text, with resize naming how to give a size to resize to.
func (e *SizesError) Message(resize string) string {
	return fmt.Sprintf("%s is %dx%d pixels (height x width) but %s is %dx%d: expected images of one size, or %s to resize them to",
		e.Path, e.Height, e.Width, e.First, e.FirstHeight, e.FirstWidth, resize)
}

func readImageConfig(path string) (image.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return image.Config{}, err // *fs.PathError names the file
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return image.Config{}, fmt.Errorf("%s: cannot read the image header (%v): expected a PNG or JPEG image", path, err)
	}
	return cfg, nil
}

func readImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot decode the image (%v): expected a whole PNG or JPEG image", path, err)
	}
	return img, nil
}

// imagePixels writes img, put on white and resized to shape when its size differs, into
// dst as height x width x channels values in [0,1].
func imagePixels(img image.Image, shape Shape, dst []float32) {
	canvas := image.NewRGBA(image.Rect(0, 0, shape.Width, shape.Height))
	draw.Draw(canvas, canvas.Bounds(), image.White, image.Point{}, draw.Src)
	if b := img.Bounds(); b.Dx() == shape.Width && b.Dy() == shape.Height {
		draw.Draw(canvas, canvas.Bounds(), img, b.Min, draw.Over)
	} else {
		draw.CatmullRom.Scale(canvas, canvas.Bounds(), img, b, draw.Over, nil)
	}
	// canvas is opaque, so its premultiplied values are the colours themselves.
	for p := range shape.Height * shape.Width {
		r, g, b := canvas.Pix[4*p], canvas.Pix[4*p+1], canvas.Pix[4*p+2]
		if shape.Channels == 3 {
			dst[3*p], dst[3*p+1], dst[3*p+2] = pixelScale[r], pixelScale[g], pixelScale[b]
		} else {
			dst[p] = pixelScale[luma(r, g, b)]
		}
	}
}

// luma is the grey level of a colour with color.GrayModel's weights (ITU-R BT.601),
// computed the same way, on 16-bit values.
func luma(r, g, b uint8) uint8 {
	r16, g16, b16 := uint32(r)*0x101, uint32(g)*0x101, uint32(b)*0x101
	return uint8((19595*r16 + 38470*g16 + 7471*b16 + 1<<15) >> 24)
}
