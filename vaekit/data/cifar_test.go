package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// cifarRecordBytes is one record in CIFAR-10's layout: the label, then the red, green
// and blue planes. Pixel p (= y*32+x) has red tag+p, green 2p and blue 255-p (mod 256),
// so a test can tell the record and the channel of every value.
func cifarRecordBytes(label, tag byte) []byte {
	rec := make([]byte, 0, cifarRecord)
	rec = append(rec, label)
	for c := range 3 {
		for p := range cifarPlane {
			rec = append(rec, [3]byte{tag + byte(p), byte(2 * p), byte(255 - p)}[c])
		}
	}
	return rec
}

// member is one file of a fake archive.
type member struct {
	name string
	data []byte
}

// cifarBatch makes a batch file of records labelled labels[i], tagged tag0+i.
func cifarBatch(tag0 byte, labels ...byte) []byte {
	var b []byte
	for i, l := range labels {
		b = append(b, cifarRecordBytes(l, tag0+byte(i))...)
	}
	return b
}

// fakeCIFARMembers are the members of a small CIFAR-10 archive, out of order, with the
// extra files the real one has: 7 training records tagged 10-16, 3 test records tagged
// 20-22.
func fakeCIFARMembers() []member {
	dir := cifarExtracted + "/"
	return []member{
		{dir + "batches.meta.txt", []byte("airplane\nautomobile\n")},
		{dir + "test_batch.bin", cifarBatch(20, 3, 8, 0)},
		{dir + "data_batch_2.bin", cifarBatch(12, 9)},
		{dir + "data_batch_1.bin", cifarBatch(10, 6, 1)},
		{dir + "data_batch_3.bin", cifarBatch(13, 2)},
		{dir + "data_batch_4.bin", cifarBatch(14, 7)},
		{dir + "data_batch_5.bin", cifarBatch(15, 4, 5)},
		{dir + "readme.html", []byte("<html></html>")},
	}
}

// tarGz writes members into a gzipped tar archive.
func tarGz(t testing.TB, members []member) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, m := range members {
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// useArchiveChecksum makes archive the official CIFAR-10 archive for one test.
func useArchiveChecksum(t *testing.T, archive []byte) {
	t.Helper()
	old := checksums
	t.Cleanup(func() { checksums = old })
	checksums = maps.Clone(old)
	checksums[CIFAR10] = map[string]string{cifarArchive: md5Hex(archive)}
}

// checkFakeCIFAR checks a split read from fakeCIFARMembers: batches in order, labels,
// and every value of every image at its place (y, x, c) with channels last.
func checkFakeCIFAR(t *testing.T, s *Set, split Split) {
	t.Helper()
	wantTags, wantLabels := []byte{10, 11, 12, 13, 14, 15, 16}, []uint8{6, 1, 9, 2, 7, 4, 5}
	if split == Test {
		wantTags, wantLabels = []byte{20, 21, 22}, []uint8{3, 8, 0}
	}
	if s.Name != CIFAR10 || s.Split != split || s.Shape() != (Shape{32, 32, 3}) || s.Channels != 3 || s.N != len(wantTags) {
		t.Fatalf("%s %s: N=%d of %v (Channels %d), want %d of 32x32x3", s.Name, s.Split, s.N, s.Shape(), s.Channels, len(wantTags))
	}
	if !slices.Equal(s.Labels, wantLabels) {
		t.Errorf("%s labels %v, want %v", split, s.Labels, wantLabels)
	}
	for i, tag := range wantTags {
		img := s.Image(i)
		for y := range 32 {
			for x := range 32 {
				p := y*32 + x
				want := [3]byte{tag + byte(p), byte(2 * p), byte(255 - p)}
				for c := range 3 {
					if got := img[(y*32+x)*3+c]; got != float32(want[c])/255 {
						t.Fatalf("%s image %d, y=%d x=%d channel %d: %v, want %d/255", split, i, y, x, c, got, want[c])
					}
				}
			}
		}
	}
	if names := s.ClassNames(); len(names) != 10 || names[0] != "airplane" || names[9] != "truck" {
		t.Errorf("ClassNames %q", names)
	}
}

func TestCIFARFromNamedDir(t *testing.T) {
	isolate(t)
	archive := tarGz(t, fakeCIFARMembers())
	useArchiveChecksum(t, archive)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, cifarArchive), archive)
	opts := Options{Dir: dir, NoDownload: true, CacheDir: t.TempDir()}
	train, test, err := LoadBoth(CIFAR10, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkFakeCIFAR(t, train, Train)
	checkFakeCIFAR(t, test, Test)
	if train.Source != dir {
		t.Errorf("Source %q, want %q", train.Source, dir)
	}

	// $VAEKIT_DATA/cifar10/ works like it does for MNIST.
	root := t.TempDir()
	writeFileIn(t, filepath.Join(root, "cifar10", cifarArchive), archive)
	t.Setenv(envData, root)
	s, err := Load(CIFAR10, Test, Options{NoDownload: true, CacheDir: t.TempDir()})
	if err != nil || s.Source != filepath.Join(root, "cifar10") {
		t.Fatalf("from $VAEKIT_DATA: %v (source %q)", err, sourceOf(s))
	}
	checkFakeCIFAR(t, s, Test)
}

