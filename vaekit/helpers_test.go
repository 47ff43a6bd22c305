package vaekit

import (
	"os"
	"slices"
	"testing"

	"github.com/gomlx/compute"

	"github.com/vaekit/vaekit/vaekit/data"
)

// Tests run on the pure Go backend unless the caller chose one: they must never depend on
// an XLA plugin being installed.
func TestMain(m *testing.M) {
	if _, found := os.LookupEnv(compute.ConfigEnvVar); !found {
		os.Setenv(compute.ConfigEnvVar, "go")
	}
	os.Exit(m.Run())
}

func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := Backend()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// curves is a training history without its wall times, which no two runs share.
func curves(history []Record) []Record {
	out := slices.Clone(history)
	for i := range out {
		out[i].WallSeconds = 0
	}
	return out
}

// untrainedTerms are the held-out terms of cfg's model before any training: what training
// must improve on.
func untrainedTerms(t *testing.T, cfg Config, heldOut *data.Set) Terms {
	t.Helper()
	untrained, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start, err := untrained.evaluate(heldOut)
	if err != nil {
		t.Fatal(err)
	}
	return start
}
