package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaekit/vaekit/vaekit"
)

// waitForFile waits until path exists, failing the test after limit.
func waitForFile(t *testing.T, path string, limit time.Duration) {
	t.Helper()
	for start := time.Now(); time.Since(start) < limit; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s did not appear within %v", path, limit)
}

// Ctrl-C during 'vaekit train': exit 130, a checkpoint of the step reached (later than
// the last evaluation), a message that says where, at which step and how to continue,
// and the continued run picks up from there.
func TestTrainCtrlCSavesACheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes (-short)")
	}
	cwd, dir := t.TempDir(), filepath.Join(t.TempDir(), "model")
	args := append([]string{"train", "-dir", dir, "-eval_n=100", "-train_eval_n=100"}, tinyModelWith("--train_steps=1000000", "--eval_every=200")...)
	train, stdout, stderr := vaekitProcessIn(t, cwd, args...)
	started := false
	for !started && stdout.Scan() {
		started = strings.HasPrefix(stdout.Text(), "training a new model in "+dir)
	}
	if !started {
		t.Fatalf("the train did not start training; stderr:\n%s", stderr)
	}
	go func() { // Drain the rest, so that the process never waits on a full pipe.
		for stdout.Scan() {
		}
	}()
	waitForFile(t, filepath.Join(dir, "history.json"), time.Minute) // The first evaluation's checkpoint.
	time.Sleep(300 * time.Millisecond)                              // Steps past it.
	if err := train.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	_ = train.Wait()
	r := result{code: train.ProcessState.ExitCode(), stderr: stderr.String()}
	t.Logf("after Ctrl-C: exit %d, stderr:\n%s", r.code, r.stderr)
	checkNoTrace(t, "train after Ctrl-C", r)
	match := regexp.MustCompile(`vaekit train: training interrupted at step (\d+) of 1000000: the model is saved in (.*) at step (\d+); run 'vaekit train -dir (.*)' to continue from there\n$`).FindStringSubmatch(r.stderr)
	if r.code != 130 || match == nil || match[1] != match[3] || match[2] != dir || match[4] != dir {
		t.Fatalf("after Ctrl-C: want exit 130 and a last line saying the step, where it is saved and how to continue; got %s", r)
	}
	step, _ := strconv.Atoi(match[1])
	m, err := vaekit.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	lastEval := m.History[len(m.History)-1].Step
	if m.GlobalStep() != step || lastEval >= step {
		t.Errorf("the checkpoint is of step %d, the last evaluation of step %d; want step %d, after the evaluation", m.GlobalStep(), lastEval, step)
	}
	// Nothing but the model's own files, and nothing in the working directory.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if ok, _ := filepath.Match("checkpoint-*", e.Name()); !ok && !strings.Contains(" config.json history.json .lock .staging ", " "+e.Name()+" ") {
			t.Errorf("the interrupted train wrote %s", e.Name())
		}
	}
	if entries, _ := os.ReadDir(cwd); len(entries) > 0 {
		t.Errorf("the interrupted train wrote into its working directory: %v", entries)
	}

	before := treeSums(t, dir)
	again := commandProcess(t, cwd, append([]string{"train", "-dir", dir, "-quiet", "-eval_n=100", "-train_eval_n=100"}, fmt.Sprintf("--train_steps=%d", step+5))...)
	if want := fmt.Sprintf("vae at step %d (5 new steps in", step+5); again.code != 0 || !strings.Contains(again.stdout, want) {
		t.Errorf("continuing the interrupted model: want exit 0 and %q, got %s", want, again)
	}
	checkNoTrace(t, "train after the interruption", again)
	checkOnlyChanged(t, "train after the interruption", before, treeSums(t, dir), filepath.Join(dir, "checkpoint-*"), filepath.Join(dir, "*.json"),
		filepath.Join(dir, "curves.png"), filepath.Join(dir, ".lock"))
}

// While a training holds a directory and has saved no model yet, eval and sample there say
// so, naming its PID, instead of "no trained model, train one".
func TestCommandsWhileATrainingStarts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes (-short)")
	}
	cwd, dir := t.TempDir(), filepath.Join(t.TempDir(), "model")
	// No evaluation before the end: no checkpoint while the test looks.
	args := append([]string{"train", "-dir", dir, "-eval_n=100", "-train_eval_n=100"}, tinyModelWith("--train_steps=1000000", "--eval_every=0")...)
	train, stdout, stderr := vaekitProcess(t, args...)
	started := false
	for !started && stdout.Scan() {
		started = strings.HasPrefix(stdout.Text(), "training a new model in "+dir)
	}
	if !started {
		t.Fatalf("the train did not start training; stderr:\n%s", stderr)
	}
	go func() {
		for stdout.Scan() {
		}
	}()
	for _, cmd := range [][]string{{"eval", "-dir", dir}, {"sample", "-dir", dir, "-out", filepath.Join(cwd, "s.png")}} {
		before := treeSums(t, dir, cwd)
		r := commandProcess(t, cwd, cmd...)
		name := "vaekit " + strings.Join(cmd, " ")
		t.Logf("%s -> exit %d: %s", name, r.code, r.stderr)
		want := fmt.Sprintf("vaekit %s: a training is running in %s (PID %d (", cmd[0], dir, train.Process.Pid)
		if r.code != 1 || !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "has not saved a model yet: wait for its first checkpoint") ||
			strings.Contains(r.stderr, "train one") {
			t.Errorf("%s: want exit 1 and a line starting %q, got %s", name, want, r)
		}
		checkNoTrace(t, name, r)
		checkOnlyChanged(t, name, before, treeSums(t, dir, cwd))
	}
	if err := train.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = train.Wait()
}
