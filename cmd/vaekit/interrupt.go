package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/vaekit/vaekit/vaekit"
)

// Ctrl-C during 'vaekit train' stops the training after the step under way, saves a
// checkpoint of it and says where, at which step and how to continue, then exits with
// 130, as a shell does for a process SIGINT ends. Without this, the steps since the last
// evaluation were lost without a word. A second Ctrl-C ends the process at once.

// catchInterrupt turns the first SIGINT into stop being closed, until release.
func catchInterrupt(stderr io.Writer) (stop <-chan struct{}, release func()) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt)
	stopped, done := make(chan struct{}), make(chan struct{})
	go func() {
		select {
		case <-signals:
			signal.Reset(os.Interrupt) // The next one ends the process.
			fmt.Fprintln(stderr, "vaekit train: interrupted: stopping after the step under way to save a checkpoint (Ctrl-C again quits at once)")
			close(stopped)
		case <-done:
		}
	}()
	return stopped, func() {
		signal.Stop(signals)
		close(done)
	}
}

// interruptedError is the error of an interrupted train: exit status 130.
type interruptedError struct{ rephrased }

func (interruptedError) exitStatus() int { return 130 }

// interrupted says how an interrupted training in dir continues, when it saved anything.
func interrupted(err error, dir string) error {
	msg := trimVaekit(err)
	if vaekit.HasSavedModel(dir) {
		msg += fmt.Sprintf("; run 'vaekit train -dir %s' to continue from there", dir)
	}
	return interruptedError{rephrased{msg, err}}
}
