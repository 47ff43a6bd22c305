package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
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

// Every IDX element type parses, and Float reads its elements back: values written with
// encoding/binary, big-endian as the format says.
func TestParseIDXTypes(t *testing.T) {
	want := []float64{0, 1, -2, 100.5, -0.25, 0.75}
	for _, tc := range []struct {
		typ    byte
		values []float64 // what the type can hold of want
		put    func(v float64) []byte
	}{
		{idxTypeUbyte, []float64{0, 1, 254, 100, 7, 255}, func(v float64) []byte { return []byte{byte(v)} }},
		{idxTypeInt8, []float64{0, 1, -2, 100, -128, 127}, func(v float64) []byte { return []byte{byte(int8(v))} }},
		{idxTypeInt16, []float64{0, 1, -2, 1000, -32768, 32767}, func(v float64) []byte { return binary.BigEndian.AppendUint16(nil, uint16(int16(v))) }},
		{idxTypeInt32, []float64{0, 1, -2, 1 << 30, -1 << 31, 5}, func(v float64) []byte { return binary.BigEndian.AppendUint32(nil, uint32(int32(v))) }},
		{idxTypeFloat32, want, func(v float64) []byte { return binary.BigEndian.AppendUint32(nil, math.Float32bits(float32(v))) }},
		{idxTypeFloat64, want, func(v float64) []byte { return binary.BigEndian.AppendUint64(nil, math.Float64bits(v)) }},
	} {
		t.Run(idxTypeName(tc.typ), func(t *testing.T) {
			var data []byte
			for _, v := range tc.values {
				data = append(data, tc.put(v)...)
			}
			x, err := ParseIDX(bytes.NewReader(gzipBytes(t, idxFile(tc.typ, []int{2, 3}, data))), "f")
			if err != nil {
				t.Fatal(err)
			}
			if x.Type != tc.typ || x.Len() != 6 || len(x.Data) != len(data) {
				t.Fatalf("Type 0x%02x, Len %d, %d bytes; want 0x%02x, 6, %d", x.Type, x.Len(), len(x.Data), tc.typ, len(data))
			}
			for i, v := range tc.values {
				if got := x.Float(i); got != v {
					t.Errorf("Float(%d) = %v, want %v", i, got, v)
				}
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
		{"unknown type code", withByte(good, 2, 0x0A), []string{"unknown IDX element type 0x0a", "expected 0x08 (unsigned byte), 0x09 (signed byte)"}},
		{"float32 data of ubyte length", withByte(good, 2, 0x0D), []string{"truncated IDX data", "expected 32 bytes, got 8"}},
		{"zero dims", withByte(good, 3, 0), []string{"0 dimensions", "expected at least 1"}},
		{"huge dims", idxBytes([]int{1 << 20, 1 << 20, 1 << 20}, nil), []string{"of unsigned byte describe more than 2147483648 bytes"}},
		{"huge float64 dims", idxFile(idxTypeFloat64, []int{1<<28 + 1}, nil), []string{"[268435457] of float64 describe more than 2147483648 bytes"}},
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
	if n := x.Len(); n != 5*27*28 { // Built by hand: no Type, no Data.
		t.Errorf("Len of dimensions %v: %d, want %d", x.Dims, n, 5*27*28)
	}
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
		images[:len(images)-1],          // truncated
		append(slices.Clone(labels), 0), // trailing
		{0, 0, 0x0D, 1, 0, 0, 0, 1, 0},  // float32, truncated
		idxFile(idxTypeFloat32, []int{1, 1, 2}, []byte{0x3f, 0, 0, 0, 0x3f, 0x80, 0, 0}), // 0.5, 1
		idxFile(idxTypeFloat64, []int{1, 1, 1, 1}, []byte{0x3f, 0xe0, 0, 0, 0, 0, 0, 0}), // 0.5
		idxFile(idxTypeFloat32, []int{1, 1, 1}, []byte{0x7f, 0xc0, 0, 0}),                // NaN
		idxFile(idxTypeInt16, []int{2, 1, 1}, []byte{0, 1, 0xff, 0xff}),
		idxBytes([]int{1, 2, 2, 3}, make([]byte, 12)), // one 2x2 colour image
		{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff},          // huge, truncated header
		gzipBytes(f, images)[:20],                     // truncated gzip
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
		if x.Len() != n || len(x.Data) != n*idxTypeSize(x.Type) {
			t.Fatalf("Len() = %d, %d bytes of %s; product of Dims %v = %d", x.Len(), len(x.Data), idxTypeName(x.Type), x.Dims, n)
		}
		// Read as images of any size: an error or a Set of values in [0,1], never a panic.
		if set, err := idxToSet(x, nil, "fuzz", ""); err == nil {
			if len(set.Images) != set.N*set.ImageSize() || set.N != x.Dims[0] {
				t.Fatalf("dims %v: a set of %d images of %v, %d values", x.Dims, set.N, set.Shape(), len(set.Images))
			}
			for i, v := range set.Images {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("dims %v of %s: value %d is %v, outside [0,1]", x.Dims, idxTypeName(x.Type), i, v)
				}
			}
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
		if written := idxFile(x.Type, x.Dims, x.Data); !bytes.Equal(written, raw) {
			t.Fatalf("parsed dims %v and %d data bytes, written back as %d bytes that differ from the %d bytes read",
				x.Dims, len(x.Data), len(written), len(raw))
		}
		if want := md5Hex(raw); x.MD5 != want {
			t.Fatalf("MD5 %s, want %s", x.MD5, want)
		}
	})
}
