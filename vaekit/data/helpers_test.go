package data

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes builds a raw ubyte IDX file.
func idxBytes(dims []int, data []byte) []byte {
	return idxFile(idxTypeUbyte, dims, data)
}

// idxFile builds a raw IDX file of elements of type typ, data holding their bytes.
func idxFile(typ byte, dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, typ, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gzipBytes(t testing.TB, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// synthetic is a small fake split: n 28x28 images with distinct pixels
// and labels i%10.
type synthetic struct {
	images, labels []byte // raw IDX files
}

func makeSynthetic(n int) synthetic {
	pix := make([]byte, n*28*28)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	lab := make([]byte, n)
	for i := range lab {
		lab[i] = byte(i % 10)
	}
	return synthetic{
		images: idxBytes([]int{n, 28, 28}, pix),
		labels: idxBytes([]int{n}, lab),
	}
}

// writeSplit writes the files of one split into dir, gzipped or raw.
func writeSplit(t testing.TB, dir string, split Split, s synthetic, gz bool) {
	t.Helper()
	prefix, err := split.filePrefix()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(base string, raw []byte) {
		name, data := base, raw
		if gz {
			name, data = base+".gz", gzipBytes(t, raw)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(prefix+"-images-idx3-ubyte", s.images)
	write(prefix+"-labels-idx1-ubyte", s.labels)
}

// useChecksums installs checksums for synthetic files for one test.
func useChecksums(t *testing.T, name Name, split Split, s synthetic) {
	t.Helper()
	prefix, _ := split.filePrefix()
	old := checksums
	t.Cleanup(func() { checksums = old })
	checksums = maps.Clone(old)
	checksums[name] = map[string]string{
		prefix + "-images-idx3-ubyte": md5Hex(s.images),
		prefix + "-labels-idx1-ubyte": md5Hex(s.labels),
	}
}

// isolate hides every source on this machine (environment, module cache,
// Debian package, user cache) so a test sees only what it sets up.
func isolate(t *testing.T) {
	t.Helper()
	t.Setenv(envData, "")
	t.Setenv(envNoDownload, "")
	t.Setenv("GOMODCACHE", filepath.Join(t.TempDir(), "modcache"))
	old := fashionMNISTSystemDir
	fashionMNISTSystemDir = filepath.Join(t.TempDir(), "debian")
	t.Cleanup(func() { fashionMNISTSystemDir = old })
}

// wantErr fails unless err is non-nil and contains every fragment.
func wantErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not contain %q", err, f)
		}
	}
}
