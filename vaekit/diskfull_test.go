package vaekit

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaekit/vaekit/internal/ckptfile"
)

// A save that hits a full disk fails with an error saying what failed and where, leaves
// the previous checkpoint the newest (it loads, with the weights it had), leaves no debris
// taking space, and the next save, once there is room, works.

// trainedTo returns a model of smallConfig trained (without a directory) to step.
func trainedTo(t *testing.T, m *Model, step int) *Model {
	t.Helper()
	if m == nil {
		var err error
		if m, err = NewModel(smallConfig()); err != nil {
			t.Fatal(err)
		}
	}
	m.Config.Steps = step
	if err := m.Fit(syntheticSet(64, 1), syntheticSet(16, 2), TrainOptions{Quiet: true, TrainEvalSize: 16}); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkFailedSave checks the error of a failed save of step 20 and that dir still holds
// the checkpoint of step 10 with the weights it was saved with.
func checkFailedSave(t *testing.T, err error, dir, hash10 string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("the save on a full disk reported no error")
	}
	t.Logf("the failed save: %v", err)
	want = append(want, "vaekit: saving the model at step 20 in "+dir+": ", "no space left on device",
		"the newest complete checkpoint there is ", "(step 10)")
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not say %q", w)
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("the error does not wrap ENOSPC")
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatalf("after the failed save, the directory does not load: %v", err)
	}
	if m.GlobalStep() != 10 || savedStateHash(t, m) != hash10 {
		t.Errorf("after the failed save, Load gives step %d (hash %s); want the checkpoint of step 10 (hash %s)", m.GlobalStep(), savedStateHash(t, m), hash10)
	}
	if debris, _ := os.ReadDir(filepath.Join(dir, stagingDirName)); len(debris) > 0 {
		t.Errorf("the failed save left %d files in %s", len(debris), stagingDirName)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("the failed save left %s", e.Name())
		}
	}
}

// The full disk injected at each write of a save: the checkpoint's data (its fsync, where
// a file system with delayed allocation reports it), config.json and history.json.
func TestSaveOnAFullDisk(t *testing.T) {
	enospc := func(f *os.File) error { return &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC} }
	for _, tc := range []struct {
		name    string
		failing func(path string) bool
		want    string
	}{
		{"checkpoint data", func(path string) bool {
			return strings.Contains(path, stagingDirName) && strings.HasSuffix(path, ".bin")
		}, "syncing " + stagingDirName},
		{"checkpoint index", func(path string) bool {
			return strings.Contains(path, stagingDirName) && strings.HasSuffix(path, ".json")
		}, "syncing " + stagingDirName},
		{"config.json", func(path string) bool { return strings.Contains(path, configFileName) }, configFileName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "model")
			m := trainedTo(t, nil, 10)
			if err := m.Save(dir); err != nil {
				t.Fatal(err)
			}
			hash10 := savedStateHash(t, m)
			trainedTo(t, m, 20)

			saveSync, saveWrite := ckptfile.SyncFileData, ckptfile.WriteFileData
			t.Cleanup(func() { ckptfile.SyncFileData, ckptfile.WriteFileData = saveSync, saveWrite })
			ckptfile.SyncFileData = func(f *os.File) error {
				if tc.failing(f.Name()) {
					return enospc(f)
				}
				return saveSync(f)
			}
			ckptfile.WriteFileData = func(f *os.File, b []byte) (int, error) {
				if tc.failing(f.Name()) {
					return 0, enospc(f)
				}
				return saveWrite(f, b)
			}
			err := m.Save(dir)
			checkFailedSave(t, err, dir, hash10, strings.ReplaceAll(tc.want, stagingDirName, filepath.Join(dir, stagingDirName)))

			ckptfile.SyncFileData, ckptfile.WriteFileData = saveSync, saveWrite // Room again.
			if err := m.Save(dir); err != nil {
				t.Fatalf("the save after the disk has room again: %v", err)
			}
			if loaded, err := Load(dir); err != nil || loaded.GlobalStep() != 20 {
				t.Errorf("after the next save, Load: %v; want step 20", err)
			}
		})
	}
}

// The same inside training: the evaluation's checkpoint fails, training stops with the
// error, and the directory keeps the checkpoint of the previous evaluation.
func TestTrainingOnAFullDiskStops(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "model")
	cfg := smallConfig() // Evaluates (and saves) every 10 steps.
	var hash10 string
	var m *Model
	saveSync := ckptfile.SyncFileData
	t.Cleanup(func() { ckptfile.SyncFileData = saveSync })
	_, err := Train(cfg, syntheticSet(64, 1), syntheticSet(16, 2), TrainOptions{Dir: dir, Quiet: true, TrainEvalSize: 16,
		OnStart: func(model *Model) { m = model },
		OnEval: func(r Record) {
			if r.Step == 20 { // The checkpoint of 10 is saved: the disk is full from now on.
				hash10 = savedStateHash(t, mustLoad(t, dir))
				ckptfile.SyncFileData = func(f *os.File) error {
					return &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
				}
			}
		}})
	if m == nil || m.GlobalStep() != 20 {
		t.Fatalf("training did not stop at the failed save of step 20: %v", err)
	}
	checkFailedSave(t, err, dir, hash10)
	if !strings.HasPrefix(err.Error(), "vaekit: saving the model at step 20") || strings.Contains(err.Error(), "Loop.") {
		t.Errorf("the error does not lead with the failed save, or shows GoMLX's loop: %v", err)
	}
}

func mustLoad(t *testing.T, dir string) *Model {
	t.Helper()
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A real full disk: a small tmpfs, filled up. It needs root (mount); elsewhere
// TestSaveOnAFullDisk injects the failure instead.
func TestSaveOnAFullTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; TestSaveOnAFullDisk covers the full disk with injected write errors")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); TestSaveOnAFullDisk covers the full disk with injected write errors", err, out)
	}
	t.Cleanup(func() {
		// GoMLX v0.28.16 leaves each checkpoint's data file open (its gzip writer does not
		// close the file) until the garbage collector finalizes it: a busy mount.
		runtime.GC()
		time.Sleep(100 * time.Millisecond) // Finalizers run on their own goroutine.
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v: %s; detaching it lazily", mnt, err, out)
			if out, err := exec.Command("umount", "-l", mnt).CombinedOutput(); err != nil {
				t.Errorf("umount -l %s: %v: %s", mnt, err, out)
			}
		}
	})
	dir := filepath.Join(mnt, "model")
	m := trainedTo(t, nil, 10)
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	hash10 := savedStateHash(t, m)
	trainedTo(t, m, 20)
	filler := filepath.Join(mnt, "filler")

	// Room left for config.json, not for the checkpoint (GoMLX's writer fails), then none
	// at all (config.json's write fails).
	for _, room := range []int64{64 << 10, 0} {
		fill(t, filler, room, mnt)
		err := m.Save(dir)
		checkFailedSave(t, err, dir, hash10)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(dir); err != nil {
		t.Fatalf("the save once the disk has room again: %v", err)
	}
	if loaded, err := Load(dir); err != nil || loaded.GlobalStep() != 20 {
		t.Errorf("after the next save, Load: %v; want step 20", err)
	}
}

// fill grows the file at path until the file system of dir has only room bytes free.
func fill(t *testing.T, path string, room int64, dir string) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := free - room; n > 0 {
		if _, err := f.Write(make([]byte, n)); err != nil && !errors.Is(err, syscall.ENOSPC) {
			t.Fatal(err)
		}
	}
}
