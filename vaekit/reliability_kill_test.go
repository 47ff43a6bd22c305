package vaekit

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaekit/vaekit/internal/ckptfile"
)

// killSeed chooses TestKilledSaveLosesNothing's kill moments; 0 takes the clock.
var killSeed = flag.Uint64("kill_seed", 0, "seed of TestKilledSaveLosesNothing's kill moments (0: from the clock)")

// The child role of TestKilledSaveLosesNothing: when these are set, the test binary trains
// and saves in a loop into $killChildDirEnv, and SIGKILLs itself during save number
// $killChildAtEnv.
const (
	killChildDirEnv  = "VAEKIT_TEST_KILL_CHILD_DIR"
	killChildLogEnv  = "VAEKIT_TEST_KILL_CHILD_LOG"
	killChildAtEnv   = "VAEKIT_TEST_KILL_CHILD_AT"
	killChildSeedEnv = "VAEKIT_TEST_KILL_CHILD_SEED"
)

// A process killed (SIGKILL: no deferred code, no flush) at a random moment while it saves
// a checkpoint must lose nothing: the directory still loads, and holds exactly the weights
// of one of the checkpoints that was being saved, never a mix, and never one older than the
// last save that had completed. The child is this test binary, re-executed, resuming from
// the directory the previous child left; before each save it records the step and a hash
// of every saved variable in a log (fsynced), so the parent can tell what each checkpoint
// held. The child sends the SIGKILL to itself, from a timer set to a random moment within
// the time its earlier saves took: a kill sent by the parent after reading "saving" would
// land after the save on a loaded machine.
func TestKilledSaveLosesNothing(t *testing.T) {
	if dir := os.Getenv(killChildDirEnv); dir != "" {
		runSaveLoop(t, dir, os.Getenv(killChildLogEnv))
		return
	}
	if testing.Short() {
		t.Skip("starts and kills child processes")
	}
	dir := filepath.Join(t.TempDir(), "model")
	logPath := filepath.Join(t.TempDir(), "saves.log")
	// Each run tries other kill moments; the seed that chose them is logged, and
	// -kill_seed replays it (the moments are fractions of measured save times, so a replay
	// lands near, not exactly on, the same instants).
	seed := *killSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill seed %d (replay: go test ./vaekit -run '^TestKilledSaveLosesNothing$' -args -kill_seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	const rounds = 10
	killedInSave := 0
	lastCompleted := -1
	for round := range rounds {
		killAt := 2 + rng.IntN(2) // During the 2nd or 3rd save of this child.
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledSaveLosesNothing$", "-test.count=1")
		cmd.Env = append(os.Environ(), killChildDirEnv+"="+dir, killChildLogEnv+"="+logPath,
			fmt.Sprintf("%s=%d", killChildAtEnv, killAt), fmt.Sprintf("%s=%d", killChildSeedEnv, rng.Uint64()))
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var output []string
		killedStep, completedKilled := 0, false
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			output = append(output, lines.Text())
			var step int
			var ns int64
			if _, err := fmt.Sscanf(lines.Text(), "armed %d %d", &step, &ns); err == nil {
				killedStep = step
			} else if _, err := fmt.Sscanf(lines.Text(), "saved %d %d", &step, &ns); err == nil {
				lastCompleted = step
				completedKilled = completedKilled || step == killedStep
			}
		}
		err = cmd.Wait()
		if killedStep == 0 || cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != -1 {
			t.Fatalf("round %d: the child was to kill itself during save %d, but ended with %v; its output:\n%s",
				round, killAt, err, strings.Join(output, "\n"))
		}
		if !completedKilled {
			killedInSave++
		}

		// What is on disk loads, and is one whole checkpoint.
		m, err := Load(dir)
		if err != nil {
			t.Fatalf("round %d: after a kill during the save of step %d, Load fails: %v", round, killedStep, err)
		}
		step, hash := m.GlobalStep(), savedStateHash(t, m)
		logged := readSaveLog(t, logPath)
		if !slices.Contains(logged[step], hash) {
			t.Fatalf("round %d: the loaded checkpoint (step %d) holds weights no save wrote (hash %s, logged %q)", round, step, hash, logged[step])
		}
		if step < lastCompleted {
			t.Fatalf("round %d: the loaded checkpoint is from step %d, but the save of step %d had completed", round, step, lastCompleted)
		}
		outcome := "the save had completed before the kill"
		switch {
		case !completedKilled && step == killedStep:
			outcome = "killed after the new checkpoint was in place"
		case !completedKilled:
			outcome = "killed mid-save: the previous checkpoint"
		}
		t.Logf("round %d: SIGKILL in save #%d (step %d); loaded step %d: %s", round, killAt, killedStep, step, outcome)
	}
	if killedInSave == 0 {
		t.Errorf("no kill landed inside a save in %d rounds", rounds)
	}
	// Save keeps 3 checkpoints; one more when the last kill landed between moving the new
	// checkpoint in and deleting the oldest.
	if bases, _ := ckptfile.List(dir); len(bases) > 4 {
		t.Errorf("%d checkpoints kept, expected at most 3 (+1): %v", len(bases), bases)
	}
}

