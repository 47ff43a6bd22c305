package data

// Bad input to the package's public functions that the other tests leave out: each is an
// error naming the file or value and what was expected, never a panic. (Corrupt, truncated
// and mis-tagged IDX streams: idx_test.go and FuzzParseIDX; checksum mismatches and
// truncated .gz files in named and default sources: sources_test.go; broken downloads:
// download_test.go.)

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

// loadNoPanic calls Load and turns a panic into a test failure.
func loadNoPanic(t *testing.T, name Name, split Split, opts Options) (s *Set, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("Load panicked: %v\n%s", r, debug.Stack())
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return Load(name, split, opts)
}

// A data file whose size does not match its header, or the checksum: each names the file.
func TestLoadRejectsBadFiles(t *testing.T) {
	good := makeSynthetic(5)
	for _, tc := range []struct {
		name    string
		gz      bool
		write   func(t *testing.T, dir string) // After the good files are written.
		options Options
		want    func(dir string) []string
	}{
		{"images file shorter than its header says", false,
			func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte"), good.images[:len(good.images)-784])
			},
			Options{SkipChecksum: true},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images-idx3-ubyte"), "truncated IDX data", "expected 3920 bytes, got 3136"}
			}},
		{"images file longer than its header says", false,
			func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte"), append(append([]byte{}, good.images...), make([]byte, 784)...))
			},
			Options{SkipChecksum: true},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images-idx3-ubyte"), "784 trailing bytes after IDX data"}
			}},
		{"labels file cut inside the gzip stream", true,
			func(t *testing.T, dir string) {
				gz := gzipBytes(t, good.labels)
				writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte.gz"), gz[:len(gz)-10])
			},
			Options{SkipChecksum: true},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-labels-idx1-ubyte.gz"), "corrupt or truncated gzip data"}
			}},
		{"an empty images file", true,
			func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), nil) },
			Options{SkipChecksum: true},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images-idx3-ubyte.gz"), "truncated IDX header", "got 0"}
			}},
		{"an HTML page saved under the file's name", true,
			func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), []byte("<html><body>Moved</body></html>"))
			},
			Options{SkipChecksum: true},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images-idx3-ubyte.gz"), "bad IDX magic", "not an IDX file?"}
			}},
		{"the right size but other data (checksum)", true,
			func(t *testing.T, dir string) {
				other := makeSynthetic(5)
				other.images[100] ^= 0xff
				writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), gzipBytes(t, other.images))
			},
			Options{},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images-idx3-ubyte.gz"), "checksum mismatch", "expected " + md5Hex(good.images)}
			}},
		{"a labels file of images", true,
			func(t *testing.T, dir string) {
				writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte.gz"), gzipBytes(t, good.images))
			},
			Options{SkipChecksum: true},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-labels-idx1-ubyte.gz"), "expected 1 IDX dimensions [*], got 3 dimensions [5 28 28]"}
			}},
		{"a directory where a file should be", true,
			func(t *testing.T, dir string) {
				path := filepath.Join(dir, "train-images-idx3-ubyte.gz")
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(path, 0o755); err != nil {
					t.Fatal(err)
				}
			},
			Options{SkipChecksum: true},
			func(dir string) []string {
				return []string{filepath.Join(dir, "train-images-idx3-ubyte.gz"), "is a directory, expected an IDX file"}
			}},
		{"the labels file missing", true,
			func(t *testing.T, dir string) {
				if err := os.Remove(filepath.Join(dir, "train-labels-idx1-ubyte.gz")); err != nil {
					t.Fatal(err)
				}
			},
			Options{SkipChecksum: true},
			func(dir string) []string {
				return []string{dir, "not found: no train-labels-idx1-ubyte.gz or train-labels-idx1-ubyte"}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolate(t)
			useChecksums(t, MNIST, Train, good)
			dir := t.TempDir()
			writeSplit(t, dir, Train, good, tc.gz)
			tc.write(t, dir)
			opts := tc.options
			opts.Dir, opts.NoDownload, opts.CacheDir = dir, true, t.TempDir()
			_, err := loadNoPanic(t, MNIST, Train, opts)
			wantErr(t, err, append([]string{"mnist train from the data directory " + dir + ": "}, tc.want(dir)...)...)
			t.Logf("%s ->\n%v", tc.name, err)
		})
	}
}

