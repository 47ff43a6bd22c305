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
	"os"
	"strings"
)

// idxTypeUbyte is the IDX element type code for unsigned bytes, the only
// type MNIST and Fashion-MNIST use.
const idxTypeUbyte = 0x08

// maxIDXElements caps the size a header may declare, so a corrupt header
// cannot make us allocate gigabytes before the data is even read.
const maxIDXElements = 1 << 31

// initialReadBuf is the most we allocate before data actually arrives; the
// buffer then doubles, so a lying header on a short file stays cheap.
const initialReadBuf = 1 << 20

// IDX is a parsed IDX file of unsigned bytes (the MNIST file format).
type IDX struct {
	Dims []int  // e.g. [N, rows, cols] for images, [N] for labels
	Data []byte // len(Data) is the product of Dims, row-major
	MD5  string // hex MD5 of the decompressed file (header and data)
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

// ParseIDX parses a raw or gzip-compressed IDX stream of unsigned bytes.
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

	dims, err := p.header()
	if err != nil {
		return nil, err
	}
	want := 1
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
	return &IDX{Dims: dims, Data: data, MD5: hex.EncodeToString(sum.Sum(nil))}, nil
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
func (p *idxReader) header() ([]int, error) {
	var magic [4]byte
	if err := p.full(magic[:], "magic number"); err != nil {
		return nil, err
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("%s: bad IDX magic: expected first two bytes 0x00 0x00, got 0x%02x 0x%02x (not an IDX file?)",
			p.name, magic[0], magic[1])
	}
	if magic[2] != idxTypeUbyte {
		return nil, fmt.Errorf("%s: unsupported IDX element type 0x%02x (%s): only 0x%02x (unsigned byte) is supported",
			p.name, magic[2], idxTypeName(magic[2]), idxTypeUbyte)
	}
	ndims := int(magic[3])
	if ndims == 0 {
		return nil, fmt.Errorf("%s: IDX header declares 0 dimensions, expected at least 1", p.name)
	}
	raw := make([]byte, 4*ndims)
	if err := p.full(raw, fmt.Sprintf("%d dimension sizes", ndims)); err != nil {
		return nil, err
	}
	dims := make([]int, ndims)
	total := uint64(1)
	for i := range dims {
		d := uint64(binary.BigEndian.Uint32(raw[4*i:]))
		dims[i] = int(d)
		if total != 0 && d != 0 && total > maxIDXElements/d {
			total = maxIDXElements + 1 // saturate; zero dims may still follow
		} else {
			total *= d
		}
	}
	if total > maxIDXElements {
		return nil, fmt.Errorf("%s: IDX dimensions %v describe more than %d elements (corrupt header?)",
			p.name, dims, uint64(maxIDXElements))
	}
	return dims, nil
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

// idxTypeName names the IDX type codes so errors are readable.
func idxTypeName(code byte) string {
	switch code {
	case 0x08:
		return "unsigned byte"
	case 0x09:
		return "signed byte"
	case 0x0B:
		return "int16"
	case 0x0C:
		return "int32"
	case 0x0D:
		return "float32"
	case 0x0E:
		return "float64"
	}
	return "unknown type"
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