// The real checksum rejects a fake archive, naming it and both sums.
func TestCIFARChecksum(t *testing.T) {
	isolate(t)
	archive := tarGz(t, fakeCIFARMembers())
	dir := t.TempDir()
	path := filepath.Join(dir, cifarArchive)
	writeFile(t, path, archive)
	_, err := Load(CIFAR10, Train, Options{Dir: dir, NoDownload: true, CacheDir: t.TempDir()})
	wantErr(t, err, "cifar10 train from the data directory "+dir+": "+path+": checksum mismatch: MD5 of the archive is "+md5Hex(archive)+
		", expected c32a1d4ab5d03f1284b67883e8d87530")
	if s, err := Load(CIFAR10, Train, Options{Dir: dir, NoDownload: true, SkipChecksum: true, CacheDir: t.TempDir()}); err != nil || s.N != 7 {
		t.Errorf("with SkipChecksum: %v (%d images, want 7)", err, sizeOf(s))
	}
}

func TestCIFARRejectsBadArchives(t *testing.T) {
	with := func(name string, data []byte) []member {
		ms := fakeCIFARMembers()
		for i := range ms {
			if strings.HasSuffix(ms[i].name, name) {
				ms[i].data = data
			}
		}
		return ms
	}
	good := tarGz(t, fakeCIFARMembers())
	for _, tc := range []struct {
		name    string
		archive []byte
		split   Split
		want    []string
	}{
		{"a batch missing", tarGz(t, without(fakeCIFARMembers(), "data_batch_3.bin")), Train,
			[]string{"has no data_batch_3.bin: expected the CIFAR-10 binary version (data_batch_1.bin, data_batch_2.bin"}},
		{"the test batch missing", tarGz(t, without(fakeCIFARMembers(), "test_batch.bin")), Test, []string{"has no test_batch.bin"}},
		{"a batch cut mid-record", tarGz(t, with("data_batch_2.bin", cifarBatch(1, 1)[:3000])), Train,
			[]string{cifarExtracted + "/data_batch_2.bin has 3000 bytes, expected a whole number of 3073-byte records"}},
		{"a label out of range", tarGz(t, with("test_batch.bin", cifarBatch(1, 0, 10))), Test,
			[]string{"test_batch.bin record 1 has label 10, expected 0..9"}},
		{"a batch twice", tarGz(t, append(fakeCIFARMembers(), member{"other/test_batch.bin", cifarBatch(1, 1)})), Test,
			[]string{"holds test_batch.bin twice"}},
		{"not gzipped", []byte("<html>Moved</html>"), Train, []string{"not a gzip file", "expected the CIFAR-10 archive cifar-10-binary.tar.gz"}},
		{"cut short", good[:len(good)/2], Train, []string{"corrupt or truncated"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolate(t)
			dir := t.TempDir()
			path := filepath.Join(dir, cifarArchive)
			writeFile(t, path, tc.archive)
			_, err := Load(CIFAR10, tc.split, Options{Dir: dir, SkipChecksum: true, NoDownload: true, CacheDir: t.TempDir()})
			wantErr(t, err, append([]string{"cifar10 " + string(tc.split) + " from the data directory " + dir + ": " + path + ": "}, tc.want...)...)
			t.Logf("%s ->\n%v", tc.name, err)
		})
	}

	// Unpacked files are not read, and the error says why.
	isolate(t)
	dir := t.TempDir()
	writeFileIn(t, filepath.Join(dir, cifarExtracted, "data_batch_1.bin"), cifarBatch(1, 1))
	_, err := Load(CIFAR10, Train, Options{Dir: dir, NoDownload: true, CacheDir: t.TempDir()})
	wantErr(t, err, "not found: no cifar-10-binary.tar.gz ("+cifarExtracted+" is there, but vaekit reads and verifies the archive itself")

	// No source at all: every place tried is listed.
	cache := t.TempDir()
	_, err = Load(CIFAR10, Test, Options{CacheDir: cache, NoDownload: true})
	wantErr(t, err, "cifar10 test: no usable source:", "$VAEKIT_DATA unset", "cache "+filepath.Join(cache, "cifar10")+": not found: no cifar-10-binary.tar.gz",
		"download skipped: Options.NoDownload is set", "(set $VAEKIT_DATA to a directory holding cifar-10-binary.tar.gz)")
}