func TestLoadRejectsBadOptions(t *testing.T) {
	isolate(t)
	file := filepath.Join(t.TempDir(), "a-file")
	writeFile(t, file, []byte("not a directory"))
	_, err := loadNoPanic(t, MNIST, Test, Options{Dir: file, NoDownload: true, CacheDir: t.TempDir()})
	wantErr(t, err, "the data directory "+file+": not a directory")

	// $VAEKIT_DATA pointing at a file.
	t.Setenv(envData, file)
	_, err = loadNoPanic(t, MNIST, Test, Options{NoDownload: true, CacheDir: t.TempDir()})
	wantErr(t, err, "$VAEKIT_DATA="+file, "not a directory", "unset $VAEKIT_DATA to use the default sources")
	t.Setenv(envData, "")

	// A cache directory that cannot be created (under a file), with downloads on.
	_, err = loadNoPanic(t, MNIST, Test, Options{CacheDir: filepath.Join(file, "cache"), Mirrors: []string{"http://127.0.0.1:1/"}})
	wantErr(t, err, filepath.Join(file, "cache"), "not a directory")

	// Mirrors that are no URLs, or a server that answers 200 with an HTML page.
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html>Please log in to the Wi-Fi</html>")
	}))
	defer page.Close()
	cache := t.TempDir()
	_, err = loadNoPanic(t, MNIST, Test, Options{CacheDir: cache, Mirrors: []string{"::not a url", page.URL}})
	wantErr(t, err,
		"download ::not a url/t10k-images-idx3-ubyte.gz: ",
		"download "+page.URL+"/t10k-images-idx3-ubyte.gz: "+page.URL+"/t10k-images-idx3-ubyte.gz: bad IDX magic")
	if got := cacheFiles(t, filepath.Join(cache, "mnist")); len(got) != 0 {
		t.Errorf("a bad download left %q in the cache", got)
	}

	// VAEKIT_NO_DOWNLOAD with a value that is no boolean counts as "on".
	t.Setenv(envNoDownload, "please")
	_, err = loadNoPanic(t, MNIST, Test, Options{CacheDir: t.TempDir(), Mirrors: []string{page.URL}})
	wantErr(t, err, "download skipped: VAEKIT_NO_DOWNLOAD=please")
}

func TestLoadBothReportsTheFailingSplit(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	writeSplit(t, dir, Train, makeSynthetic(3), true) // No test split.
	_, _, err := LoadBoth(MNIST, Options{Dir: dir, SkipChecksum: true, NoDownload: true, CacheDir: t.TempDir()})
	wantErr(t, err, "mnist test from the data directory "+dir+": not found: no t10k-images-idx3-ubyte.gz")
}

func TestParseRejectsEmptyNames(t *testing.T) {
	_, err := ParseName("")
	wantErr(t, err, `unknown dataset ""`, "mnist, fashion-mnist")
	_, err = ParseSplit(" ")
	wantErr(t, err, `unknown split " "`)
	_, err = Load("", Train, Options{})
	wantErr(t, err, `unknown dataset ""`)
	_, err = Load(MNIST, "", Options{})
	wantErr(t, err, `unknown split ""`)
	if names := (&Set{Name: "cifar"}).ClassNames(); names != nil {
		t.Errorf("ClassNames of an unknown dataset = %q, want nil", names)
	}
}

func TestReadIDXFileRejectsDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadIDXFile(dir)
	wantErr(t, err, dir, "is a directory")
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
