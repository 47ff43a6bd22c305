package nb

import (
	"errors"
	"testing"

	"github.com/vaekit/vaekit/vaekit"
)

func TestQuickBudget(t *testing.T) {
	cfg := vaekit.DefaultConfig() // 10 epochs.
	t.Setenv("VAEKIT_QUICK", "")
	if got := Quick(cfg); got.String() != cfg.String() {
		t.Errorf("outside quick mode Quick changed the config to %s", got)
	}
	t.Setenv("VAEKIT_QUICK", "1")
	got := Quick(cfg)
	if got.Steps != 150 || got.Epochs != 0 || got.EvalEvery != 50 || got.Validate() != nil {
		t.Errorf("quick mode: steps %d, epochs %d, eval every %d (%v); want 150, 0, 50", got.Steps, got.Epochs, got.EvalEvery, got.Validate())
	}
	if cfg.Epochs != 10 || cfg.Steps != 0 {
		t.Error("Quick modified its argument")
	}
	cfg.Architecture = "conv"
	if got := Quick(cfg); got.Steps != 20 || got.EvalEvery != 6 {
		t.Errorf("quick conv: steps %d, eval every %d; want 20, 6", got.Steps, got.EvalEvery)
	}
}

func TestMustPanicsWithTheError(t *testing.T) {
	want := errors.New("boom")
	defer func() {
		if r := recover(); r != want {
			t.Errorf("recovered %v, want the error itself", r)
		}
	}()
	Must(0, want)
}