// The archive is downloaded from the first mirror that serves a good copy, verified,
// cached under its own name, and read from the cache afterwards.
func TestCIFARDownload(t *testing.T) {
	isolate(t)
	archive := tarGz(t, fakeCIFARMembers())
	useArchiveChecksum(t, archive)
	other := tarGz(t, without(fakeCIFARMembers(), "readme.html"))
	var hits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/good/"+cifarArchive, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(archive)
	})
	mux.HandleFunc("/wrong/"+cifarArchive, func(w http.ResponseWriter, r *http.Request) { w.Write(other) })
	server := httptest.NewServer(mux)
	defer server.Close()

	cache := t.TempDir()
	dir := filepath.Join(cache, "cifar10")
	var log strings.Builder
	opts := Options{CacheDir: cache, Mirrors: []string{server.URL + "/missing", server.URL + "/wrong/", server.URL + "/good/"}, Log: &log}
	s, err := Load(CIFAR10, Train, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkFakeCIFAR(t, s, Train)
	if want := dir + " (downloaded from " + server.URL + "/good/" + cifarArchive + ")"; s.Source != want {
		t.Errorf("Source %q, want %q", s.Source, want)
	}
	for _, want := range []string{
		"download " + server.URL + "/missing/" + cifarArchive + ": HTTP 404",
		"download " + server.URL + "/wrong/" + cifarArchive + ": " + server.URL + "/wrong/" + cifarArchive + ": checksum mismatch",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("Options.Log %q does not say %q", log.String(), want)
		}
	}
	if got := cacheFiles(t, dir); !slices.Equal(got, []string{cifarArchive}) {
		t.Errorf("cache holds %q, want only %s", got, cifarArchive)
	}

	// Both splits now come from the cache, offline, without a request.
	t.Setenv(envNoDownload, "1")
	for _, split := range []Split{Test, Train} {
		s, err := Load(CIFAR10, split, opts)
		if err != nil {
			t.Fatal(err)
		}
		checkFakeCIFAR(t, s, split)
		if s.Source != dir {
			t.Errorf("%s Source %q, want the cache %s", split, s.Source, dir)
		}
	}
	if hits.Load() != 1 {
		t.Errorf("%d downloads, want 1", hits.Load())
	}

	// A broken cached archive is replaced by a new download.
	t.Setenv(envNoDownload, "")
	truncate(t, filepath.Join(dir, cifarArchive))
	log.Reset()
	if s, err = Load(CIFAR10, Test, opts); err != nil {
		t.Fatal(err)
	}
	checkFakeCIFAR(t, s, Test)
	if hits.Load() != 2 || !strings.Contains(log.String(), "after skipping cache "+dir+": "+filepath.Join(dir, cifarArchive)+": corrupt or truncated") {
		t.Errorf("%d downloads (want 2), Options.Log %q", hits.Load(), log.String())
	}

	// Only bad mirrors: an error listing them, and nothing left in a fresh cache.
	fresh := t.TempDir()
	_, err = Load(CIFAR10, Test, Options{CacheDir: fresh, Mirrors: []string{server.URL + "/wrong/"}})
	wantErr(t, err, "download "+server.URL+"/wrong/"+cifarArchive+": ", "checksum mismatch", "expected "+md5Hex(archive))
	if got := cacheFiles(t, filepath.Join(fresh, "cifar10")); len(got) != 0 {
		t.Errorf("a bad download left %q in the cache", got)
	}
}

func without(ms []member, suffix string) []member {
	return slices.DeleteFunc(ms, func(m member) bool { return strings.HasSuffix(m.name, suffix) })
}

// The canonical address is the published one (the published checksum: TestCIFARChecksum).
func TestCIFARCanonical(t *testing.T) {
	if got := mirrors[CIFAR10][0] + cifarArchive; got != "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz" {
		t.Errorf("first mirror %s", got)
	}
}

// sourceOf and sizeOf describe a set that may be nil, for failure messages.
func sourceOf(s *Set) string {
	if s == nil {
		return "no set"
	}
	return s.Source
}

func sizeOf(s *Set) int {
	if s == nil {
		return 0
	}
	return s.N
}
