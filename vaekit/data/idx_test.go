package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestParseIDXValid(t *testing.T) {
	images := idxBytes([]int{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255})
	labels := idxBytes([]int{4}, []byte{3, 1, 4, 1})
	for _, tc := range []struct {
		name     string
		file     []byte
		wantDims []int
		wantData []byte
		wantMD5  []byte // decompressed bytes
	}{
		{"images raw", images, []int{2, 2, 3}, images[16:], images},
		{"images gzip", gzipBytes(t, images), []int{2, 2, 3}, images[16:], images},
		{"labels raw", labels, []int{4}, labels[8:], labels},
		{"labels gzip", gzipBytes(t, labels), []int{4}, labels[8:], labels},
		{"empty", idxBytes([]int{0, 28, 28}, nil), []int{0, 28, 28}, []byte{}, idxBytes([]int{0, 28, 28}, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := ParseIDX(bytes.NewReader(tc.file), tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(x.Dims, tc.wantDims) {
				t.Errorf("Dims = %v, want %v", x.Dims, tc.wantDims)
			}
			if !bytes.Equal(x.Data, tc.wantData) {
				t.Errorf("Data = %v, want %v", x.Data, tc.wantData)
			}
			if want := md5Hex(tc.wantMD5); x.MD5 != want {
				t.Errorf("MD5 = %s, want %s (of the decompressed bytes)", x.MD5, want)
			}
		})
	}
}

func TestParseIDXErrors(t *testing.T) {
	good := idxBytes([]int{2, 2, 2}, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	gz := gzipBytes(t, good)

	withByte := func(b []byte, i int, v byte) []byte {
		b = slices.Clone(b)
		b[i] = v
		return b
	}
	// A valid gzip header (10 bytes) followed by bytes that are no deflate
	// stream.
	garbage := append(slices.Clone(gz[:10]), bytes.Repeat([]byte{0xff}, 40)...)
	// Flip a byte of the CRC-32 in the trailer.
	badCRC := withByte(gz, len(gz)-8, gz[len(gz)-8]^0xff)

	for _, tc := range []struct {
		name string
		file []byte
		want []string
	}{
		{"empty", nil, []string{"truncated IDX header", "expected 4 bytes of magic number, got 0"}},
		{"short magic", good[:3], []string{"truncated IDX header", "expected 4 bytes", "got 3"}},
		{"short dims", good[:9], []string{"truncated IDX header", "expected 12 bytes of 3 dimension sizes, got 5"}},
		{"truncated data", good[:len(good)-3], []string{"truncated IDX data", "expected 8 bytes, got 5"}},
		{"truncated data gzip", gzipBytes(t, good[:len(good)-3]), []string{"truncated IDX data", "expected 8 bytes, got 5"}},
		{"trailing bytes", append(slices.Clone(good), 9, 9), []string{"2 trailing bytes", "expected the file to end"}},
		{"trailing bytes gzip", gzipBytes(t, append(slices.Clone(good), 9)), []string{"1 trailing bytes"}},
		{"wrong magic", withByte(good, 0, 0x12), []string{"bad IDX magic", "expected first two bytes 0x00 0x00, got 0x12 0x00"}},
		{"wrong type code", withByte(good, 2, 0x0D), []string{"unsupported IDX element type 0x0d (float32)", "only 0x08 (unsigned byte)"}},
		{"zero dims", withByte(good, 3, 0), []string{"0 dimensions", "expected at least 1"}},
		{"huge dims", idxBytes([]int{1 << 20, 1 << 20, 1 << 20}, nil), []string{"describe more than 2147483648 elements"}},
		{"huge dims with zero", idxBytes([]int{0xffffffff, 0xffffffff, 0}, nil), nil}, // zero elements: valid
		{"huge dims truncated", idxBytes([]int{1 << 30}, []byte{1, 2}), []string{"truncated IDX data", "expected 1073741824 bytes, got 2"}},
		{"gzip corrupt body", garbage, []string{"corrupt or truncated gzip data"}},
		{"gzip truncated", gz[:len(gz)-12], []string{"corrupt or truncated gzip data"}},
		{"gzip bad crc", badCRC, []string{"gzip", "checksum"}},
		{"gzip bad header", withByte(gz, 2, 0x07), []string{"invalid gzip header"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const name = "dir/file-idx.gz"
			x, err := ParseIDX(bytes.NewReader(tc.file), name)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if len(x.Data) != 0 {
					t.Fatalf("len(Data) = %d, want 0", len(x.Data))
				}
				return
			}
			wantErr(t, err, append([]string{name}, tc.want...)...)
		})
	}
}

func TestCheckDims(t *testing.T) {
	x := &IDX{Dims: []int{5, 27, 28}}
	wantErr(t, x.CheckDims("f.gz", -1, 28, 28), "f.gz", "expected IDX dimensions [* 28 28], got [5 27 28]", "dimension 1 is 27, expected 28")
	wantErr(t, x.CheckDims("f.gz", -1), "f.gz", "expected 1 IDX dimensions [*], got 3 dimensions [5 27 28]")
	if err := x.CheckDims("f.gz", 5, -1, 28); err != nil {
		t.Error(err)
	}
}

func TestReadIDXFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "labels.gz")
	if err := os.WriteFile(path, gzipBytes(t, idxBytes([]int{3}, []byte{7, 8, 9})), 0o644); err != nil {
		t.Fatal(err)
	}
	x, err := ReadIDXFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x.Data, []byte{7, 8, 9}) {
		t.Errorf("Data = %v", x.Data)
	}

	missing := filepath.Join(dir, "missing.gz")
	_, err = ReadIDXFile(missing)
	wantErr(t, err, missing)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v is not fs.ErrNotExist", err)
	}

	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte{0, 0, 8, 1, 0, 0}, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadIDXFile(bad)
	wantErr(t, err, bad, "truncated IDX header")
}

