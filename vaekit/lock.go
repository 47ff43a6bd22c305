package vaekit

import (
	"fmt"
	"io"

	"github.com/vaekit/vaekit/internal/dirlock"
)

// A model directory is shared by every process of a user: two notebooks, or a notebook
// and the vaekit command, may ask for the same model at once. The process that trains
// into a directory holds its lock (internal/dirlock, the protocol the judges' cache
// entries share): released by the kernel however the process ends, and naming its holder
// in the others' messages.

// lockFileName is the lock file's name inside a model directory.
const lockFileName = dirlock.FileName

// lockHolder is what the lock file says about the process holding it.
type lockHolder = dirlock.Holder

// ErrModelDirBusy is wrapped by the error of LockModelDir (and of Train with a Dir) when
// another process holds the model directory.
var ErrModelDirBusy = dirlock.ErrBusy

// DirLock is this process's exclusive hold on a model directory, from LockModelDir.
type DirLock = dirlock.Lock

// LockModelDir takes dir (created if needed) for this process, or fails at once, with an
// error wrapping ErrModelDirBusy that names the process holding it. Train takes the lock
// itself; a caller that does more in dir than training (the vaekit command writes its
// metrics there too) takes it first and passes it in TrainOptions.Lock.
func LockModelDir(dir string) (*DirLock, error) {
	l, err := dirlock.Try(dir, "training this model")
	if err != nil {
		return nil, fmt.Errorf("vaekit: %w", err)
	}
	return l, nil
}

// waitForModelDir takes dir for this process, waiting while another process holds it,
// and says for whom it waits on log.
func waitForModelDir(dir, activity string, log io.Writer) (*DirLock, error) {
	l, err := dirlock.Wait(dir, activity, "vaekit", log)
	if err != nil {
		return nil, fmt.Errorf("vaekit: %w", err)
	}
	return l, nil
}

// ModelDirBusy reports whether another process holds dir's lock (training there, say),
// and names it, e.g. "PID 123 (vaekit train -dir D), which is training this model since
// 10:04:05"; it neither waits nor creates anything.
func ModelDirBusy(dir string) (holder string, busy bool) {
	h, busy := dirlock.Busy(dir)
	return h.String(), busy
}
