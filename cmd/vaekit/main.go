// Command vaekit trains and inspects variational autoencoders from the command line: the
// scripted counterpart of vaekit's notebooks, a thin layer over the vaekit packages.
//
//	vaekit train -dir models/vae2 --latent_dim=2 --kl_weight=1
//	vaekit eval -dir models/vae2 -iwae 100
//	vaekit sample -dir models/vae2 -n 64 -out samples.png
//	vaekit manifold -dir models/vae2 -n 20 -out manifold.png
//	vaekit reconstruct -dir models/vae2 -n 10 -out recon.png
//
// A model lives in a directory: train writes it there (and continues it when run again),
// the other commands read it, hyperparameters included. Hyperparameters are flags of train
// (one per vaekit.Config field, e.g. --kl_weight, plus --set "name=value;..." in GoMLX's
// syntax); run "vaekit -h" for the list.
//
// Exit status: 0 on success, 2 for usage errors (unknown command or flag, impossible
// setting, a flag given twice), 1 when the work itself fails (no model in the directory,
// no data, ...), 130 when Ctrl-C interrupted train (which saves a checkpoint first).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// command is one subcommand: its documentation and its flags. flags registers the
// command's flags on fs and returns the function that does the work once they are parsed.
type command struct {
	name    string
	summary string // One line, for "vaekit -h".
	usage   string // The arguments, for "vaekit CMD -h".
	doc     string // What it does and writes, for "vaekit CMD -h".
	flags   func(fs *flag.FlagSet) func(e *env) error
}

// commands lists the subcommands in the order "vaekit -h" shows them; each is defined in
// the file of its name.
var commands = []*command{trainCmd, evalCmd, sampleCmd, manifoldCmd, reconstructCmd}

// env is what a running command writes to, and the limits it works within.
type env struct {
	stdout, stderr io.Writer
	memoryLimit    *memoryLimitFlag // -memory_limit, every command's flag.
	stdoutTaken    bool             // -out - wrote the command's output to stdout.
}

// printf writes one line of the command's report to stdout, or to stderr once -out -
// has written the output itself there.
func (e *env) printf(format string, args ...any) {
	w := e.stdout
	if e.stdoutTaken {
		w = e.stderr
	}
	fmt.Fprintf(w, format+"\n", args...)
}

// usageError is an error in how the command was called (exit status 2), as opposed to a
// failure while doing the work (exit status 1).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program: it runs the command named by args[0] with the rest as its
// flags, and returns the exit status. Tests call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "vaekit: no command given; run 'vaekit -h' for usage")
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && name == "help" { // "vaekit help train" is "vaekit train -h".
			return run([]string{args[1], "-h"}, stdout, stderr)
		}
		printUsage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name == name {
			return c.execute(args[1:], &env{stdout: stdout, stderr: stderr})
		}
	}
	if strings.HasPrefix(name, "-") {
		fmt.Fprintf(stderr, "vaekit: flags go after the command (vaekit COMMAND [flags]), got %q first; run 'vaekit -h' for usage\n", name)
	} else {
		fmt.Fprintf(stderr, "vaekit: unknown command %q (commands: %s); run 'vaekit -h' for usage\n", name, commandNames())
	}
	return 2
}

// execute parses the command's flags, runs it and turns its outcome into an exit status
// and, on failure, one line on stderr.
func (c *command) execute(args []string, e *env) (status int) {
	fs := flag.NewFlagSet("vaekit "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // Errors are reported below, help by printHelp.
	work := c.flags(fs)
	e.memoryLimit = memoryLimitFlags(fs)
	restore := refuseRepeats(fs)
	err := fs.Parse(args)
	restore()
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.printHelp(e.stdout, fs)
		return 0
	case err != nil:
		err = usagef("%s%s", err, hyperparameterHint(err))
	case fs.NArg() > 0:
		err = usagef("unexpected argument %q: every setting is a flag (-name=value)", fs.Arg(0))
	default:
		err = protect(func() error { return work(e) })
	}
	if err == nil {
		return 0
	}
	msg := oneLine(strings.TrimPrefix(err.Error(), "vaekit: ")) // "vaekit CMD: " comes first.
	var usage *usageError
	if errors.As(err, &usage) {
		fmt.Fprintf(e.stderr, "vaekit %s: %s (run 'vaekit %s -h' for usage)\n", c.name, msg, c.name)
		return 2
	}
	var exit interface{ exitStatus() int }
	if errors.As(err, &exit) { // An interrupted train, say: 130, as a shell gives.
		fmt.Fprintf(e.stderr, "vaekit %s: %s\n", c.name, msg)
		return exit.exitStatus()
	}
	fmt.Fprintf(e.stderr, "vaekit %s: %s\n", c.name, msg)
	return 1
}

// protect runs work, turning a panic (a bug, in vaekit or below) into an error, so users
// see one line instead of a stack trace.
func protect(work func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error (please report it): %v", r)
		}
	}()
	return work()
}

// hyperparameterHint explains why a hyperparameter flag is unknown to a command other than
// train: the model's hyperparameters are fixed when it is trained.
func hyperparameterHint(err error) string {
	const prefix = "flag provided but not defined: -"
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return ""
	}
	name := strings.TrimLeft(strings.TrimPrefix(msg, prefix), "-")
	if !slices.Contains(hyperparameterNames(), name) {
		return ""
	}
	return "; hyperparameters are set by 'vaekit train', the other commands use the model's own"
}

// oneLine joins the lines of a multi-line error (vaekit reports every invalid setting at
// once, one per line; a data set that cannot be found lists every place tried).
func oneLine(msg string) string {
	var b strings.Builder
	for _, line := range strings.Split(msg, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if b.Len() > 0 {
			if strings.HasSuffix(b.String(), ":") {
				b.WriteString(" ")
			} else {
				b.WriteString("; ")
			}
		}
		b.WriteString(line)
	}
	return b.String()
}

func commandNames() string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}
