package data

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeMirror serves the gzipped files of one synthetic split under /good/,
// 404 elsewhere, /short/ cut off half way and /wrong/ with other data.
type fakeMirror struct {
	*httptest.Server
	hits atomic.Int32
}

func newFakeMirror(t *testing.T, split Split, s synthetic) *fakeMirror {
	t.Helper()
	prefix, _ := split.filePrefix()
	files := map[string][]byte{
		prefix + "-images-idx3-ubyte.gz": gzipBytes(t, s.images),
		prefix + "-labels-idx1-ubyte.gz": gzipBytes(t, s.labels),
	}
	other := makeSynthetic(1)
	wrong := map[string][]byte{
		prefix + "-images-idx3-ubyte.gz": gzipBytes(t, other.images),
		prefix + "-labels-idx1-ubyte.gz": gzipBytes(t, other.labels),
	}
	m := &fakeMirror{}
	mux := http.NewServeMux()
	mux.HandleFunc("/good/{file}", func(w http.ResponseWriter, r *http.Request) {
		m.hits.Add(1)
		b, ok := files[r.PathValue("file")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	})
	mux.HandleFunc("/short/{file}", func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.PathValue("file")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		// Promise the whole file, send half: the client sees the
		// connection close early.
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b[:len(b)/2])
	})
	mux.HandleFunc("/wrong/{file}", func(w http.ResponseWriter, r *http.Request) {
		w.Write(wrong[r.PathValue("file")])
	})
	m.Server = httptest.NewServer(mux)
	t.Cleanup(m.Close)
	return m
}

// cacheFiles lists what a download left in the cache directory.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestDownload(t *testing.T) {
	isolate(t)
	s := makeSynthetic(4)
	useChecksums(t, MNIST, Test, s)
	m := newFakeMirror(t, Test, s)
	cache := t.TempDir()
	var log strings.Builder
	opts := Options{CacheDir: cache, Mirrors: []string{m.URL + "/missing/", m.URL + "/good"}, Log: &log}

	set, err := Load(MNIST, Test, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Falling back from the first mirror to the second is said, in one line.
	if want := "after skipping download " + m.URL + "/missing/t10k-images-idx3-ubyte.gz: HTTP 404"; strings.Count(log.String(), "\n") != 1 || !strings.Contains(log.String(), want) {
		t.Errorf("Options.Log got %q, want one line with %q", log.String(), want)
	}
	log.Reset()
	dir := filepath.Join(cache, "mnist")
	if set.N != 4 || set.Labels[2] != 2 {
		t.Errorf("N=%d Labels=%v", set.N, set.Labels)
	}
	if want := dir + " (downloaded from " + m.URL + "/good/t10k-images-idx3-ubyte.gz, " + m.URL + "/good/t10k-labels-idx1-ubyte.gz)"; set.Source != want {
		t.Errorf("Source = %q\nwant %q", set.Source, want)
	}
	got := cacheFiles(t, dir)
	if len(got) != 2 || got[0] != "t10k-images-idx3-ubyte.gz" || got[1] != "t10k-labels-idx1-ubyte.gz" {
		t.Errorf("cache holds %q, want exactly the two .gz files", got)
	}

	// The second load is served by the cache, even with downloads off.
	hits := m.hits.Load()
	t.Setenv(envNoDownload, "1")
	set, err = Load(MNIST, Test, opts)
	if err != nil {
		t.Fatal(err)
	}
	if set.Source != dir || m.hits.Load() != hits {
		t.Errorf("second load: Source=%q, %d new requests; want the cache and none", set.Source, m.hits.Load()-hits)
	}
	if log.Len() != 0 {
		t.Errorf("a load without a fallback wrote %q to Options.Log, want nothing", log.String())
	}
}

