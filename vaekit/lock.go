package vaekit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vaekit/vaekit/internal/filelock"
)

// A model directory is shared by every process of a user: two notebooks, or a notebook
// and the vaekit command, may ask for the same model at once. The process that trains
// into a directory holds an advisory lock on its lock file (internal/filelock: flock(2) on
// unix). The kernel releases the lock when the process ends, however it ends, so a killed
// process leaves no stale lock behind. The file also says who holds the lock, for the others' messages.

const lockFileName = ".lock"

// ErrModelDirBusy is wrapped by the error of LockModelDir (and of Train with a Dir) when
// another process holds the model directory.
var ErrModelDirBusy = errors.New("the model directory is in use by another process")

// DirLock is this process's exclusive hold on a model directory, from LockModelDir.
type DirLock struct {
	dir  string
	file *os.File
}

// lockHolder is what the lock file says about the process holding it.
type lockHolder struct {
	PID      int       `json:"pid"`
	Host     string    `json:"host"`
	Command  string    `json:"command"`
	Since    time.Time `json:"since"`
	Activity string    `json:"activity"` // What it does with the model, e.g. "training this model".
}

func (h lockHolder) String() string {
	if h.PID == 0 {
		return "another process"
	}
	host := ""
	if name, _ := os.Hostname(); h.Host != name {
		host = " on " + h.Host
	}
	return fmt.Sprintf("PID %d%s (%s), which is %s since %s", h.PID, host, h.Command, h.Activity, h.Since.Format(time.TimeOnly))
}

// LockModelDir takes dir (created if needed) for this process, or fails at once, with an
// error wrapping ErrModelDirBusy that names the process holding it. Train takes the lock
// itself; a caller that does more in dir than training (the vaekit command writes its
// metrics there too) takes it first and passes it in TrainOptions.Lock.
func LockModelDir(dir string) (*DirLock, error) {
	l, holder, err := openLock(dir)
	if err != nil {
		return nil, err
	}
	if holder != nil {
		l.file.Close()
		return nil, fmt.Errorf("vaekit: %s: %w: %s; wait for it to finish, or use another directory", dir, ErrModelDirBusy, holder)
	}
	if err := l.setActivity("training this model"); err != nil {
		return nil, err
	}
	return l, nil
}

// waitForModelDir takes dir for this process, waiting while another process holds it,
// and says for whom it waits on log.
func waitForModelDir(dir, activity string, log io.Writer) (*DirLock, error) {
	l, holder, err := openLock(dir)
	if err != nil {
		return nil, err
	}
	if holder != nil {
		fmt.Fprintf(log, "vaekit: waiting for %s in %s\n", holder, dir)
		if err := filelock.Lock(l.file, true); err != nil {
			l.file.Close()
			return nil, fmt.Errorf("vaekit: waiting for the lock on %s: %w", dir, err)
		}
	}
	if err := l.setActivity(activity); err != nil {
		return nil, err
	}
	return l, nil
}

// openLock opens dir's lock file and tries to lock it. When another process holds it,
// it returns the lock unlocked, and holder says who has it.
func openLock(dir string) (l *DirLock, holder *lockHolder, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("vaekit: model directory: %w", err)
	}
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("vaekit: opening the lock file of %s: %w", dir, err)
	}
	l = &DirLock{dir: dir, file: f}
	if err := filelock.Lock(f, false); errors.Is(err, filelock.ErrLocked) {
		h := readHolder(path)
		return l, &h, nil
	} else if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("vaekit: locking %s: %w", path, err)
	}
	return l, nil, nil
}

// readHolder reads who holds the lock file at path. The holder writes it just after
// taking the lock, so an empty file is read again a few times.
func readHolder(path string) lockHolder {
	var h lockHolder
	for range 20 {
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &h) == nil {
			return h
		}
		time.Sleep(10 * time.Millisecond)
	}
	return lockHolder{}
}

// setActivity records in the lock file this process and what it is doing in the directory.
func (l *DirLock) setActivity(activity string) error {
	host, _ := os.Hostname()
	command := strings.Join(os.Args, " ")
	if len(command) > 200 {
		command = command[:200] + "..."
	}
	b, _ := json.Marshal(lockHolder{PID: os.Getpid(), Host: host, Command: command, Since: time.Now(), Activity: activity})
	err := l.file.Truncate(0)
	if err == nil {
		_, err = l.file.WriteAt(b, 0)
	}
	if err != nil {
		l.Unlock()
		return fmt.Errorf("vaekit: writing the lock file of %s: %w", l.dir, err)
	}
	return nil
}

// Unlock releases the directory. The lock file stays (removing it could let two other
// processes lock two different files); it says who held it last.
func (l *DirLock) Unlock() error {
	if l == nil || l.file == nil {
		return nil
	}
	err := l.file.Close() // Closing the file releases the lock.
	l.file = nil
	return err
}

// holds reports whether l is a held lock on dir.
func (l *DirLock) holds(dir string) bool {
	if l == nil || l.file == nil {
		return false
	}
	a, errA := filepath.Abs(l.dir)
	b, errB := filepath.Abs(dir)
	return errA == nil && errB == nil && a == b
}
