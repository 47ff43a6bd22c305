package vaekit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The model cache under concurrency, tested with real processes: the test binary
// re-executes itself as a child (cacheChildEnv set) that trains or loads one small
// model and reports what it does, one line at a time, on stdout:
//
//	start STEP                   training starts (TrainOptions.OnStart) at STEP
//	eval STEP                    an evaluation (OnEval); a checkpoint follows it
//	gate STEP                    it stops at the evaluation of STEP until a line arrives on stdin
//	done STEP trained|loaded HASH
//
// and the lines vaekit writes to TrainOptions.Log (waiting, resuming).
const (
	cacheChildEnv     = "VAEKIT_TEST_CACHE_CHILD"      // "cache": TrainOrLoad; "dir=D": Train into D.
	cacheChildGateEnv = "VAEKIT_TEST_CACHE_CHILD_GATE" // The step at which the child waits for stdin.
)

// childConfig is the model every child trains: 40 steps, a checkpoint every 10.
func childConfig() Config {
	cfg := smallConfig()
	cfg.Steps, cfg.EvalEvery = 40, 10
	return cfg
}

// isCacheChild runs the child's side and reports true in a child; in the parent, it
// skips the test under -short.
func isCacheChild(t *testing.T) bool {
	if mode := os.Getenv(cacheChildEnv); mode != "" {
		runCacheChild(t, mode)
		return true
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	return false
}

// runCacheChild is the child's side: it trains or loads childConfig's model.
func runCacheChild(t *testing.T, mode string) {
	gate, _ := strconv.Atoi(os.Getenv(cacheChildGateEnv))
	stdin := bufio.NewReader(os.Stdin)
	trained := false
	opts := TrainOptions{
		Quiet:         true,
		Log:           os.Stdout,
		TrainEvalSize: 32,
		OnStart: func(m *Model) {
			trained = true
			fmt.Printf("start %d\n", m.GlobalStep())
		},
		OnEval: func(r Record) {
			fmt.Printf("eval %d\n", r.Step)
			if r.Step == gate {
				fmt.Printf("gate %d\n", r.Step)
				_, _ = stdin.ReadString('\n')
			}
		},
	}
	trainSet, heldOut := syntheticSet(128, 1), syntheticSet(32, 2)
	var m *Model
	var err error
	if dir, ok := strings.CutPrefix(mode, "dir="); ok {
		opts.Dir = dir
		m, err = Train(childConfig(), trainSet, heldOut, opts)
	} else {
		m, err = TrainOrLoad(childConfig(), trainSet, heldOut, opts)
	}
	if err != nil {
		fmt.Printf("error %v\n", err)
		t.Fatal(err)
	}
	how := "loaded"
	if trained {
		how = "trained"
	}
	fmt.Printf("done %d %s %s\n", m.GlobalStep(), how, savedStateHash(t, m))
}

// childProcess is a running child and the lines it printed so far.
type childProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  *os.File
	lines  chan string
	output []string
	stderr bytes.Buffer
	exited bool
}

// startChild starts the test binary as a child in mode, stopping at the evaluation of
// step gate (0: never).
func startChild(t *testing.T, mode string, gate int) *childProcess {
	t.Helper()
	test := strings.Split(t.Name(), "/")[0]
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), cacheChildEnv+"="+mode, fmt.Sprintf("%s=%d", cacheChildGateEnv, gate))
	c := &childProcess{t: t, cmd: cmd, lines: make(chan string, 100)}
	cmd.Stderr = &c.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdinRead, stdinWrite, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin, c.stdin = stdinRead, stdinWrite
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdinRead.Close()
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			c.lines <- scanner.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() {
		if !c.exited {
			_ = cmd.Process.Kill()
			c.wait()
		}
	})
	return c
}

// waitFor reads the child's lines until one starts with prefix, and returns it.
func (c *childProcess) waitFor(prefix string) string {
	c.t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("PID %d ended without printing %q; it printed:\n%s\nstderr:\n%s", c.cmd.Process.Pid, prefix, strings.Join(c.output, "\n"), c.stderr.String())
			}
			c.output = append(c.output, line)
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			c.t.Fatalf("PID %d did not print %q within a minute; it printed:\n%s", c.cmd.Process.Pid, prefix, strings.Join(c.output, "\n"))
		}
	}
}

// release lets the child go on from its gate.
func (c *childProcess) release() {
	if _, err := c.stdin.WriteString("go\n"); err != nil {
		c.t.Fatal(err)
	}
}

// wait waits for the child to end and returns all it printed.
func (c *childProcess) wait() []string {
	for line := range c.lines {
		c.output = append(c.output, line)
	}
	_ = c.cmd.Wait()
	c.stdin.Close()
	c.exited = true
	return c.output
}

// done parses the child's "done" line.
func (c *childProcess) done() (step int, how, hash string) {
	c.t.Helper()
	line := c.waitFor("done ")
	if _, err := fmt.Sscanf(line, "done %d %s %s", &step, &how, &hash); err != nil {
		c.t.Fatalf("PID %d: bad line %q: %v", c.cmd.Process.Pid, line, err)
	}
	return step, how, hash
}

func hasLinePrefix(lines []string, prefix string) bool {
	return slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) })
}

