package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vaekit/vaekit/vaekit"
)

// printUsage is "vaekit -h": the commands, the hyperparameters and the environment.
func printUsage(w io.Writer) {
	fmt.Fprint(w, `vaekit trains variational autoencoders (VAEs) on MNIST or Fashion-MNIST and draws
what they learned: the scripted counterpart of vaekit's notebooks.

Usage:
  vaekit COMMAND -dir DIR [flags]
  vaekit COMMAND -h        the flags of one command

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
A model lives in a directory (-dir): 'train' writes it there, and continues it when run
again on the same directory; the other commands read it, hyperparameters included.

Hyperparameters (flags of 'train'; the defaults are pytorch/examples' VAE):
`)
	fs := flag.NewFlagSet("hyperparameters", flag.ContinueOnError)
	registerHyperparameters(fs, nil)
	printFlags(w, fs, nil)
	fmt.Fprint(w, `
Environment:
  GOMLX_BACKEND       GoMLX backend: "go" (pure Go, needs nothing), "xla:cpu", "xla:cuda";
                      unset: XLA when a PJRT plugin is installed, else "go".
  VAEKIT_DATA         directory holding the data files, or a subdirectory per data set
                      (like -data_dir: used, or the command fails).
  VAEKIT_NO_DOWNLOAD  1: never download data sets.
  VAEKIT_QUICK        1: 'train' defaults to -quick (the notebooks' CI budget).

Exit status: 0 on success, 2 for usage errors (unknown command or flag, impossible
setting, a flag given twice), 1 when the work fails (no model in -dir, data not found,
training diverged), 130 when Ctrl-C interrupted 'train' (it saves a checkpoint first:
run it again to continue).
`)
}

// printHelp is "vaekit CMD -h": what the command does, then its flags, the hyperparameters
// (for train) last.
func (c *command) printHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: vaekit %s %s\n\n%s\n", c.name, c.usage, strings.TrimSpace(c.doc))
	fmt.Fprint(w, "\nFlags:\n")
	printFlags(w, fs, func(f *flag.Flag) bool { return !isHyperparameter(f) })
	hasHyperparameters := false
	fs.VisitAll(func(f *flag.Flag) { hasHyperparameters = hasHyperparameters || isHyperparameter(f) })
	if hasHyperparameters {
		fmt.Fprint(w, "\nHyperparameters (defaults: pytorch/examples' VAE):\n")
		printFlags(w, fs, isHyperparameter)
	}
}

// printFlags prints the flags of fs that keep accepts (all when keep is nil), as
// flag.PrintDefaults does, with the defaults recorded when each flag was defined: the
// hyperparameters in vaekit's order (model, data, network, objective, training), then
// the others alphabetically.
func printFlags(w io.Writer, fs *flag.FlagSet, keep func(f *flag.Flag) bool) {
	var list []*flag.Flag
	for _, name := range hyperparameterNames() {
		if f := fs.Lookup(name); f != nil && isHyperparameter(f) {
			list = append(list, f)
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if !isHyperparameter(f) {
			list = append(list, f)
		}
	})
	defaults := vaekit.DefaultConfig()
	types := defaults.Params()
	for _, f := range list {
		if keep != nil && !keep(f) {
			continue
		}
		typeName, usage := flag.UnquoteUsage(f)
		if isHyperparameter(f) { // Their flag.Values have a type of their own.
			typeName = "settings" // -set
			if v, ok := types[f.Name]; ok {
				typeName = map[string]string{"int": "int", "uint64": "uint", "float64": "float", "string": "string", "[]int": "ints"}[fmt.Sprintf("%T", v)]
			}
		}
		line := "  -" + f.Name
		if typeName != "" {
			line += " " + typeName
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if f.DefValue != "" && !(typeName == "" && f.DefValue == "false") {
			if typeName == "string" {
				fmt.Fprintf(w, " (default %q)", f.DefValue)
			} else {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
		}
		fmt.Fprintln(w)
	}
}
