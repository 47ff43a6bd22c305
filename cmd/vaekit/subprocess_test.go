package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Helpers for the tests of hostile and careless input: the command run as a process of
// its own (this test binary, as the command), and the files it must leave alone.

// runProcess runs the command in a process of its own, in a new temporary directory,
// through wrapper (e.g. a shell that sets a memory limit, then runs "$@"; none when nil),
// and returns what it gave and how long it took.
func runProcess(t *testing.T, wrapper []string, args ...string) (result, time.Duration) {
	t.Helper()
	return runProcessIn(t, t.TempDir(), wrapper, args...)
}

// runProcessIn is runProcess in the working directory dir.
func runProcessIn(t *testing.T, dir string, wrapper []string, args ...string) (result, time.Duration) {
	t.Helper()
	argv := append(append(append([]string{}, wrapper...), os.Args[0]), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), asCommandEnv+"=1")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", argv, err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}, took
}

// checkRefused checks a run that must fail with status code and one line on stderr that
// says each of wants, with no panic or runtime trace.
func checkRefused(t *testing.T, name string, r result, code int, wants ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("%s: want exit %d, got %s", name, code, r)
		return
	}
	for _, trace := range []string{"goroutine ", "panic", "fatal error", "runtime.", "internal error"} {
		if strings.Contains(r.stderr, trace) {
			t.Errorf("%s: stderr has %q, a crash's trace:\n%s", name, trace, r.stderr)
		}
	}
	if strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("%s: want one line on stderr, got:\n%s", name, r.stderr)
	}
	for _, want := range wants {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("%s: stderr does not say %q:\n%s", name, want, r.stderr)
		}
	}
}

// treeSums is the content of every file under the roots (a missing root: none), by path:
// a SHA-256 of a regular file, the mode of anything else.
func treeSums(t *testing.T, roots ...string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) && path == root {
					return nil
				}
				return err
			}
			info, err := os.Lstat(path)
			if err != nil {
				return err
			}
			if !info.Mode().IsRegular() {
				sums[path] = info.Mode().String()
				return nil
			}
			content, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(content)
			sums[path] = hex.EncodeToString(sum[:])
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return sums
}

// checkUnchanged checks that the files under the roots are those of before, except the
// paths named in changed (which may be new, changed or gone).
func checkUnchanged(t *testing.T, name string, before map[string]string, roots []string, changed ...string) {
	t.Helper()
	after := treeSums(t, roots...)
	named := map[string]bool{}
	for _, p := range changed {
		named[p] = true
	}
	for path, sum := range before {
		if !named[path] && after[path] != sum {
			t.Errorf("%s changed or removed %s", name, path)
		}
	}
	for path := range after {
		if _, ok := before[path]; !ok && !named[path] {
			t.Errorf("%s created %s", name, path)
		}
	}
}

var (
	cvaeOnce   sync.Once
	cvaeResult result
)

// trainedCVAE returns the directory of a tiny conditional model trained once for all
// tests (which must not change it).
func trainedCVAE(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(testRoot, "cvae")
	cvaeOnce.Do(func() {
		args := append([]string{"train", "-dir", dir, "-quiet", "-eval_n=200", "-train_eval_n=200", "--condition=label"}, tinyModel...)
		cvaeResult = vaekitRun(args...)
	})
	if cvaeResult.code != 0 {
		t.Fatalf("training the conditional test model failed: %s", cvaeResult)
	}
	return dir
}
