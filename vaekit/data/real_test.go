package data

import (
	"os"
	"testing"
	"time"
)

// These tests read the real datasets from their offline copies, which
// scripts/setup.sh installs, so they never need the network. A missing copy
// fails the test with what to run.

// goMNISTCopy returns the GoMNIST data directory, or fails the test.
func goMNISTCopy(t testing.TB) string {
	t.Helper()
	cache, _ := defaultModCache()
	if dir, err := goMNISTDir(cache); err == nil {
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
	}
	if other := goEnvModCache(); other != "" {
		if dir, err := goMNISTDir(other); err == nil {
			if _, err := os.Stat(dir); err == nil {
				return dir
			}
		}
	}
	t.Fatalf("offline MNIST copy absent: run scripts/setup.sh (its 'go mod download' fetches %s@%s)", goMNISTModule, goMNISTVersion)
	return ""
}

func checkRealSet(t *testing.T, s *Set, n int, firstLabel uint8) {
	t.Helper()
	if s.N != n || s.Height != 28 || s.Width != 28 || len(s.Images) != n*784 || len(s.Labels) != n {
		t.Fatalf("%s %s: N=%d %dx%d, %d pixels, %d labels; want %d 28x28",
			s.Name, s.Split, s.N, s.Height, s.Width, len(s.Images), len(s.Labels), n)
	}
	lo, hi := s.Images[0], s.Images[0]
	for _, p := range s.Images {
		lo, hi = min(lo, p), max(hi, p)
	}
	if lo != 0 || hi != 1 {
		t.Errorf("%s %s: pixel range [%v, %v], want [0, 1]", s.Name, s.Split, lo, hi)
	}
	var seen [10]int
	for _, l := range s.Labels {
		if l > 9 {
			t.Fatalf("label %d out of range", l)
		}
		seen[l]++
	}
	for c, k := range seen {
		if k == 0 {
			t.Errorf("%s %s: class %d never appears", s.Name, s.Split, c)
		}
	}
	if s.Labels[0] != firstLabel {
		t.Errorf("%s %s: first label %d, want %d", s.Name, s.Split, s.Labels[0], firstLabel)
	}
}

func TestRealMNIST(t *testing.T) {
	dir := goMNISTCopy(t)
	root := modCacheOf(t, dir)
	isolate(t) // hide other sources, then point the module cache at the copy
	t.Setenv("GOMODCACHE", root)
	opts := Options{CacheDir: t.TempDir(), NoDownload: true}

	start := time.Now()
	train, err := Load(MNIST, Train, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded MNIST train from %s in %v", train.Source, time.Since(start))
	if train.Source != dir {
		t.Errorf("Source = %q, want the Go module cache copy %q", train.Source, dir)
	}
	checkRealSet(t, train, 60000, 5)

	test, err := Load(MNIST, Test, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkRealSet(t, test, 10000, 7)
}

// modCacheOf recovers the module cache root from the GoMNIST data dir.
func modCacheOf(t *testing.T, dataDir string) string {
	t.Helper()
	for _, root := range []string{func() string { d, _ := defaultModCache(); return d }(), goEnvModCache()} {
		if d, err := goMNISTDir(root); err == nil && d == dataDir {
			return root
		}
	}
	t.Fatalf("cannot find the module cache of %s", dataDir)
	return ""
}

func TestRealFashionMNIST(t *testing.T) {
	dir := fashionMNISTSystemDir
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("offline Fashion-MNIST copy absent (%v): run scripts/setup.sh (it installs the Debian package dataset-fashion-mnist)", err)
	}
	t.Setenv(envData, "")
	train, test, err := LoadBoth(FashionMNIST, Options{CacheDir: t.TempDir(), NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	if train.Source != dir {
		t.Errorf("Source = %q, want %q", train.Source, dir)
	}
	checkRealSet(t, train, 60000, 9)
	checkRealSet(t, test, 10000, 9)
	if got := train.ClassNames()[train.Labels[0]]; got != "Ankle boot" {
		t.Errorf("first train class %q, want Ankle boot", got)
	}
}

func BenchmarkLoadMNISTTrain(b *testing.B) {
	dir := goMNISTCopy(b)
	opts := Options{Dir: dir, NoDownload: true}
	for b.Loop() {
		if _, err := Load(MNIST, Train, opts); err != nil {
			b.Fatal(err)
		}
	}
}
