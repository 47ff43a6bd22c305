package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vaekit/vaekit/internal/ckptfile"
)

// How the commands write their files: a regular file atomically (a reader never sees half
// of it), anything else through (a device such as /dev/null, a FIFO), a symbolic link
// followed to its target, and -out - to stdout. A rename over a path that is not a
// regular file would replace it: /dev/null with a regular file, a link with a copy.

// stdoutPath is the -out that means standard output.
const stdoutPath = "-"

// writeOut writes the output a command's -out names: to stdout for "-", after which the
// command's report goes to stderr; else as writeFile does.
func (e *env) writeOut(path string, content []byte) error {
	if path != stdoutPath {
		e.stdoutTaken = e.isStdout(path) // /dev/stdout, say.
		return writeFile(path, content)
	}
	e.stdoutTaken = true
	if _, err := e.stdout.Write(content); err != nil {
		return fmt.Errorf("writing to standard output: %w", err)
	}
	return nil
}

// isStdout reports whether path is the file the command's stdout writes to.
func (e *env) isStdout(path string) bool {
	f, ok := e.stdout.(*os.File)
	if !ok {
		return false
	}
	out, err := f.Stat()
	if err != nil {
		return false
	}
	info, err := os.Stat(path)
	return err == nil && os.SameFile(out, info)
}

// writeMetrics prints eval's JSON on stdout and also writes it to -out (out), unless that
// is stdout too.
func (e *env) writeMetrics(out string, content []byte) error {
	if out != "" && out != stdoutPath {
		if err := writeFile(out, content); err != nil {
			return err
		}
	}
	_, err := e.stdout.Write(content)
	return err
}

// writePNG writes a figure of the plot package (*plot.Picture or *plot.Chart) as a PNG, as
// writeOut does.
func (e *env) writePNG(path string, figure interface{ PNG() ([]byte, error) }) error {
	png, err := figure.PNG()
	if err != nil {
		return err
	}
	return e.writeOut(path, png)
}

// writeFile writes content to path: to the target of a symbolic link; through, into a
// device or a FIFO; and atomically into a regular file (or a new one), creating its
// directory if needed.
func writeFile(path string, content []byte) error {
	info, err := os.Stat(path) // Through every link, /dev/stdout's to a pipe included.
	switch {
	case err == nil && info.IsDir():
		return fmt.Errorf("writing %s: it is a directory, expected a file", path)
	case err == nil && !info.Mode().IsRegular():
		return writeThrough(path, content)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("writing %s: %w", path, err)
	}
	target, err := followLinks(path) // The regular file to replace, or to create.
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	mode := fs.FileMode(0o644)
	if info != nil {
		mode = info.Mode().Perm() // A file replaced keeps its permissions.
	}
	return writeAtomic(target, content, mode)
}

// maxLinks bounds a chain of symbolic links, as the kernel's ELOOP does.
const maxLinks = 40

// followLinks returns the path a chain of symbolic links at path ends at (path itself
// when it is no link), which need not exist: writing to a dangling link creates its target.
func followLinks(path string) (string, error) {
	for range maxLinks {
		info, err := os.Lstat(path)
		if err != nil || info.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", fmt.Errorf("more than %d symbolic links in a chain", maxLinks)
}

// writeThrough writes content into path, an existing file that is not a regular one.
func writeThrough(path string, content []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := f.Write(content); err != nil {
		_ = f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// writeAtomic writes content to path atomically (ckptfile.WriteFileAtomicMode: a reader
// never sees half a file), creating path's directory if needed.
func writeAtomic(path string, content []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating the directory of %s: %w", path, err)
	}
	return ckptfile.WriteFileAtomicMode(path, content, mode)
}
