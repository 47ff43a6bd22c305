package data

import (
	"bufio"
	"compress/gzip"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// The IDX element type codes (the third byte of the magic number). MNIST and
// Fashion-MNIST use unsigned bytes.
const (
	idxTypeUbyte   = 0x08
	idxTypeInt8    = 0x09
	idxTypeInt16   = 0x0B
	idxTypeInt32   = 0x0C
	idxTypeFloat32 = 0x0D
	idxTypeFloat64 = 0x0E
)

// maxIDXBytes caps the data size a header may declare, so a corrupt header
// cannot make us allocate gigabytes before the data is even read.
const maxIDXBytes = 1 << 31

// initialReadBuf is the most we allocate before data actually arrives; the
// buffer then doubles, so a lying header on a short file stays cheap.
const initialReadBuf = 1 << 20

// IDX is a parsed IDX file (the MNIST file format).
type IDX struct {
	Type byte  // element type code: 0x08 unsigned byte, 0x0D float32, ... (idxTypeName)
	Dims []int // e.g. [N, rows, cols] for images, [N] for labels
	// Data holds the elements as in the file: row-major, big-endian, so
	// len(Data) is the product of Dims times the element size.
	Data []byte
	MD5  string // hex MD5 of the decompressed file (header and data)
}

// Len is the number of elements: the product of Dims.
func (x *IDX) Len() int {
	n := 1
	for _, d := range x.Dims {
		n *= d
	}
	return n
}

// Float returns element i as a float64, whatever the element type.
func (x *IDX) Float(i int) float64 {
	switch x.Type {
	case idxTypeUbyte:
		return float64(x.Data[i])
	case idxTypeInt8:
		return float64(int8(x.Data[i]))
	case idxTypeInt16:
		return float64(int16(binary.BigEndian.Uint16(x.Data[2*i:])))
	case idxTypeInt32:
		return float64(int32(binary.BigEndian.Uint32(x.Data[4*i:])))
	case idxTypeFloat32:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(x.Data[4*i:])))
	case idxTypeFloat64:
		return math.Float64frombits(binary.BigEndian.Uint64(x.Data[8*i:]))
	}
	panic(fmt.Sprintf("data: IDX.Float: unknown element type 0x%02x", x.Type))
}

// ReadIDXFile reads a raw or gzip-compressed IDX file.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *fs.PathError already names the file
	}
	defer f.Close()
	return ParseIDX(f, path)
}

// ParseIDX parses a raw or gzip-compressed IDX stream of any of the IDX element types
// (unsigned or signed byte, int16, int32, float32, float64).
// Gzip is detected by its magic bytes. The whole stream must be consumed by
// the declared dimensions: short data and trailing bytes are both errors.
// name (usually the file path) prefixes every error.
func ParseIDX(r io.Reader, name string) (*IDX, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	gz := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: invalid gzip header: %v", name, err)
		}
		defer zr.Close()
		src, gz = zr, true
	}
	// The checksum covers the decompressed bytes, so a re-compressed copy
	// of the same data still verifies.
	sum := md5.New()
	p := &idxReader{r: io.TeeReader(src, sum), name: name, gz: gz}

	typ, dims, err := p.header()
	if err != nil {
		return nil, err
	}
	want := idxTypeSize(typ)
	for _, d := range dims {
		want *= d
	}
	data, err := p.data(want)
	if err != nil {
		return nil, err
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	return &IDX{Type: typ, Dims: dims, Data: data, MD5: hex.EncodeToString(sum.Sum(nil))}, nil
}

// idxReader reads one IDX stream and turns low-level read errors into
// messages that say which file and which part of it was wrong.
type idxReader struct {
	r    io.Reader
	name string
	gz   bool
}

func (p *idxReader) readErr(what string, err error) error {
	if p.gz {
		return fmt.Errorf("%s: corrupt or truncated gzip data while reading IDX %s: %v", p.name, what, err)
	}
	return fmt.Errorf("%s: reading IDX %s: %w", p.name, what, err)
}

// fill reads until buf is full or the stream ends cleanly, returning how
// many bytes it got. Unlike io.ReadFull it keeps a clean end of stream
// (a truncated IDX file) apart from a broken one (a truncated gzip file).
func (p *idxReader) fill(buf []byte, what string) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := p.r.Read(buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, p.readErr(what, err)
		}
	}
	return n, nil
}

// full reads exactly len(buf) header bytes.
func (p *idxReader) full(buf []byte, what string) error {
	n, err := p.fill(buf, what)
	if err != nil {
		return err
	}
	if n < len(buf) {
		return fmt.Errorf("%s: truncated IDX header: expected %d bytes of %s, got %d", p.name, len(buf), what, n)
	}
	return nil
}

