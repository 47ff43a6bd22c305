package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/vaekit/vaekit/vaekit"
)

// The hyperparameter flags are vaekit.Config's own (Config.RegisterFlags: one flag per
// hyperparameter, and -set), with one difference: parsing only records them, so that
// train can apply them to the right Config once it knows which: the defaults for a new
// model, or the saved Config of the model it continues.

// hyperparameterNames are the flags of the Config: one per hyperparameter, and "set".
func hyperparameterNames() []string {
	return append(vaekit.ParamNames(), "set")
}

// isHyperparameter reports whether f is one of the Config's flags (sample's -seed, say,
// is not: it shares a name, not a meaning).
func isHyperparameter(f *flag.Flag) bool {
	_, ok := f.Value.(*recordedFlag)
	return ok
}

// settings records the hyperparameter flags in command-line order, to apply them later to
// a Config (see apply) in Config.Set's syntax, as the flags of RegisterFlags do.
type settings struct {
	list []setting
}

type setting struct{ flag, value string }

// registerHyperparameters defines the flags of vaekit.Config.RegisterFlags on fs (same
// names, help and defaults). With s, parsing records them into s instead of applying them.
func registerHyperparameters(fs *flag.FlagSet, s *settings) {
	defaults := vaekit.DefaultConfig()
	configFlags := flag.NewFlagSet("config", flag.ContinueOnError)
	defaults.RegisterFlags(configFlags)
	configFlags.VisitAll(func(f *flag.Flag) {
		fs.Var(&recordedFlag{Value: f.Value, name: f.Name, s: s}, f.Name, f.Usage)
	})
}

// recordedFlag is a Config flag whose Set only records the value.
type recordedFlag struct {
	flag.Value // The Config flag: gives the help its default.
	name       string
	s          *settings
}

func (r *recordedFlag) Set(value string) error {
	if r.s == nil {
		return fmt.Errorf("-%s is not accepted here", r.name)
	}
	r.s.list = append(r.s.list, setting{r.name, value})
	return nil
}

// gives reports whether the recorded settings set the hyperparameter name.
func (s *settings) gives(name string) bool {
	list, _ := s.expand()
	for _, g := range list {
		if g.Name == name {
			return true
		}
	}
	return false
}

// given is one hyperparameter setting of the command line, and the flag that gave it.
type given struct {
	vaekit.Setting
	flag string
}

// expand lists the recorded settings one hyperparameter each, in order: a -set's settings
// (those of its files too) one by one.
func (s *settings) expand() ([]given, error) {
	var list []given
	for _, st := range s.list {
		if st.flag != "set" {
			list = append(list, given{vaekit.Setting{Name: st.flag, Value: st.value}, st.flag})
			continue
		}
		parsed, err := vaekit.ParseSettings(st.value)
		if err != nil {
			return nil, usagef("invalid value %q for flag -set: %s", st.value, strings.TrimPrefix(err.Error(), "vaekit: "))
		}
		for _, setting := range parsed {
			list = append(list, given{setting, "set"})
		}
	}
	return list, nil
}

// checkOnce refuses a hyperparameter given twice (two flags, or a flag and -set), naming
// both values: which one should win is the user's to say.
func checkOnce(list []given) error {
	first := map[string]given{}
	for _, g := range list {
		if before, twice := first[g.Name]; twice {
			return usagef("%s is given twice, as %s and %s: give it once", g.Name, before.describe(), g.describe())
		}
		first[g.Name] = g
	}
	return nil
}

// describe shows a setting as it was given: --name=value, or -set "name=value".
func (g given) describe() string {
	if g.flag == "set" {
		return fmt.Sprintf("-set %q", g.Setting.String())
	}
	return fmt.Sprintf("--%s=%s", g.Name, g.Value)
}

// apply returns cfg with the recorded settings applied, with one Config.Set call, so the
// settings are validated together: "--epochs=0 --train_steps=30" is as good as
// "--train_steps=30 --epochs=0". An impossible value, or one given twice, is a usage
// error.
func (s *settings) apply(cfg vaekit.Config) (vaekit.Config, error) {
	cfg = cfg.Clone()
	list, err := s.expand()
	if err != nil {
		return cfg, err
	}
	if err := checkOnce(list); err != nil {
		return cfg, err
	}
	var parts []string
	for _, g := range list {
		if g.flag != "set" && strings.Contains(g.Value, ";") {
			return cfg, usagef("invalid value %q for flag -%s: expected one value, without \";\" (-set takes several settings)", g.Value, g.flag)
		}
		parts = append(parts, g.Setting.String())
	}
	if len(parts) > 0 {
		if err := cfg.Set(strings.Join(parts, ";")); err != nil {
			msg := strings.TrimPrefix(err.Error(), "vaekit: ")
			if len(s.list) == 1 {
				return cfg, usagef("invalid value %q for flag -%s: %s", s.list[0].value, s.list[0].flag, msg)
			}
			return cfg, usagef("invalid hyperparameters: %s", msg)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usagef("%s", strings.TrimPrefix(err.Error(), "vaekit: "))
	}
	return cfg, nil
}
