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

// truncate cuts the file at path to half its size, as an interrupted copy would.
func truncate(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
}

// A source the user named (Options.Dir, $VAEKIT_DATA) is used or Load fails naming the
// bad file and what is wrong with it, even when a default source holds good data; and
// nothing is written to Options.Log (it is no fallback).
func TestNamedSourceIsUsedOrLoadFails(t *testing.T) {
	isolate(t)
	good := makeSynthetic(3)
	useChecksums(t, MNIST, Train, good)
	cache := t.TempDir() // A default source with good files: must not be used instead.
	writeSplit(t, filepath.Join(cache, "mnist"), Train, good, true)
	var log strings.Builder
	opts := Options{NoDownload: true, CacheDir: cache, Log: &log}
	if s, err := Load(MNIST, Train, opts); err != nil || s.Source != filepath.Join(cache, "mnist") {
		t.Fatalf("the default source itself does not load: %v", err)
	}

	broken := t.TempDir()
	writeSplit(t, broken, Train, good, true)
	truncated := filepath.Join(broken, "train-images-idx3-ubyte.gz")
	truncate(t, truncated)
	otherData := t.TempDir() // Complete, but not the files the checksums name.
	other := makeSynthetic(3)
	other.images[200] ^= 1
	writeSplit(t, otherData, Train, other, true)
	partial := t.TempDir() // Only the images.
	writeSplit(t, partial, Train, good, true)
	if err := os.Remove(filepath.Join(partial, "train-labels-idx1-ubyte.gz")); err != nil {
		t.Fatal(err)
	}
	goodDir := t.TempDir()
	writeSplit(t, goodDir, Train, good, true)
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	withBrokenSubdir := t.TempDir() // $VAEKIT_DATA/mnist/ is the named source, not the top.
	writeSplit(t, withBrokenSubdir, Train, good, true)
	writeSplit(t, filepath.Join(withBrokenSubdir, "mnist"), Train, good, true)
	brokenInSubdir := filepath.Join(withBrokenSubdir, "mnist", "train-images-idx3-ubyte.gz")
	truncate(t, brokenInSubdir)

	for _, tc := range []struct {
		name     string
		dir, env string
		want     []string
	}{
		{"Options.Dir with a truncated gzip", broken, goodDir,
			[]string{"mnist train from the data directory " + broken + ": " + truncated + ": corrupt or truncated gzip data"}},
		{"Options.Dir with other data", otherData, "",
			[]string{"from the data directory " + otherData + ": " + filepath.Join(otherData, "train-images-idx3-ubyte.gz") + ": checksum mismatch"}},
		{"Options.Dir with the images only", partial, "",
			[]string{"from the data directory " + partial + ": train-images-idx3-ubyte.gz is there, but: not found: no train-labels-idx1-ubyte.gz"}},
		{"Options.Dir that does not exist", missing, goodDir,
			[]string{"from the data directory " + missing + ": directory does not exist"}},
		{"$VAEKIT_DATA with a truncated gzip", "", broken,
			[]string{"mnist train from $VAEKIT_DATA=" + broken + " (it has no mnist/ subdirectory): " + truncated + ": corrupt or truncated gzip data",
				"unset $VAEKIT_DATA to use the default sources"}},
		{"$VAEKIT_DATA without the files", "", t.TempDir(),
			[]string{"not found: no train-images-idx3-ubyte.gz or train-images-idx3-ubyte"}},
		{"$VAEKIT_DATA/mnist/ broken, good files at the top", "", withBrokenSubdir,
			[]string{"from $VAEKIT_DATA=" + withBrokenSubdir + ": " + brokenInSubdir + ": corrupt or truncated gzip data"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(envData, tc.env)
			opts := opts
			opts.Dir = tc.dir
			log.Reset()
			s, err := Load(MNIST, Train, opts)
			if err == nil {
				t.Fatalf("loaded %d images from %s; want an error", s.N, s.Source)
			}
			wantErr(t, err, tc.want...)
			if log.Len() > 0 {
				t.Errorf("Options.Log got %q, want nothing", log.String())
			}
		})
	}

	// A good named source is used, before the default ones.
	t.Setenv(envData, "")
	if s, err := Load(MNIST, Train, Options{Dir: goodDir, NoDownload: true, CacheDir: cache}); err != nil || s.Source != goodDir {
		t.Errorf("a good Options.Dir: %v, want it used", err)
	}
}

// Among the default sources, one whose files are broken is skipped for the next, and
// Options.Log gets one line naming the file and the problem; without a fallback, nothing.
func TestDefaultSourcesFallBackInOneLine(t *testing.T) {
	isolate(t)
	good := makeSynthetic(3)
	useChecksums(t, MNIST, Train, good)
	cache := t.TempDir()
	writeSplit(t, filepath.Join(cache, "mnist"), Train, good, true)
	var log strings.Builder
	opts := Options{NoDownload: true, CacheDir: cache, Log: &log}

	// No offline copy: the cache is used, and that is no fallback.
	s, err := Load(MNIST, Train, opts)
	if err != nil || s.Source != filepath.Join(cache, "mnist") || log.Len() != 0 {
		t.Fatalf("without an offline copy: %v, Log %q; want the cache, and nothing logged", err, log.String())
	}

	// A truncated offline copy (the GoMNIST module's directory in the module cache).
	offline, err := goMNISTDir(os.Getenv("GOMODCACHE"))
	if err != nil {
		t.Fatal(err)
	}
	writeSplit(t, offline, Train, good, true)
	truncated := filepath.Join(offline, "train-images-idx3-ubyte.gz")
	truncate(t, truncated)
	s, err = Load(MNIST, Train, opts)
	if err != nil || s.Source != filepath.Join(cache, "mnist") {
		t.Fatalf("with a truncated offline copy: %v; want the cache used", err)
	}
	want := "vaekit/data: mnist train loaded from " + filepath.Join(cache, "mnist") + " after skipping Go module cache " + offline + ": " + truncated + ": corrupt or truncated gzip data"
	if got := log.String(); strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, want) {
		t.Errorf("Options.Log got %q\nwant one line starting %q", got, want)
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
	cache := t.TempDir()

	t.Run("mnist", func(t *testing.T) {
		_, err := Load(MNIST, Train, Options{CacheDir: cache, NoDownload: true})
		wantErr(t, err,
			"mnist train: no usable source:",
			"$VAEKIT_DATA unset",
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
