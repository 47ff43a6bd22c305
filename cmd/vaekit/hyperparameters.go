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
	for _, st := range s.list {
		if st.flag == name || (st.flag == "set" && strings.Contains(st.value, name+"=")) {
			return true
		}
	}
	return false
}

// apply returns cfg with the recorded settings applied in order, with one Config.Set
// call, so the settings are validated together: "--epochs=0 --train_steps=30" is as
// good as "--train_steps=30 --epochs=0". An impossible value is a usage error.
func (s *settings) apply(cfg vaekit.Config) (vaekit.Config, error) {
	cfg = cfg.Clone()
	var parts []string
	for _, st := range s.list {
		if st.flag == "set" {
			parts = append(parts, st.value)
		} else {
			parts = append(parts, st.flag+"="+st.value)
		}
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
