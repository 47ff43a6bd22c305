// Package dirlock coordinates the processes that share a directory of vaekit's model
// cache: a model's or a judge's. Two notebooks, or a notebook and the vaekit command, may
// ask for the same entry at once. The process that works in a directory holds an advisory
// lock on the directory's lock file (internal/filelock: flock(2) on unix). The kernel
// releases the lock when the process ends, however it ends, so a killed process leaves no
// stale lock behind. The file also says who holds the lock, for the others' messages.
package dirlock

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

// FileName is the lock file's name inside the directory it locks.
const FileName = ".lock"

// ErrBusy is wrapped by the error of Try when another process holds the directory.
var ErrBusy = errors.New("the model directory is in use by another process")

// Lock is this process's exclusive hold on a directory.
type Lock struct {
	dir  string
	file *os.File
}

// Holder is what the lock file says about the process holding it.
type Holder struct {
	PID      int       `json:"pid"`
	Host     string    `json:"host"`
	Command  string    `json:"command"`
	Since    time.Time `json:"since"`
	Activity string    `json:"activity"` // What it does in the directory, e.g. "training this model".
}

func (h Holder) String() string {
	if h.PID == 0 {
		return "another process"
	}
	host := ""
	if name, _ := os.Hostname(); h.Host != name {
		host = " on " + h.Host
	}
	return fmt.Sprintf("PID %d%s (%s), which is %s since %s", h.PID, host, h.Command, h.Activity, h.Since.Format(time.TimeOnly))
}

// Try takes dir (created if needed) for this process, doing activity there, or fails at
// once with an error that wraps ErrBusy and names the process holding it.
func Try(dir, activity string) (*Lock, error) {
	l, holder, err := open(dir)
	if err != nil {
		return nil, err
	}
	if holder != nil {
		l.file.Close()
		return nil, fmt.Errorf("%s: %w: %s; wait for it to finish, or use another directory", dir, ErrBusy, holder)
	}
	if err := l.SetActivity(activity); err != nil {
		return nil, err
	}
	return l, nil
}

// Wait takes dir (created if needed) for this process, doing activity there, waiting
// while another process holds it and saying on log for whom it waits (prefix names the
// waiter: "vaekit", "judge").
func Wait(dir, activity, prefix string, log io.Writer) (*Lock, error) {
	l, holder, err := open(dir)
	if err != nil {
		return nil, err
	}
	if holder != nil {
		fmt.Fprintf(log, "%s: waiting for %s in %s\n", prefix, holder, dir)
		if err := filelock.Lock(l.file, true); err != nil {
			l.file.Close()
			return nil, fmt.Errorf("waiting for the lock on %s: %w", dir, err)
		}
	}
	if err := l.SetActivity(activity); err != nil {
		return nil, err
	}
	return l, nil
}

// open opens dir's lock file and tries to lock it. When another process holds it, it
// returns the lock unlocked, and holder says who has it.
func open(dir string) (l *Lock, holder *Holder, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("model directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the lock file of %s: %w", dir, err)
	}
	l = &Lock{dir: dir, file: f}
	if err := filelock.Lock(f, false); errors.Is(err, filelock.ErrLocked) {
		h := ReadHolder(path)
		return l, &h, nil
	} else if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return l, nil, nil
}

// Busy reports whether another process holds dir, and who, without waiting or creating
// anything: for the messages of a process that only reads the directory.
func Busy(dir string) (holder Holder, busy bool) {
	path := filepath.Join(dir, FileName)
	f, err := os.Open(path)
	if err != nil {
		return Holder{}, false // No lock file: nobody ever locked dir.
	}
	defer f.Close()
	if !filelock.Held(f) {
		return Holder{}, false
	}
	return ReadHolder(path), true
}

// ReadHolder reads who holds the lock file at path. The holder writes it just after
// taking the lock, so an empty file is read again a few times.
func ReadHolder(path string) Holder {
	var h Holder
	for range 20 {
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &h) == nil {
			return h
		}
		time.Sleep(10 * time.Millisecond)
	}
	return Holder{}
}

// SetActivity records in the lock file this process and what it is doing in the directory.
func (l *Lock) SetActivity(activity string) error {
	host, _ := os.Hostname()
	command := strings.Join(os.Args, " ")
	if len(command) > 200 {
		command = command[:200] + "..."
	}
	b, _ := json.Marshal(Holder{PID: os.Getpid(), Host: host, Command: command, Since: time.Now(), Activity: activity})
	err := l.file.Truncate(0)
	if err == nil {
		_, err = l.file.WriteAt(b, 0)
	}
	if err != nil {
		l.Unlock()
		return fmt.Errorf("writing the lock file of %s: %w", l.dir, err)
	}
	return nil
}

// Unlock releases the directory. The lock file stays (removing it could let two other
// processes lock two different files); it says who held it last.
func (l *Lock) Unlock() error {
	if l == nil || l.file == nil {
		return nil
	}
	err := l.file.Close() // Closing the file releases the lock.
	l.file = nil
	return err
}

// Dir is the directory l locks.
func (l *Lock) Dir() string { return l.dir }

// Holds reports whether l is a held lock on dir.
func (l *Lock) Holds(dir string) bool {
	if l == nil || l.file == nil {
		return false
	}
	a, errA := filepath.Abs(l.dir)
	b, errB := filepath.Abs(dir)
	return errA == nil && errB == nil && a == b
}
