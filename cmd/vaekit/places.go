package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/vaekit/vaekit/vaekit"
)

// Where the commands may write: never into a model directory's files unless they are the
// command's own (a -out of config.json or history.json breaks the model), and never a
// model into its own data (training would add curves.png to the images).

// checkOut checks a -out the user gave, before any work: its extension (ext, e.g. ".png";
// "-" is standard output, and a device or a FIFO takes what is written whatever its
// name), and that it is not inside a model directory: the command's -dir (dir), or any
// directory above the file holding a saved model. defaultName, when
// not empty, is the file the command writes in DIR without -out.
func checkOut(out, ext, dir, defaultName string) error {
	if out == "" || out == stdoutPath {
		return nil
	}
	if isDevice(out) {
		return nil // Named on purpose (/dev/null, a FIFO): written through, whatever its name.
	}
	if !strings.EqualFold(filepath.Ext(out), ext) {
		return usagef("-out %q: expected a file name ending in %s, or - for standard output", out, ext)
	}
	target, err := followLinks(out)
	if err != nil {
		return usagef("-out %q: %v", out, err)
	}
	if model := modelDirAbove(target, dir); model != "" {
		hint := "write it elsewhere"
		if defaultName != "" {
			hint += ", or leave -out out to write " + filepath.Join(dir, defaultName)
		}
		return usagef("-out %q is inside the model directory %s, whose files vaekit manages (one written over breaks the model): %s", out, model, hint)
	}
	return nil
}

// isDevice reports whether path is, through any links (/dev/stdout's included), an
// existing file that is neither a regular file nor a directory: a device, a FIFO, a
// socket.
func isDevice(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.Mode().IsRegular() && !info.IsDir()
}

// modelDirAbove returns the model directory that holds path: dir (the command's -dir), or
// a directory above path holding a saved model; "" if none.
func modelDirAbove(path, dir string) string {
	own := ""
	if dir != "" {
		own = realPath(dir)
	}
	for d := filepath.Dir(realPath(path)); ; d = filepath.Dir(d) {
		if d == own {
			return dir
		}
		if vaekit.HasSavedModel(d) {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// checkDataDir refuses a model directory inside, or equal to, the data directory: the
// model's files would join the data (a folder data set would read curves.png as an
// image, or refuse the subfolder).
func checkDataDir(modelDir, dataDir string) error {
	if modelDir == "" || dataDir == "" {
		return nil
	}
	model, data := realPath(modelDir), realPath(dataDir)
	rel, err := filepath.Rel(data, model)
	switch {
	case err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)):
		return nil
	case rel == ".":
		return usagef("-dir %s is the data directory (-data_dir %s): the model's files would join the data; expected a model directory outside it", modelDir, dataDir)
	}
	return usagef("-dir %s is inside the data directory (-data_dir %s): the model's files would join the data; expected a model directory outside it", modelDir, dataDir)
}

// realPath is path absolute, with every symbolic link in its existing part resolved (its
// last elements need not exist).
func realPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	missing := ""
	for d := abs; ; d = filepath.Dir(d) {
		if resolved, err := filepath.EvalSymlinks(d); err == nil {
			return filepath.Join(resolved, missing)
		}
		if filepath.Dir(d) == d {
			return abs
		}
		missing = filepath.Join(filepath.Base(d), missing)
	}
}
