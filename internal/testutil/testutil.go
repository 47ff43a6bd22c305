// Package testutil holds what the tests of several packages share.
package testutil

import (
	"image"
	"image/png"
	"os"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // The pure Go backend: needs no install.
)

var (
	goBackendOnce sync.Once
	goBackend     compute.Backend
	goBackendErr  error
)

// GoBackend is one pure Go backend for every test of the process (tensors stay on the
// backend that made them).
func GoBackend(t testing.TB) compute.Backend {
	t.Helper()
	goBackendOnce.Do(func() { goBackend, goBackendErr = compute.NewWithConfig("go") })
	if goBackendErr != nil {
		t.Fatal(goBackendErr)
	}
	return goBackend
}

// ReadPNG decodes the PNG file at path.
func ReadPNG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}
