package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// mirrors are the canonical download locations, tried in order. Each
// serves the gzipped upstream files under the base URL.
var mirrors = map[Name][]string{
	MNIST: {
		"https://ossci-datasets.s3.amazonaws.com/mnist/",
		"https://storage.googleapis.com/cvdf-datasets/mnist/",
		"http://yann.lecun.com/exdb/mnist/",
	},
	FashionMNIST: {
		"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
		"https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
	},
	CIFAR10: {
		"https://www.cs.toronto.edu/~kriz/",
	},
}

const (
	// downloadTimeout bounds one file from one mirror, body included: CIFAR-10's
	// 170 MB at 100 kB/s.
	downloadTimeout = 30 * time.Minute
	// maxDownloadBytes is above the largest file (CIFAR-10's archive, 170 MB) and
	// stops a misbehaving server from filling the disk.
	maxDownloadBytes = 256 << 20
)

// stallTimeout ends a download that has received nothing for that long. A variable
// so that tests can shorten it.
var stallTimeout = time.Minute

// defaultHTTPClient fails fast when offline (short connect and header
// timeouts) while leaving time for the body on a slow link.
var defaultHTTPClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	},
}

// tryCacheOrDownload uses the download cache, fetching whichever file is
// missing or broken there. A valid cached file is never downloaded again.
func (l *loader) tryCacheOrDownload() *Set {
	if l.name == CIFAR10 {
		return l.tryArchiveCache()
	}
	dir, err := l.cacheDir()
	if err != nil {
		l.note("download cache: %v", err)
		return nil
	}
	var idx [2]*IDX
	var names [2]string
	var from []string
	for i, base := range []string{l.imagesBase, l.labelsBase} {
		path, err := findFile(dir, base+".gz", base)
		if err == nil {
			idx[i], err = l.readFile(path, base)
			names[i] = path
		}
		if err == nil {
			continue
		}
		if errors.As(err, new(absentError)) {
			l.note("cache %s: %v", dir, err)
		} else {
			l.skip("cache %s: %v", dir, err)
		}
		if why := l.downloadDisabled(); why != "" {
			l.note("download skipped: %s", why)
			return nil
		}
		url, ok := l.download(dir, base+".gz", func(r io.Reader, url string) (err error) {
			idx[i], err = l.parseIDX(r, url, base)
			return err
		})
		if !ok {
			return nil
		}
		names[i] = url
		from = append(from, url)
	}
	s, err := newSet(l.name, l.split, idx[0], idx[1], names[0], names[1])
	if err != nil {
		l.note("cache %s: %v", dir, err)
		return nil
	}
	s.Source = dir
	if len(from) > 0 {
		s.Source = fmt.Sprintf("%s (downloaded from %s)", dir, strings.Join(from, ", "))
	}
	return s
}

// download fetches file from the first mirror whose copy passes check, noting each
// failure.
func (l *loader) download(dir, file string, check func(r io.Reader, url string) error) (url string, ok bool) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		l.note("download cache: %v", err)
		return "", false
	}
	bases := l.opts.Mirrors
	if len(bases) == 0 {
		bases = mirrors[l.name]
	}
	for _, m := range bases {
		url := strings.TrimSuffix(m, "/") + "/" + file
		if err := l.fetch(url, dir, file, check); err != nil {
			l.skip("download %s: %v", url, err)
			continue
		}
		return url, true
	}
	return "", false
}

// fetch downloads url into a temporary file in dir, checks it, and only then
// renames it to dir/file, so an interrupted or bad download never looks like a
// cached file.
func (l *loader) fetch(url, dir, file string, check func(r io.Reader, url string) error) (err error) {
	tmp, err := os.CreateTemp(dir, "."+file+".part-*")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close() // a second Close is harmless
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()

	if err := l.get(url, tmp); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := check(tmp, url); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, file))
}

// get copies the body of a successful GET into w, giving up when nothing arrives
// for stallTimeout.
func (l *loader) get(url string, w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), downloadTimeout)
	defer cancel()
	var stalled atomic.Bool
	watchdog := time.AfterFunc(stallTimeout, func() { stalled.Store(true); cancel() })
	defer watchdog.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := l.opts.HTTPClient
	if client == nil {
		client = defaultHTTPClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if stalled.Load() {
			return fmt.Errorf("download stalled: no answer for %v", stallTimeout)
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	body := readFunc(func(p []byte) (int, error) {
		n, err := resp.Body.Read(p)
		if n > 0 {
			watchdog.Reset(stallTimeout)
		}
		return n, err
	})
	n, err := io.Copy(w, io.LimitReader(body, maxDownloadBytes+1))
	if stalled.Load() {
		return fmt.Errorf("download stalled: nothing received for %v, after %d bytes", stallTimeout, n)
	}
	if err != nil {
		return fmt.Errorf("download cut short after %d bytes: %w", n, err)
	}
	if n > maxDownloadBytes {
		return errors.New("response larger than any expected file; refusing it")
	}
	return nil
}

// readFunc is an io.Reader made of a function.
type readFunc func(p []byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }
