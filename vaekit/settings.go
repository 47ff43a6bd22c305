package vaekit

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// The settings syntax of Set, -set and RegisterFlags' flags is GoMLX's -set syntax:
// "name=value" pairs separated by ";", lists comma separated, and "file:path" for a file
// of such lines ("#" starts a comment line). vaekit reads it itself, rather than through
// GoMLX's commandline.ParseSettings, so that each error names the setting, the value and
// what was expected (GoMLX's shows a JSON parse error, and a list's half-parsed value as
// its default), and so that spaces around names and values do not matter.

// Setting is one "name=value" of a settings string, trimmed of spaces.
type Setting struct{ Name, Value string }

func (s Setting) String() string { return s.Name + "=" + s.Value }

// ParseSettings splits settings, in Set's syntax, into its name=value pairs in order,
// reading the lines of its "file:" entries. It checks each name is a hyperparameter, not
// the values: Set does.
func ParseSettings(settings string) ([]Setting, error) {
	list, err := splitSettings(settings, true)
	if err != nil {
		return nil, fmt.Errorf("vaekit: settings %q: %w", settings, err)
	}
	return list, nil
}

// splitSettings is ParseSettings; files says whether "file:" entries are read (a settings
// file cannot name another, so that no file can include itself).
func splitSettings(settings string, files bool) ([]Setting, error) {
	var list []Setting
	var errs []error
	names := ParamNames()
	for _, part := range strings.Split(settings, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if path, ok := strings.CutPrefix(part, "file:"); ok {
			fromFile, err := readSettingsFile(strings.TrimSpace(path), files)
			list = append(list, fromFile...)
			errs = append(errs, err)
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%q: expected name=value", part))
		case strings.Contains(value, "="):
			errs = append(errs, fmt.Errorf("%q: expected one = between a name and its value", part))
		case !slices.Contains(names, name):
			errs = append(errs, fmt.Errorf("unknown hyperparameter %q (known parameters: %s)", name, strings.Join(names, ", ")))
		default:
			list = append(list, Setting{Name: name, Value: value})
		}
	}
	return list, errors.Join(errs...)
}

// readSettingsFile reads the settings of a "file:" entry: one or more per line.
func readSettingsFile(path string, allowed bool) ([]Setting, error) {
	if !allowed {
		return nil, fmt.Errorf("file:%s: a settings file cannot name another file", path)
	}
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, rest)
		}
	}
	content, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading settings from a file: %w", err)
	}
	var lines []string
	for _, line := range strings.Split(string(content), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	list, err := splitSettings(strings.Join(lines, ";"), false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return list, nil
}

// assign parses each setting's value as its field's type and sets the field, reporting
// every value that does not parse.
func (c *Config) assign(list []Setting) error {
	var errs []error
	for _, s := range list {
		p, _ := c.param(s.Name) // ParseSettings checked the names.
		value, err := p.parse(s.Value)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		field := reflect.ValueOf(p.ptr).Elem()
		field.Set(reflect.ValueOf(value).Convert(field.Type()))
	}
	return errors.Join(errs...)
}

// parse reads a value of the param's type from text: an error names the setting, the
// value, what was expected and the default.
func (p param) parse(text string) (any, error) {
	bad := func(expected string) error {
		return fmt.Errorf("%s=%q: expected %s (default %s)", p.name, text, expected, showValue(p.def))
	}
	switch p.def.(type) {
	case int:
		n, err := strconv.Atoi(strings.ReplaceAll(text, "_", ""))
		if err != nil {
			return nil, bad("an integer")
		}
		return n, nil
	case uint64:
		n, err := strconv.ParseUint(strings.ReplaceAll(text, "_", ""), 10, 64)
		if err != nil {
			return nil, bad("an integer >= 0")
		}
		return n, nil
	case float64:
		x, err := strconv.ParseFloat(text, 64)
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0):
			return nil, fmt.Errorf("%s=%s: expected a finite number (default %s)", p.name, text, showValue(p.def))
		case err != nil:
			return nil, bad("a number")
		}
		return x, nil
	case []int:
		return p.parseList(text)
	}
	return text, nil // A string, or a string type (data.Name).
}

// parseList reads a comma separated list of integers; "" is the empty list.
func (p param) parseList(text string) ([]int, error) {
	values := []int{}
	if text == "" {
		return values, nil
	}
	for _, part := range strings.Split(text, ",") {
		n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(part), "_", ""))
		if err != nil {
			return nil, fmt.Errorf("%s=%q: %q is not an integer: expected integers, comma separated (default %s)",
				p.name, text, strings.TrimSpace(part), showValue(p.def))
		}
		values = append(values, n)
	}
	return values, nil
}

// setOne sets one hyperparameter from a flag's value: the value alone (a ";" in it would
// set others).
func (c *Config) setOne(name, value string) error {
	if strings.Contains(value, ";") {
		return fmt.Errorf("vaekit: %s=%q: expected one value, without \";\" (-set takes several settings)", name, value)
	}
	return c.set(name+"="+value, false)
}

// Set parses settings in GoMLX's -set syntax: "name=value" pairs separated by ";"
// (lists comma separated, "file:path" reads settings from a file; see settings.go), then
// validates the result. On error, the Config is left unchanged.
func (c *Config) Set(settings string) error { return c.set(settings, true) }

// set is Set; with combinations false it skips the checks that involve several settings
// (see problems), so that flags can be given in any order.
func (c *Config) set(settings string, combinations bool) error {
	list, err := ParseSettings(settings)
	if err != nil {
		return err
	}
	next := c.Clone()
	if err := next.assign(list); err != nil {
		return fmt.Errorf("vaekit: %w", err)
	}
	// A data set whose images have a known shape brings it, unless the same settings
	// give image_shape too.
	givesShape := slices.ContainsFunc(list, func(s Setting) bool { return s.Name == "image_shape" })
	if known, ok := knownShapes[next.Dataset]; ok && next.Dataset != c.Dataset && !givesShape {
		next.ImageShape = slices.Clone(known)
	}
	if err := next.problems(combinations); err != nil {
		return err
	}
	*c = next
	return nil
}

// RegisterFlags adds one flag per hyperparameter (e.g. --kl_weight=3) to fs, plus
// "set" for GoMLX-style "-set" strings. Each flag is parsed like Set and its value checked
// at once (--latent_dim=0 fails); checks that involve several settings (train_steps=0 with
// epochs=0, say) wait for Validate, which NewModel and Train call, so the order of the
// flags does not matter. In a GoNB notebook, `%% --kl_weight=3` reaches flag.CommandLine.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	for _, p := range c.params() {
		fs.Var(&paramFlag{c: c, name: p.name}, p.name, p.help)
	}
	fs.Var(&setFlag{c: c}, "set", `hyperparameters as "name=value;name=value" (GoMLX -set syntax); names: `+strings.Join(ParamNames(), ", "))
}

type paramFlag struct {
	c    *Config
	name string
}

func (f *paramFlag) String() string {
	if f.c == nil {
		return ""
	}
	if p, ok := f.c.param(f.name); ok {
		return p.text()
	}
	return ""
}
func (f *paramFlag) Set(value string) error { return f.c.setOne(f.name, value) }

type setFlag struct{ c *Config }

func (f *setFlag) String() string         { return "" }
func (f *setFlag) Set(value string) error { return f.c.set(value, false) }