// Two processes ask TrainOrLoad for the same Config at once: one trains; the other says
// it waits, and for whom, then loads the finished model (the same weights) without
// training and without seeing the directory half-written.
func TestConcurrentTrainOrLoadTrainsOnce(t *testing.T) {
	if isCacheChild(t) {
		return
	}
	t.Setenv("VAEKIT_MODELS", t.TempDir())
	trainer := startChild(t, "cache", 10)
	trainer.waitFor("gate 10") // It holds the entry and trains; its first checkpoint is not saved yet.

	waiter := startChild(t, "cache", 0)
	line := waiter.waitFor("vaekit: waiting for ")
	t.Logf("the second process: %s", line)
	pid := trainer.cmd.Process.Pid
	for _, want := range []string{fmt.Sprintf("waiting for PID %d (", pid), "-test.run=^TestConcurrentTrainOrLoadTrainsOnce$", "which is training this model since"} {
		if !strings.Contains(line, want) {
			t.Errorf("the waiting process says %q; want it to contain %q", line, want)
		}
	}
	trainer.release()
	step, how, trainedHash := trainer.done()
	if step != 40 || how != "trained" {
		t.Fatalf("the first process: step %d, %s; want 40, trained", step, how)
	}
	step, how, loadedHash := waiter.done()
	if step != 40 || how != "loaded" || loadedHash != trainedHash {
		t.Errorf("the waiting process: step %d, %s, weights %s; want 40, loaded, the trained weights %s", step, how, loadedHash, trainedHash)
	}
	if out := waiter.wait(); hasLinePrefix(out, "start") || hasLinePrefix(out, "eval") {
		t.Errorf("the waiting process trained too:\n%s", strings.Join(out, "\n"))
	}
}

// A process stopped while it trains (Jupyter's interrupt: SIGINT; GoNB's kill after it:
// SIGKILL) leaves its lock file and a checkpoint short of the budget. The next run gets
// the lock at once, is not fooled into loading the short model as finished, and says it
// resumes from the last checkpoint.
func TestInterruptedTrainingResumes(t *testing.T) {
	if isCacheChild(t) {
		return
	}
	for _, sig := range []os.Signal{os.Interrupt, os.Kill} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Setenv("VAEKIT_MODELS", t.TempDir())
			dir, err := CachedModelDir(childConfig())
			if err != nil {
				t.Fatal(err)
			}
			first := startChild(t, "cache", 20)
			first.waitFor("gate 20") // The checkpoint of step 10 is saved; that of 20 is not.
			if err := first.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			out := first.wait()
			if status, ok := first.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !status.Signaled() || hasLinePrefix(out, "done") {
				t.Fatalf("the first process was to die of %v; it ended with %v, printing:\n%s", sig, first.cmd.ProcessState, strings.Join(out, "\n"))
			}
			var holder lockHolder
			if b, err := os.ReadFile(filepath.Join(dir, lockFileName)); err != nil || json.Unmarshal(b, &holder) != nil || holder.PID != first.cmd.Process.Pid {
				t.Fatalf("the lock file should still name the dead process %d: %+v (%v)", first.cmd.Process.Pid, holder, err)
			}
			if m, err := Load(dir); err != nil || m.GlobalStep() != 10 {
				t.Fatalf("after the %v, the directory should hold the checkpoint of step 10: %v", sig, err)
			}

			start := time.Now()
			second := startChild(t, "cache", 0)
			step, how, _ := second.done()
			out = second.wait()
			if step != 40 || how != "trained" {
				t.Errorf("the second process: step %d, %s; want 40, trained", step, how)
			}
			if hasLinePrefix(out, "vaekit: waiting") {
				t.Errorf("the dead process's lock made the next one wait:\n%s", strings.Join(out, "\n"))
			}
			want := []string{"vaekit: resuming the model in " + dir + " from step 10 of 40", "start 10", "eval 20", "eval 30", "eval 40"}
			if !slices.Equal(out[:min(len(out), len(want))], want) {
				t.Errorf("the second process printed:\n%s\nwant it to begin with:\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
			}
			t.Logf("%v: resumed and finished in %.1fs", sig, time.Since(start).Seconds())
		})
	}
}

// Train into a directory another process trains in fails at once, naming that process,
// and changes nothing there; once the other is done, it works.
func TestTrainRefusesABusyDirectory(t *testing.T) {
	if isCacheChild(t) {
		return
	}
	dir := filepath.Join(t.TempDir(), "model")
	other := startChild(t, "dir="+dir, 20)
	other.waitFor("gate 20")
	before := dirListing(t, dir)

	start := time.Now()
	_, err := Train(childConfig(), syntheticSet(128, 1), syntheticSet(32, 2), TrainOptions{Dir: dir, Quiet: true})
	if !errors.Is(err, ErrModelDirBusy) {
		t.Fatalf("Train into a busy directory: %v; want ErrModelDirBusy", err)
	}
	t.Logf("Train into the busy directory: %v", err)
	for _, want := range []string{dir, fmt.Sprintf("PID %d (", other.cmd.Process.Pid), "which is training this model", "use another directory"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %q", err, want)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Train took %v to refuse; want at once", d)
	}
	if after := dirListing(t, dir); !slices.Equal(before, after) {
		t.Errorf("the refused Train changed the directory:\nbefore %v\nafter  %v", before, after)
	}
	if _, err := LockModelDir(dir); !errors.Is(err, ErrModelDirBusy) {
		t.Errorf("LockModelDir of a busy directory: %v; want ErrModelDirBusy", err)
	}

	other.release()
	if step, _, _ := other.done(); step != 40 {
		t.Fatalf("the other process ended at step %d, want 40", step)
	}
	other.wait()
	m, err := Train(childConfig(), syntheticSet(128, 1), syntheticSet(32, 2), TrainOptions{Dir: dir, Quiet: true})
	if err != nil || m.GlobalStep() != 40 {
		t.Errorf("Train once the directory is free: %v", err)
	}
}
