package main

import (
	"flag"
	"fmt"
)

// A flag given twice is refused, naming both values: with the last one silently winning,
// "-n 5 ... -n 500" in a long command line, or a script's default overridden further on,
// does something other than one of the two values says. The hyperparameters are checked
// by name when they are applied (settings.apply), since -set gives them too.

// refuseRepeats makes each flag of fs but the hyperparameters refuse a second value
// until restore is called (flag's help reads the flags' own types).
func refuseRepeats(fs *flag.FlagSet) (restore func()) {
	var wrapped []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if !isHyperparameter(f) {
			f.Value = &onceValue{Value: f.Value, name: f.Name}
			wrapped = append(wrapped, f)
		}
	})
	return func() {
		for _, f := range wrapped {
			f.Value = f.Value.(*onceValue).Value
		}
	}
}

// onceValue is a flag's value that accepts one Set.
type onceValue struct {
	flag.Value
	name  string
	given *string // The first value given, once there is one.
}

func (o *onceValue) Set(value string) error {
	if o.given != nil {
		return fmt.Errorf("already given as %q: give -%s once", *o.given, o.name)
	}
	o.given = &value
	return o.Value.Set(value)
}

// IsBoolFlag keeps a bool flag one that needs no value (-quiet).
func (o *onceValue) IsBoolFlag() bool {
	b, ok := o.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
