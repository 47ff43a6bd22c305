package data

import (
	"archive/tar"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// CIFAR-10's binary version: one archive holding six batch files of 10,000 records.
// A record is one label byte (0..9) and a 32x32 colour image stored as planes: 1024
// red bytes, then 1024 green, then 1024 blue, each plane row-major.
const (
	cifarArchive     = "cifar-10-binary.tar.gz"
	cifarExtracted   = "cifar-10-batches-bin" // the folder the archive unpacks to
	cifarSide        = 32
	cifarPlane       = cifarSide * cifarSide
	cifarRecord      = 1 + 3*cifarPlane
	maxCIFARBatchLen = 64 << 20 // twice a real batch: a corrupt header cannot ask for more
)

// cifarBatches lists the archive members that hold a split, in the order their
// images are put one after the other.
func cifarBatches(split Split) []string {
	if split == Test {
		return []string{"test_batch.bin"}
	}
	return []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
}

// readCIFARFile reads one split from the CIFAR-10 archive at path; wantMD5 ("" to
// skip the check) is the archive's expected MD5.
func readCIFARFile(path string, split Split, wantMD5 string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCIFAR(f, path, split, wantMD5)
}

// readCIFAR reads one split from a CIFAR-10 archive stream without unpacking it to
// disk. The whole stream is read, so that the MD5 (of the archive as downloaded, the
// published checksum) and gzip's CRC cover every byte. name prefixes every error.
func readCIFAR(r io.Reader, name string, split Split, wantMD5 string) (*Set, error) {
	sum := md5.New()
	raw := io.TeeReader(r, sum)
	zr, err := gzip.NewReader(raw) // It reads through a bufio.Reader of its own.
	if err != nil {
		return nil, fmt.Errorf("%s: not a gzip file (%v): expected the CIFAR-10 archive %s", name, err, cifarArchive)
	}
	wanted := cifarBatches(split)
	batches := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: corrupt or truncated archive: %v", name, err)
		}
		member := path.Base(hdr.Name)
		if hdr.Typeflag != tar.TypeReg || !slices.Contains(wanted, member) {
			continue
		}
		if _, dup := batches[member]; dup {
			return nil, fmt.Errorf("%s: holds %s twice, expected it once", name, member)
		}
		if hdr.Size <= 0 || hdr.Size%cifarRecord != 0 || hdr.Size > maxCIFARBatchLen {
			return nil, fmt.Errorf("%s: %s has %d bytes, expected a whole number of %d-byte records (1 label byte and 32x32x3 pixels)",
				name, hdr.Name, hdr.Size, cifarRecord)
		}
		b := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, b); err != nil {
			return nil, fmt.Errorf("%s: corrupt or truncated archive: reading %s: %v", name, hdr.Name, err)
		}
		batches[member] = b
	}
	// Read to the end, so that the checksum covers the whole archive and gzip verifies
	// its CRC (gzip reads on to the stream's end, looking for a next member).
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, fmt.Errorf("%s: corrupt or truncated gzip data: %v", name, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); wantMD5 != "" && got != wantMD5 {
		return nil, fmt.Errorf("%s: checksum mismatch: MD5 of the archive is %s, expected %s (corrupt file, or not the official %s %s)",
			name, got, wantMD5, CIFAR10, cifarArchive)
	}
	var records [][]byte
	for _, member := range wanted {
		b, ok := batches[member]
		if !ok {
			return nil, fmt.Errorf("%s: has no %s: expected the CIFAR-10 binary version (%s and test_batch.bin)",
				name, member, strings.Join(cifarBatches(Train), ", "))
		}
		records = append(records, b)
	}
	return cifarSet(records, name, split)
}

// cifarSet converts batches of records to a Set of 32x32x3 images, from planes
// (all red, all green, all blue) to channels last.
func cifarSet(batches [][]byte, name string, split Split) (*Set, error) {
	n := 0
	for _, b := range batches {
		n += len(b) / cifarRecord
	}
	const size = cifarPlane * 3
	set := &Set{Name: CIFAR10, Split: split, N: n, Height: cifarSide, Width: cifarSide, Channels: 3,
		Images: make([]float32, n*size), Labels: make([]uint8, n)}
	i := 0
	for k, b := range batches {
		for r := 0; r < len(b); r, i = r+cifarRecord, i+1 {
			rec := b[r : r+cifarRecord]
			if rec[0] >= numClasses {
				return nil, fmt.Errorf("%s: %s record %d has label %d, expected 0..%d",
					name, cifarBatches(split)[k], r/cifarRecord, rec[0], numClasses-1)
			}
			set.Labels[i] = rec[0]
			img := set.Images[i*size : (i+1)*size]
			for c := range 3 {
				plane := rec[1+c*cifarPlane : 1+(c+1)*cifarPlane]
				for p, v := range plane {
					img[p*3+c] = pixelScale[v]
				}
			}
		}
	}
	return set, nil
}

// cifarAbsent says the archive is not in dir, pointing at an unpacked copy if there
// is one: the archive is what the checksum covers.
func cifarAbsent(dir string) error {
	for _, unpacked := range []string{cifarExtracted, "data_batch_1.bin"} {
		if _, err := os.Stat(filepath.Join(dir, unpacked)); err == nil {
			return absentError{fmt.Errorf("not found: no %s (%s is there, but vaekit reads and verifies the archive itself, not its unpacked files)",
				cifarArchive, unpacked)}
		}
	}
	return absentError{fmt.Errorf("not found: no %s", cifarArchive)}
}

// loadArchive reads the split from the CIFAR-10 archive in dir.
func (l *loader) loadArchive(dir string) (*Set, error) {
	path, err := findFile(dir, cifarArchive)
	if errors.As(err, new(absentError)) {
		return nil, cifarAbsent(dir)
	}
	if err != nil {
		return nil, err
	}
	s, err := readCIFARFile(path, l.split, l.archiveMD5())
	if err != nil {
		return nil, err
	}
	s.Source = dir
	return s, nil
}

// archiveMD5 is the MD5 the archive must have, "" when checksums are skipped.
func (l *loader) archiveMD5() string {
	if l.opts.SkipChecksum {
		return ""
	}
	return checksums[l.name][cifarArchive]
}

// tryArchiveCache uses the archive in the download cache, downloading it when it is
// missing or broken there.
func (l *loader) tryArchiveCache() *Set {
	dir, err := l.cacheDir()
	if err != nil {
		l.note("download cache: %v", err)
		return nil
	}
	s, err := l.loadArchive(dir)
	switch {
	case err == nil:
		return s
	case errors.As(err, new(absentError)):
		l.note("cache %s: %v", dir, err)
	default:
		l.skip("cache %s: %v", dir, err)
	}
	if why := l.downloadDisabled(); why != "" {
		l.note("download skipped: %s", why)
		return nil
	}
	url, ok := l.download(dir, cifarArchive, func(r io.Reader, url string) (err error) {
		s, err = readCIFAR(r, url, l.split, l.archiveMD5())
		return err
	})
	if !ok {
		return nil
	}
	s.Source = fmt.Sprintf("%s (downloaded from %s)", dir, url)
	return s
}
