package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadExplicitDir(t *testing.T) {
	isolate(t)
	for _, gz := range []bool{true, false} {
		dir := t.TempDir()
		writeSplit(t, dir, Train, makeSynthetic(4), gz)
		s, err := Load(FashionMNIST, Train, Options{Dir: dir, SkipChecksum: true, NoDownload: true})
		if err != nil {
			t.Fatalf("gzip=%v: %v", gz, err)
		}
		if s.N != 4 || s.Source != dir || s.Name != FashionMNIST || s.Split != Train {
			t.Errorf("gzip=%v: got N=%d Source=%q Name=%q Split=%q", gz, s.N, s.Source, s.Name, s.Split)
		}
		if s.Labels[3] != 3 {
			t.Errorf("gzip=%v: Labels = %v", gz, s.Labels)
		}
	}
}

func TestLoadBoth(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	writeSplit(t, dir, Train, makeSynthetic(6), true)
	writeSplit(t, dir, Test, makeSynthetic(2), true)
	train, test, err := LoadBoth(MNIST, Options{Dir: dir, SkipChecksum: true, NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 6 || test.N != 2 || train.Split != Train || test.Split != Test {
		t.Errorf("train N=%d %s, test N=%d %s", train.N, train.Split, test.N, test.Split)
	}
}

func TestLoadVAEKITData(t *testing.T) {
	isolate(t)
	opts := Options{SkipChecksum: true, NoDownload: true, CacheDir: t.TempDir()}

	// Files directly in $VAEKIT_DATA.
	root := t.TempDir()
	writeSplit(t, root, Test, makeSynthetic(3), true)
	t.Setenv(envData, root)
	s, err := Load(MNIST, Test, opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 3 || s.Source != root {
		t.Errorf("direct: N=%d Source=%q, want 3 from %s", s.N, s.Source, root)
	}

	// A per-dataset subdirectory wins over the files at the top.
	sub := filepath.Join(root, "mnist")
	writeSplit(t, sub, Test, makeSynthetic(2), true)
	s, err = Load(MNIST, Test, opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 2 || s.Source != sub {
		t.Errorf("subdir: N=%d Source=%q, want 2 from %s", s.N, s.Source, sub)
	}
}

func TestLoadFallsThroughCorruptSource(t *testing.T) {
	isolate(t)
	good := makeSynthetic(3)
	useChecksums(t, MNIST, Train, good)

	first := t.TempDir()
	writeSplit(t, first, Train, good, true)
	imagesPath := filepath.Join(first, "train-images-idx3-ubyte.gz")
	gz, err := os.ReadFile(imagesPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(imagesPath, gz[:len(gz)/2], 0o644); err != nil { // cut short
		t.Fatal(err)
	}
	second := t.TempDir()
	writeSplit(t, second, Train, good, true)

	opts := Options{Dir: first, NoDownload: true, CacheDir: t.TempDir()}
	_, err = Load(MNIST, Train, opts)
	wantErr(t, err, "dir "+first+": "+imagesPath, "corrupt or truncated gzip data")

	t.Setenv(envData, second)
	s, err := Load(MNIST, Train, opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != second {
		t.Errorf("Source = %q, want the second source %q", s.Source, second)
	}
}

func TestChecksumMismatch(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	s := makeSynthetic(2)
	writeSplit(t, dir, Train, s, true)
	_, err := Load(MNIST, Train, Options{Dir: dir, NoDownload: true, CacheDir: t.TempDir()})
	wantErr(t, err,
		filepath.Join(dir, "train-images-idx3-ubyte.gz"),
		"checksum mismatch",
		"MD5 of decompressed data is "+md5Hex(s.images),
		"expected "+checksums[MNIST]["train-images-idx3-ubyte"])
}

func TestLoadAllFailListsEveryPlace(t *testing.T) {
	isolate(t)
	modCache := os.Getenv("GOMODCACHE")
	root := t.TempDir()
	t.Setenv(envData, root)
	explicit := filepath.Join(t.TempDir(), "nothing-here")
	cache := t.TempDir()

	t.Run("mnist", func(t *testing.T) {
		_, err := Load(MNIST, Train, Options{Dir: explicit, CacheDir: cache, NoDownload: true})
		wantErr(t, err,
			"mnist train: no usable source:",
			"dir "+explicit+": directory does not exist",
			"$VAEKIT_DATA "+filepath.Join(root, "mnist")+": directory does not exist",
			"$VAEKIT_DATA "+root+": not found: no train-images-idx3-ubyte.gz or train-images-idx3-ubyte",
			"Go module cache "+filepath.Join(modCache, "github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data"),
			"cache "+filepath.Join(cache, "mnist")+": not found",
			"download skipped: Options.NoDownload is set",
		)
		if t.Failed() {
			t.Logf("full error:\n%v", err)
		}
	})

	t.Run("fashion via env, downloads failing", func(t *testing.T) {
		t.Setenv(envData, "")
		t.Setenv(envNoDownload, "1")
		_, err := Load(FashionMNIST, Test, Options{CacheDir: cache})
		wantErr(t, err,
			"fashion-mnist test: no usable source:",
			"$VAEKIT_DATA unset",
			"Debian package dataset-fashion-mnist "+fashionMNISTSystemDir,
			"cache "+filepath.Join(cache, "fashion-mnist")+": not found: no t10k-images-idx3-ubyte.gz",
			"download skipped: VAEKIT_NO_DOWNLOAD=1",
		)
		if n := strings.Count(err.Error(), "\n  - "); n != 4 {
			t.Errorf("error lists %d places, want 4:\n%v", n, err)
		}
	})
}

func TestGoMNISTDir(t *testing.T) {
	got, err := goMNISTDir("/m")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.FromSlash("/m/github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data")
	if got != want {
		t.Errorf("goMNISTDir = %q, want %q", got, want)
	}
}

func TestDefaultModCache(t *testing.T) {
	t.Setenv("GOMODCACHE", "")
	t.Setenv("GOPATH", strings.Join([]string{"/gp1", "/gp2"}, string(os.PathListSeparator)))
	if dir, fromEnv := defaultModCache(); dir != filepath.Join("/gp1", "pkg", "mod") || fromEnv {
		t.Errorf("with GOPATH: %q, %v", dir, fromEnv)
	}
	t.Setenv("GOMODCACHE", "/mc")
	if dir, fromEnv := defaultModCache(); dir != "/mc" || !fromEnv {
		t.Errorf("with GOMODCACHE: %q, %v", dir, fromEnv)
	}
}
