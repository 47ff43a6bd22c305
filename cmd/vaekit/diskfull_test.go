package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A training whose checkpoint finds the disk full: exit 1 and a message that leads with
// what happened and what to do, not with GoMLX's loop. A small tmpfs is the full disk: it
// needs root (mount).
func TestTrainOnAFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes (-short)")
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; vaekit's TestTrainingOnAFullDiskStops injects the failure instead")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
		}
	})
	cwd, dir := t.TempDir(), filepath.Join(mnt, "model")
	r := commandProcess(t, cwd, append([]string{"train", "-dir", dir, "-quiet", "-eval_n=100", "-train_eval_n=100"}, tinyModelWith("--eval_every=10")...)...)
	t.Logf("exit %d: %s", r.code, r.stderr)
	want := "vaekit train: the disk is full: saving the model at step 10 in " + dir + ": "
	if r.code != 1 || !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "no space left on device") ||
		!strings.HasSuffix(r.stderr, "; free some space, then run the same command again\n") || strings.Contains(r.stderr, "Loop.") {
		t.Errorf("want exit 1 and one line starting %q that says what to do, got %s", want, r)
	}
	checkNoTrace(t, "train on a full disk", r)
	if entries, _ := os.ReadDir(cwd); len(entries) > 0 {
		t.Errorf("train wrote into its working directory: %v", entries)
	}
}
