package main

import (
	"bytes"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// -out writes into what is not a regular file (a FIFO here) instead of replacing it with
// one, and leaves it a FIFO.
func TestOutWritesThroughAFIFO(t *testing.T) {
	model, _ := trainedModel(t)
	work := t.TempDir()
	fifo := filepath.Join(work, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	received := make(chan []byte, 1)
	go func() { // Opening a FIFO to read waits for a writer.
		content, _ := os.ReadFile(fifo)
		received <- content
	}()
	r, _ := runProcess(t, nil, "eval", "-dir", model, "-n", "5", "-out", fifo)
	var content []byte
	select {
	case content = <-received:
	case <-time.After(5 * time.Second): // Nothing opened it: let the reader go, if the FIFO is still there.
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		select {
		case content = <-received:
		case <-time.After(time.Second): // Replaced: the reader waits on a FIFO no one can open.
		}
	}
	if r.code != 0 || string(content) != r.stdout || !strings.Contains(r.stdout, `"model_dir"`) {
		t.Errorf("eval -out FIFO: want exit 0 and the JSON through the FIFO; got %q through it, %s", content, r)
	}
	if info, err := os.Lstat(fifo); err != nil || info.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("eval -out FIFO: %s is no longer a FIFO (%v, %v)", fifo, info.Mode(), err)
	}
}

// A device (/dev/null; as root, which could replace the machine's if this regressed, a
// node of its own) is written through and stays a device, whatever its name.
func TestOutWritesThroughADevice(t *testing.T) {
	model, _ := trainedModel(t)
	device := "/dev/null"
	if os.Geteuid() == 0 {
		device = filepath.Join(t.TempDir(), "null")
		if err := syscall.Mknod(device, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
			t.Skipf("cannot make a device node: %v", err)
		}
		f, err := os.OpenFile(device, os.O_WRONLY, 0)
		if err != nil {
			t.Skipf("cannot open a device node here (nodev?): %v", err)
		}
		f.Close()
	}
	r, _ := runProcess(t, nil, "eval", "-dir", model, "-n", "5", "-out", device)
	if info, err := os.Stat(device); r.code != 0 || err != nil || info.Mode()&fs.ModeCharDevice == 0 {
		t.Errorf("eval -out %s: %s; %s is %v (%v)", device, r, device, info.Mode(), err)
	}
}

// -out - is standard output: eval prints its JSON once, a picture's PNG goes to stdout
// with the report on stderr, and no file named "-" appears.
func TestOutDashIsStandardOutput(t *testing.T) {
	model, _ := trainedModel(t)
	work := t.TempDir()
	r, _ := runProcessIn(t, work, nil, "eval", "-dir", model, "-n", "5", "-out", "-")
	if r.code != 0 || strings.Count(r.stdout, `"model_dir"`) != 1 || r.stderr != "" {
		t.Errorf("eval -out -: want the JSON once on stdout, got %s", r)
	}
	r, _ = runProcessIn(t, work, nil, "sample", "-dir", model, "-n", "4", "-out", "-")
	if _, err := png.Decode(bytes.NewReader([]byte(r.stdout))); r.code != 0 || err != nil || r.stderr != "wrote -: 4 samples from the prior\n" {
		t.Errorf("sample -out -: want a PNG on stdout (%v) and the report on stderr, got exit %d, stderr %q", err, r.code, r.stderr)
	}
	if entries, _ := os.ReadDir(work); len(entries) > 0 {
		t.Errorf("-out - created %s", entries[0].Name())
	}
}

// A symbolic link given to -out is followed: its target is written (created, for a
// dangling link), the link stays; a link into a model directory is refused.
func TestOutFollowsSymbolicLinks(t *testing.T) {
	model, _ := trainedModel(t)
	work := t.TempDir()
	target, dangling := filepath.Join(work, "target.json"), filepath.Join(work, "new.json")
	links := map[string]string{"link.json": "target.json", "dangling.json": "new.json", "model.json": filepath.Join(model, "config.json")}
	for link, to := range links {
		if err := os.Symlink(to, filepath.Join(work, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(target, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	roots := []string{model, work}
	for _, tc := range []struct {
		link, written string
	}{{"link.json", target}, {"dangling.json", dangling}} {
		before := treeSums(t, roots...)
		r, _ := runProcess(t, nil, "eval", "-dir", model, "-n", "5", "-out", filepath.Join(work, tc.link))
		content, err := os.ReadFile(tc.written)
		if r.code != 0 || err != nil || string(content) != r.stdout {
			t.Errorf("eval -out %s: want exit 0 and the JSON in %s (%v), got %s", tc.link, tc.written, err, r)
		}
		if info, err := os.Lstat(filepath.Join(work, tc.link)); err != nil || info.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("eval -out %s replaced the link", tc.link)
		}
		checkUnchanged(t, "eval -out "+tc.link, before, roots, tc.written)
	}
	if info, _ := os.Stat(target); info.Mode().Perm() != 0o600 {
		t.Errorf("the link's target lost its permissions: %v", info.Mode())
	}
	before := treeSums(t, roots...)
	r, _ := runProcess(t, nil, "eval", "-dir", model, "-n", "5", "-out", filepath.Join(work, "model.json"))
	checkRefused(t, "eval -out a link into the model", r, 2, "is inside the model directory "+model)
	checkUnchanged(t, "eval -out a link into the model", before, roots)
}

// -out inside a model directory is refused, for every command and whichever file (the
// model's own, a new one, a subfolder's), -dir's or another model's; so is eval's -out
// without .json. Nothing is written.
func TestOutInsideAModelDirectoryIsRefused(t *testing.T) {
	model, _ := trainedModel(t)
	cvae := trainedCVAE(t)
	checkpoint, err := filepath.Glob(filepath.Join(model, "checkpoint-*.json"))
	if err != nil || len(checkpoint) == 0 {
		t.Fatalf("no checkpoint in %s: %v", model, err)
	}
	work := t.TempDir()
	roots := []string{model, cvae, work}
	inside := "is inside the model directory "
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "-dir", model, "-out", filepath.Join(model, "config.json")}, inside + model},
		{[]string{"eval", "-dir", model, "-out", filepath.Join(model, "history.json")}, inside + model},
		{[]string{"eval", "-dir", model, "-out", checkpoint[0]}, inside + model},
		{[]string{"eval", "-dir", model, "-out", filepath.Join(model, "eval.json")}, inside + model},
		{[]string{"eval", "-dir", model, "-out", filepath.Join(cvae, "eval.json")}, inside + cvae},
		{[]string{"eval", "-dir", model, "-out", filepath.Join(work, "eval.txt")}, `expected a file name ending in .json, or - for standard output`},
		{[]string{"sample", "-dir", model, "-out", filepath.Join(model, "s.png")}, inside + model + ", whose files vaekit manages"},
		{[]string{"sample", "-dir", model, "-out", filepath.Join(model, "samples.png")}, "or leave -out out to write " + filepath.Join(model, "samples.png")},
		{[]string{"manifold", "-dir", model, "-out", filepath.Join(model, "sub", "m.png")}, inside + model},
		{[]string{"reconstruct", "-dir", model, "-out", filepath.Join(cvae, "r.png")}, inside + cvae},
	} {
		before := treeSums(t, roots...)
		r, _ := runProcess(t, nil, tc.args...)
		name := strings.Join(tc.args, " ")
		checkRefused(t, name, r, 2, tc.want)
		checkUnchanged(t, name, before, roots)
	}
}