// header reads the magic number and dimensions and checks they are sane.
func (p *idxReader) header() (typ byte, dims []int, err error) {
	var magic [4]byte
	if err := p.full(magic[:], "magic number"); err != nil {
		return 0, nil, err
	}
	if magic[0] != 0 || magic[1] != 0 {
		return 0, nil, fmt.Errorf("%s: bad IDX magic: expected first two bytes 0x00 0x00, got 0x%02x 0x%02x (not an IDX file?)",
			p.name, magic[0], magic[1])
	}
	typ = magic[2]
	if idxTypeSize(typ) == 0 {
		return 0, nil, fmt.Errorf("%s: unknown IDX element type 0x%02x: expected %s", p.name, typ, idxTypeList())
	}
	ndims := int(magic[3])
	if ndims == 0 {
		return 0, nil, fmt.Errorf("%s: IDX header declares 0 dimensions, expected at least 1", p.name)
	}
	raw := make([]byte, 4*ndims)
	if err := p.full(raw, fmt.Sprintf("%d dimension sizes", ndims)); err != nil {
		return 0, nil, err
	}
	dims = make([]int, ndims)
	total := uint64(idxTypeSize(typ)) // bytes
	for i := range dims {
		d := uint64(binary.BigEndian.Uint32(raw[4*i:]))
		dims[i] = int(d)
		if total != 0 && d != 0 && total > maxIDXBytes/d {
			total = maxIDXBytes + 1 // saturate; zero dims may still follow
		} else {
			total *= d
		}
	}
	if total > maxIDXBytes {
		return 0, nil, fmt.Errorf("%s: IDX dimensions %v of %s describe more than %d bytes (corrupt header?)",
			p.name, dims, idxTypeName(typ), uint64(maxIDXBytes))
	}
	return typ, dims, nil
}

// data reads exactly n bytes. The buffer grows as bytes arrive instead of
// trusting the header up front.
func (p *idxReader) data(n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, initialReadBuf))
	for {
		got, err := p.fill(buf[len(buf):cap(buf)], "data")
		buf = buf[:len(buf)+got]
		if err != nil {
			return nil, err
		}
		if len(buf) < cap(buf) { // the stream ended early
			return nil, fmt.Errorf("%s: truncated IDX data: expected %d bytes, got %d", p.name, n, len(buf))
		}
		if len(buf) == n {
			return buf, nil
		}
		grown := make([]byte, len(buf), min(2*cap(buf), n))
		copy(grown, buf)
		buf = grown
	}
}

// end checks nothing follows the data. For gzip this also reaches the
// trailer, where the CRC is verified.
func (p *idxReader) end() error {
	extra, err := io.Copy(io.Discard, io.LimitReader(p.r, initialReadBuf))
	if err != nil {
		return p.readErr("end of file", err)
	}
	if extra > 0 {
		more := ""
		if extra == initialReadBuf {
			more = " or more"
		}
		return fmt.Errorf("%s: %d%s trailing bytes after IDX data: expected the file to end there", p.name, extra, more)
	}
	return nil
}

// idxTypes names each IDX element type and gives its size in bytes, in code order.
var idxTypes = []struct {
	code byte
	name string
	size int
}{
	{idxTypeUbyte, "unsigned byte", 1}, {idxTypeInt8, "signed byte", 1}, {idxTypeInt16, "int16", 2},
	{idxTypeInt32, "int32", 4}, {idxTypeFloat32, "float32", 4}, {idxTypeFloat64, "float64", 8},
}

// idxTypeName names an IDX type code so errors are readable.
func idxTypeName(code byte) string {
	for _, t := range idxTypes {
		if t.code == code {
			return t.name
		}
	}
	return "unknown type"
}

// idxTypeSize is the size in bytes of one element of a type, 0 for an unknown type.
func idxTypeSize(code byte) int {
	for _, t := range idxTypes {
		if t.code == code {
			return t.size
		}
	}
	return 0
}

// idxTypeList lists the known type codes with their names, for errors.
func idxTypeList() string {
	var parts []string
	for _, t := range idxTypes {
		parts = append(parts, fmt.Sprintf("0x%02x (%s)", t.code, t.name))
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// CheckDims verifies the number of dimensions and, where want[i] >= 0, the
// size of dimension i. Use -1 for sizes the caller does not know, such as
// the number of examples.
func (x *IDX) CheckDims(name string, want ...int) error {
	if len(x.Dims) != len(want) {
		return fmt.Errorf("%s: expected %d IDX dimensions %s, got %d dimensions %v",
			name, len(want), formatDims(want), len(x.Dims), x.Dims)
	}
	for i, w := range want {
		if w >= 0 && x.Dims[i] != w {
			return fmt.Errorf("%s: expected IDX dimensions %s, got %v (dimension %d is %d, expected %d)",
				name, formatDims(want), x.Dims, i, x.Dims[i], w)
		}
	}
	return nil
}

// formatDims prints wanted dimensions with "*" for "any size".
func formatDims(want []int) string {
	parts := make([]string, len(want))
	for i, w := range want {
		if w < 0 {
			parts[i] = "*"
		} else {
			parts[i] = fmt.Sprint(w)
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}
