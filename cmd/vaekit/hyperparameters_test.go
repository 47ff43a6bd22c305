package main

import (
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit"
)

// FuzzSetFlag: train's -set flag, and a hyperparameter flag beside it, parsed and applied
// as train does. No panic; every refusal is a usage error; an accepted setting
// round-trips, Config.Set(cfg.String()) giving the same Config.
func FuzzSetFlag(f *testing.F) {
	for _, seed := range []struct{ set, klWeight string }{
		{"", ""}, {"latent_dim=2", ""}, {" latent_dim = 2 ; model = ae ", ""}, {"latent_dim=2;latent_dim=3", ""},
		{"kl_weight=0.5", "2"}, {"hidden_dims=a,b", ""}, {"kl_weight=NaN", ""}, {"learning_rate=inf", "1"},
		{"=3", ""}, {"latent_dim", ""}, {"a=b=c", ""}, {"dataset=cifar10", ""}, {"", "NaN"}, {"", "0.5;latent_dim=3"},
		{"hidden_dims=", ""}, {"train_steps=0;epochs=0", ""}, {"seed=18446744073709551615", "1e-3"}, {"data_id= x ", ""},
	} {
		f.Add(seed.set, seed.klWeight)
	}
	f.Fuzz(func(t *testing.T, set, klWeight string) {
		if strings.Contains(set, "file:") {
			t.Skip("file: reads files: not for a fuzzer")
		}
		var s settings
		fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		registerHyperparameters(fs, &s)
		args := []string{"-set", set}
		if klWeight != "" {
			args = append(args, "--kl_weight="+klWeight)
		}
		if err := fs.Parse(args); err != nil {
			t.Fatalf("parsing %q: %v", args, err)
		}
		cfg, err := s.apply(vaekit.DefaultConfig())
		if err != nil {
			var usage *usageError
			if !errors.As(err, &usage) {
				t.Fatalf("%q: refused with %v, not a usage error", args, err)
			}
			return
		}
		again := vaekit.DefaultConfig()
		if err := again.Set(cfg.String()); err != nil {
			t.Fatalf("%q gave %s, which Set refuses: %v", args, cfg, err)
		}
		if !reflect.DeepEqual(again, cfg) {
			t.Fatalf("%q gave\n%s\nbut Set of that gave\n%s", args, cfg, again)
		}
	})
}
