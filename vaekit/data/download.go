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
}

const (
	// downloadTimeout bounds one file from one mirror, body included.
	downloadTimeout = 2 * time.Minute
	// maxDownloadBytes is far above the largest file (26 MB) and stops a
	// misbehaving server from filling the disk.
	maxDownloadBytes = 256 << 20
)

// defaultHTTPClient fails fast when offline (short connect and header
// timeouts) while leaving time for the body on a slow link.
var defaultHTTPClient = &http.Client{
	Timeout: downloadTimeout,
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
	dir, err := l.cacheDir()
	if err != nil {
		l.note("download cache: %v", err)
		return nil
	}
	var idx [2]*IDX
	var names [2]string
	var from []string
	for i, base := range []string{l.imagesBase, l.labelsBase} {
		path, err := findFile(dir, base)
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
		url, x, ok := l.download(dir, base)
		if !ok {
			return nil
		}
		idx[i], names[i] = x, url
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

// download fetches base from the first mirror that delivers a valid file,
// noting each failure.
func (l *loader) download(dir, base string) (url string, x *IDX, ok bool) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		l.note("download cache: %v", err)
		return "", nil, false
	}
	bases := l.opts.Mirrors
	if len(bases) == 0 {
		bases = mirrors[l.name]
	}
	for _, m := range bases {
		url := strings.TrimSuffix(m, "/") + "/" + base + ".gz"
		x, err := l.fetch(url, dir, base)
		if err != nil {
			l.skip("download %s: %v", url, err)
			continue
		}
		return url, x, true
	}
	return "", nil, false
}

// fetch downloads url into a temporary file in dir, validates it, and only
// then renames it to its final name, so an interrupted or bad download
// never looks like a cached file.
func (l *loader) fetch(url, dir, base string) (x *IDX, err error) {
	tmp, err := os.CreateTemp(dir, "."+base+".gz.part-*")
	if err != nil {
		return nil, err
	}
	defer func() {
		tmp.Close() // a second Close is harmless
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()

	if err := l.get(url, tmp); err != nil {
		return nil, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if x, err = ParseIDX(tmp, url); err != nil {
		return nil, err
	}
	if !l.opts.SkipChecksum {
		if err := verifyChecksum(l.name, base, url, x); err != nil {
			return nil, err
		}
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, base+".gz")); err != nil {
		return nil, err
	}
	return x, nil
}

// get copies the body of a successful GET into w.
func (l *loader) get(url string, w io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), downloadTimeout)
	defer cancel()
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
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, maxDownloadBytes+1))
	if err != nil {
		return fmt.Errorf("download cut short after %d bytes: %w", n, err)
	}
	if n > maxDownloadBytes {
		return errors.New("response larger than any expected file; refusing it")
	}
	return nil
}