func TestDownloadRepairsCache(t *testing.T) {
	isolate(t)
	s := makeSynthetic(3)
	useChecksums(t, MNIST, Train, s)
	m := newFakeMirror(t, Train, s)
	cache := t.TempDir()
	dir := filepath.Join(cache, "mnist")
	writeSplit(t, dir, Train, s, true)
	// Corrupt the cached labels; the images stay valid.
	if err := os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte.gz"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	set, err := Load(MNIST, Train, Options{CacheDir: cache, Mirrors: []string{m.URL + "/good/"}, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if want := "after skipping cache " + dir + ": " + filepath.Join(dir, "train-labels-idx1-ubyte.gz") + ": bad IDX magic"; !strings.Contains(log.String(), want) {
		t.Errorf("Options.Log got %q, want the broken cached file named: %q", log.String(), want)
	}
	if want := dir + " (downloaded from " + m.URL + "/good/train-labels-idx1-ubyte.gz)"; set.Source != want {
		t.Errorf("Source = %q, want %q (only the broken file fetched)", set.Source, want)
	}
	if m.hits.Load() != 1 {
		t.Errorf("%d requests, want 1", m.hits.Load())
	}
	if _, err := ReadIDXFile(filepath.Join(dir, "train-labels-idx1-ubyte.gz")); err != nil {
		t.Errorf("cached labels not repaired: %v", err)
	}
}

func TestDownloadFailuresLeaveNoPartialFile(t *testing.T) {
	isolate(t)
	s := makeSynthetic(50) // big enough that half a file is a real cut
	useChecksums(t, MNIST, Train, s)
	m := newFakeMirror(t, Train, s)
	cache := t.TempDir()
	base := m.URL + "/"

	_, err := Load(MNIST, Train, Options{CacheDir: cache, Mirrors: []string{base + "missing", base + "short", base + "wrong"}})
	images := "train-images-idx3-ubyte.gz"
	wantErr(t, err,
		"download "+base+"missing/"+images+": HTTP 404",
		"download "+base+"short/"+images+": ",
		"download "+base+"wrong/"+images+": "+base+"wrong/"+images+": checksum mismatch",
		"expected "+md5Hex(s.images),
	)
	if t.Failed() {
		t.Logf("full error:\n%v", err)
	}
	if got := cacheFiles(t, filepath.Join(cache, "mnist")); len(got) != 0 {
		t.Errorf("failed downloads left %q in the cache", got)
	}
}

func TestDefaultMirrors(t *testing.T) {
	for name, list := range mirrors {
		if len(list) == 0 {
			t.Errorf("%s has no mirrors", name)
		}
		if _, ok := checksums[name]; !ok {
			t.Errorf("%s has no checksums", name)
		}
	}
}

// A server that stops sending mid-file is given up on after stallTimeout, with an error
// that says so, and the next mirror is tried.
func TestDownloadStall(t *testing.T) {
	isolate(t)
	s := makeSynthetic(20)
	useChecksums(t, MNIST, Test, s)
	good := newFakeMirror(t, Test, s)
	old := stallTimeout
	stallTimeout = 200 * time.Millisecond
	t.Cleanup(func() { stallTimeout = old })
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // sends nothing more until the client gives up
	}))
	defer stall.Close()

	var log strings.Builder
	start := time.Now()
	set, err := Load(MNIST, Test, Options{CacheDir: t.TempDir(), Mirrors: []string{stall.URL, good.URL + "/good/"}, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if set.N != 20 {
		t.Errorf("N = %d, want 20", set.N)
	}
	want := "download " + stall.URL + "/t10k-images-idx3-ubyte.gz: download stalled: nothing received for 200ms, after 1000 bytes"
	if !strings.Contains(log.String(), want) {
		t.Errorf("Options.Log %q does not say %q", log.String(), want)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %v: the stall was not cut short", took)
	}

	// A slow server that keeps sending is no stall, however long the whole file takes.
	files := map[string][]byte{"t10k-images-idx3-ubyte.gz": gzipBytes(t, s.images), "t10k-labels-idx1-ubyte.gz": gzipBytes(t, s.labels)}
	trickle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := files[strings.TrimPrefix(r.URL.Path, "/")]
		for i := range 8 { // 8 pieces 100 ms apart: 700 ms in all, 3.5 stall timeouts
			if i > 0 {
				time.Sleep(100 * time.Millisecond)
			}
			w.Write(b[i*len(b)/8 : (i+1)*len(b)/8])
			w.(http.Flusher).Flush()
		}
	}))
	defer trickle.Close()
	if set, err := Load(MNIST, Test, Options{CacheDir: t.TempDir(), Mirrors: []string{trickle.URL}}); err != nil || set.N != 20 {
		t.Errorf("from a slow mirror: %v", err)
	}
}
