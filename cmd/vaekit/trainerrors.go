package main

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
)

// runCaught is train's work (run) with what surrounds it: Ctrl-C stops the training with
// a checkpoint (interrupt.go), a failed first training leaves no directory of its own
// behind (newdir.go), and its errors are said for a command-line user (trainError).
func (o *trainOptions) runCaught(e *env) error {
	stop, release := catchInterrupt(e.stderr)
	defer release()
	o.stop = stop
	before := dirBefore(o.dir)
	err := o.run(e)
	if err == nil {
		return nil
	}
	before.tidy()
	return trainError(err, o.dir)
}

// trainError rephrases the errors of a training in dir that the library words for a Go
// program, or that need a word on what to do.
func trainError(err error, dir string) error {
	var sizes *data.SizesError
	switch {
	case errors.Is(err, vaekit.ErrInterrupted):
		return interrupted(err, dir)
	case errors.As(err, &sizes):
		msg := strings.Replace(trimVaekit(err), sizes.Error(), sizes.Message("-image_shape=HEIGHT,WIDTH,CHANNELS"), 1)
		return rephrased{msg, err}
	case errors.Is(err, syscall.ENOSPC):
		return rephrased{fmt.Sprintf("the disk is full: %s; free some space, then run the same command again", trimVaekit(err)), err}
	}
	return err
}

// rephrased is an error said another way, which errors.Is and As still see through.
type rephrased struct {
	msg string
	err error
}

func (r rephrased) Error() string { return r.msg }
func (r rephrased) Unwrap() error { return r.err }

// trimVaekit is err's message without the library's "vaekit: " (the command says
// "vaekit CMD: ").
func trimVaekit(err error) string { return strings.TrimPrefix(err.Error(), "vaekit: ") }