func FuzzParseIDX(f *testing.F) {
	images := idxBytes([]int{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255})
	labels := idxBytes([]int{4}, []byte{3, 1, 4, 1})
	for _, seed := range [][]byte{
		images, labels,
		gzipBytes(f, images), gzipBytes(f, labels),
		images[:len(images)-1],               // truncated
		append(slices.Clone(labels), 0),      // trailing
		{0, 0, 0x0D, 1, 0, 0, 0, 1, 0},       // float type
		{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff}, // huge, truncated header
		gzipBytes(f, images)[:20],            // truncated gzip
		{0x1f, 0x8b},
		nil,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := ParseIDX(bytes.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		n := 1
		for _, d := range x.Dims {
			n *= d
		}
		if len(x.Data) != n {
			t.Fatalf("len(Data) = %d, product of Dims %v = %d", len(x.Data), x.Dims, n)
		}
		// Round trip: the parsed IDX written back is the stream's (decompressed) bytes, and
		// MD5 is their checksum.
		raw := in
		if len(in) >= 2 && in[0] == 0x1f && in[1] == 0x8b {
			zr, err := gzip.NewReader(bytes.NewReader(in))
			if err != nil {
				t.Fatalf("ParseIDX accepted a gzip stream whose header gzip rejects: %v", err)
			}
			if raw, err = io.ReadAll(zr); err != nil {
				t.Fatalf("ParseIDX accepted a gzip stream gzip cannot read: %v", err)
			}
		}
		if written := idxBytes(x.Dims, x.Data); !bytes.Equal(written, raw) {
			t.Fatalf("parsed dims %v and %d data bytes, written back as %d bytes that differ from the %d bytes read",
				x.Dims, len(x.Data), len(written), len(raw))
		}
		if want := md5Hex(raw); x.MD5 != want {
			t.Fatalf("MD5 %s, want %s", x.MD5, want)
		}
	})
}