// runSaveLoop is the child: it resumes (or starts) a small model in dir and alternates one
// training step with a save, logging each save before it starts. During save number
// $killChildAtEnv it SIGKILLs itself, at a random moment within the shortest save so far
// (or right after the save, if that one was quicker).
func runSaveLoop(t *testing.T, dir, logPath string) {
	killAt, err := strconv.Atoi(os.Getenv(killChildAtEnv))
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := strconv.ParseUint(os.Getenv(killChildSeedEnv), 10, 64)
	rng := rand.New(rand.NewPCG(seed, 9))
	var m *Model
	if HasSavedModel(dir) {
		m, err = Load(dir)
	} else {
		cfg := smallConfig()
		cfg.HiddenDims = []int{256} // Checkpoints of a few MB: saving takes most of the time.
		cfg.BatchSize, cfg.EvalBatchSize, cfg.EvalEvery = 16, 16, 0
		m, err = NewModel(cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	trainSet, heldOut := syntheticSet(64, 40), syntheticSet(16, 41)
	minDur := time.Duration(0)
	for save := 1; ; save++ {
		m.Config.Steps = m.GlobalStep() + 1
		if err := m.Fit(trainSet, heldOut, TrainOptions{Quiet: true, TrainEvalSize: 16}); err != nil {
			t.Fatal(err)
		}
		step := m.GlobalStep()
		if _, err := fmt.Fprintf(logFile, "%d %s\n", step, savedStateHash(t, m)); err != nil {
			t.Fatal(err)
		}
		if err := logFile.Sync(); err != nil {
			t.Fatal(err)
		}
		if save == killAt {
			delay := time.Duration(rng.Int64N(int64(minDur) + 1))
			fmt.Printf("armed %d %d\n", step, delay)
			time.AfterFunc(delay, killSelf)
		}
		start := time.Now()
		if err := m.Save(dir); err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		fmt.Printf("saved %d %d\n", step, d.Nanoseconds())
		if save == killAt {
			killSelf() // The save was quicker than the timer.
		}
		if minDur == 0 || d < minDur {
			minDur = d
		}
	}
}

// killSelf sends SIGKILL to this process (os.Process.Kill) and waits for it to land.
func killSelf() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Kill()
	}
	select {}
}

// savedStateHash hashes the values of the variables a checkpoint restores: weights,
// optimizer state and step counters (not the metrics, whose names change every run).
func savedStateHash(t *testing.T, m *Model) string {
	t.Helper()
	var paths []string
	for v := range m.store.IterVariables() {
		if !strings.HasPrefix(v.Path(), "/metrics/") {
			paths = append(paths, v.Path())
		}
	}
	slices.Sort(paths)
	h := sha256.New()
	for _, p := range paths {
		value, err := m.store.GetVariable(p).Value()
		if err != nil {
			t.Fatalf("variable %s: %v", p, err)
		}
		fmt.Fprintf(h, "%s %s\n", p, value.Shape())
		if err := value.ConstBytes(func(b []byte) { h.Write(b) }); err != nil {
			t.Fatalf("variable %s: %v", p, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// readSaveLog reads the children's log: step -> hashes of what the saves of that step held
// (a step saved again after a kill is normally identical, but need not be).
func readSaveLog(t *testing.T, path string) map[int][]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	logged := map[int][]string{}
	for line := range strings.Lines(string(raw)) {
		var step int
		var hash string
		if _, err := fmt.Sscanf(line, "%d %s", &step, &hash); err == nil {
			logged[step] = append(logged[step], hash)
		}
	}
	return logged
}
