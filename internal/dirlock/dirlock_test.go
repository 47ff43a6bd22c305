package dirlock

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Busy tells a held directory from a free one, names the holder, and creates nothing.
func TestBusy(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no locks between processes here (filelock)")
	}
	dir := filepath.Join(t.TempDir(), "model")
	if _, busy := Busy(dir); busy {
		t.Error("Busy on a directory that does not exist: busy")
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("Busy created the directory")
	}
	l, err := Try(dir, "training this model")
	if err != nil {
		t.Fatal(err)
	}
	// flock(2) locks belong to open files: this process's own lock counts as another's.
	h, busy := Busy(dir)
	if !busy || h.PID != os.Getpid() || h.Activity != "training this model" {
		t.Errorf("Busy while locked: %v, holder %+v; want busy, this process, training", busy, h)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if _, busy := Busy(dir); busy {
		t.Error("Busy after Unlock: busy")
	}
	again, err := Try(dir, "training this model") // Busy left no lock behind.
	if err != nil {
		t.Fatalf("Try after Busy: %v", err)
	}
	again.Unlock()
}
