package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// vaekitProcess starts the vaekit command (this test binary, as the command) in a process
// of its own.
func vaekitProcess(t *testing.T, args ...string) (*exec.Cmd, *bufio.Scanner, *bytes.Buffer) {
	t.Helper()
	return vaekitProcessIn(t, "", args...)
}

// vaekitProcessIn is vaekitProcess in the working directory cwd ("": this one's).
func vaekitProcessIn(t *testing.T, cwd string, args ...string) (*exec.Cmd, *bufio.Scanner, *bytes.Buffer) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Dir = cwd
	cmd.Env = append(os.Environ(), asCommandEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, bufio.NewScanner(stdout), &stderr
}

// Two 'vaekit train -dir D' at once: the second refuses at once, with one line naming the
// first process; once the first is gone (even killed), D can be trained again.
func TestTrainRefusesABusyDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes (-short)")
	}
	dir := filepath.Join(t.TempDir(), "model")
	long := append([]string{"train", "-dir", dir, "-eval_n=100", "-train_eval_n=100"}, tinyModelWith("--train_steps=1000000", "--eval_every=100")...)
	first, stdout, stderr := vaekitProcess(t, long...)
	started := false
	for !started && stdout.Scan() {
		started = strings.HasPrefix(stdout.Text(), "training a new model in "+dir)
	}
	if !started {
		t.Fatalf("the first train did not start training; stderr:\n%s", stderr)
	}

	start := time.Now()
	second, _, secondErr := vaekitProcess(t, append([]string{"train", "-dir", dir, "-quiet"}, tinyModel...)...)
	err := second.Wait()
	took := time.Since(start)
	msg := secondErr.String()
	t.Logf("the second train (%.1fs): %s", took.Seconds(), msg)
	if second.ProcessState.ExitCode() != 1 || strings.Count(msg, "\n") != 1 {
		t.Errorf("the second train: %v, stderr %q; want exit 1 with one line", err, msg)
	}
	for _, want := range []string{"vaekit train: " + dir + ": the model directory is in use by another process",
		fmt.Sprintf("PID %d (%s train -dir %s", first.Process.Pid, os.Args[0], dir), "which is training this model"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the second train's error does not say %q", want)
		}
	}
	if took > 10*time.Second {
		t.Errorf("the second train took %v to refuse; want at once, before loading any data", took)
	}
	if _, err := os.Stat(filepath.Join(dir, "metrics.json")); err == nil {
		t.Error("the refused train wrote metrics.json")
	}

	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	third := vaekitRun(append([]string{"train", "-dir", dir, "-quiet", "-eval_n=100", "-train_eval_n=100"}, tinyModel...)...)
	if third.code != 0 || !strings.Contains(third.stdout, "wrote "+filepath.Join(dir, "metrics.json")) {
		t.Errorf("train after the first was killed: want it to take the directory and finish, got %s", third)
	}
}

// A data directory the user names (-data_dir, $VAEKIT_DATA) with a truncated file: train
// fails with the file and the problem, instead of training on the offline copy.
func TestTrainFailsOnABrokenDataDirectory(t *testing.T) {
	broken := t.TempDir()
	gzipped := func(idx []byte) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		if _, err := w.Write(idx); err != nil {
			t.Fatal(err)
		}
		w.Close()
		return b.Bytes()
	}
	// 60,000 images of 28x28 (cut short), and their labels.
	images := filepath.Join(broken, "train-images-idx3-ubyte.gz")
	gz := gzipped(append([]byte{0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28}, make([]byte, 200_000)...))
	labels := gzipped(append([]byte{0, 0, 8, 1, 0, 0, 0xea, 0x60}, make([]byte, 60_000)...))
	if os.WriteFile(images, gz[:len(gz)/2], 0o644) != nil || os.WriteFile(filepath.Join(broken, "train-labels-idx1-ubyte.gz"), labels, 0o644) != nil {
		t.Fatal("cannot write the data files")
	}
	for _, tc := range []struct {
		name string
		args []string
		env  string
	}{
		{"-data_dir", []string{"-data_dir", broken}, ""},
		{"$VAEKIT_DATA", nil, broken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("VAEKIT_DATA", tc.env)
			dir := filepath.Join(t.TempDir(), "model")
			r := vaekitRun(append(append([]string{"train", "-dir", dir}, tc.args...), tinyModel...)...)
			if r.code != 1 || !strings.Contains(r.stderr, images+": corrupt or truncated gzip data") || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("want exit 1 and one line naming %s as truncated, got %s", images, r)
			}
			t.Logf("%s", r.stderr)
			if strings.Contains(r.stdout, "data:") {
				t.Errorf("train went on with other data:\n%s", r.stdout)
			}
		})
	}
}
