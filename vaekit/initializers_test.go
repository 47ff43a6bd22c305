package vaekit

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// layerVariables returns, per layer scope, the values of its "weights" and "biases" and
// the weights' shape, after the model has built its variables.
func layerVariables(t *testing.T, m *Model) map[string]map[string][]float32 {
	t.Helper()
	if err := m.initVariables(); err != nil {
		t.Fatal(err)
	}
	layers := map[string]map[string][]float32{}
	for v := range m.store.IterVariables() {
		if !v.Trainable {
			continue
		}
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		if layers[v.Scope()] == nil {
			layers[v.Scope()] = map[string][]float32{}
		}
		layers[v.Scope()][v.Name()] = tensors.MustCopyFlatData[float32](value)
		if v.Name() == "weights" {
			dims := v.Shape().Dimensions
			layers[v.Scope()]["shape"] = []float32{}
			for _, d := range dims {
				layers[v.Scope()]["shape"] = append(layers[v.Scope()]["shape"], float32(d))
			}
		}
	}
	return layers
}

// moments returns the mean, the variance around 0 and the largest magnitude of values.
func moments(values []float32) (mean, variance, maxAbs float64) {
	for _, v := range values {
		x := float64(v)
		mean += x
		variance += x * x
		maxAbs = math.Max(maxAbs, math.Abs(x))
	}
	n := float64(len(values))
	return mean / n, variance / n, maxAbs
}

// Each initializer draws every layer's weights and biases from its framework's
// distribution, with the fan-in of that layer: checked by the range, mean and variance of
// the drawn values against the closed forms (uniform on [-b, b]: variance b^2/3; normal:
// variance sigma^2), within 5 standard errors of the variance estimate.
func TestInitializersDrawTheirFrameworksDistributions(t *testing.T) {
	mlp := DefaultConfig() // 784-400-20, decoder 20-400-784.
	conv := smallConvConfig()
	conv.ConvKernel = 3
	for _, tc := range []struct {
		init string
		cfg  Config
	}{
		{"pytorch", mlp}, {"keras", mlp}, {"tf1_glorot_init", mlp}, {"gomlx", mlp},
		{"pytorch", conv}, {"keras", conv},
	} {
		t.Run(tc.init+"-"+tc.cfg.Architecture, func(t *testing.T) {
			cfg := tc.cfg.Clone()
			cfg.Initializer = tc.init
			m, err := NewModel(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for scope, vars := range layerVariables(t, m) {
				shape := vars["shape"]
				dims := make([]int, len(shape))
				for i, d := range shape {
					dims[i] = int(d)
				}
				in, out := dims[len(dims)-2], dims[len(dims)-1]
				receptive := 1
				for _, d := range dims[:len(dims)-2] {
					receptive *= d
				}
				fanIn, fanOut := in*receptive, out*receptive
				if tc.init == "pytorch" && strings.Contains(scope, "deconv") {
					fanIn = out * receptive // PyTorch's ConvTranspose2d: fan_in from the output channels.
				}
				checkDraw(t, scope+"/weights", vars["weights"], tc.init, fanIn, fanOut, len(dims) == 1)
				checkDraw(t, scope+"/biases", vars["biases"], tc.init, fanIn, fanOut, true)
			}
		})
	}
}

// checkDraw checks values against the named initializer's distribution for a layer with
// the given fans; isBias selects the distribution of the layer's biases.
func checkDraw(t *testing.T, what string, values []float32, init string, fanIn, fanOut int, isBias bool) {
	t.Helper()
	if len(values) == 0 {
		t.Fatalf("%s: no values", what)
	}
	mean, variance, maxAbs := moments(values)
	n := float64(len(values))
	var wantVar, bound float64 // bound: the uniform's half-width (0: a normal).
	switch {
	case init == "pytorch":
		bound = 1 / math.Sqrt(float64(fanIn))
		wantVar = bound * bound / 3
	case init == "keras" && !isBias:
		bound = math.Sqrt(6 / float64(fanIn+fanOut))
		wantVar = bound * bound / 3
	case init == "tf1_glorot_init":
		first := fanIn // A weight matrix's shape[0] is its input size; a bias's is its length.
		if isBias {
			first = len(values)
		}
		wantVar = 2 / float64(first)
	case init == "gomlx" && !isBias:
		wantVar = 2 / float64(fanIn)
	default: // Zero biases.
		if maxAbs != 0 {
			t.Errorf("%s: %s biases should be 0, largest is %g", what, init, maxAbs)
		}
		return
	}
	// Standard error of the mean of x^2: sqrt((E x^4 - (E x^2)^2)/n), with E x^4 = 9/5
	// b^4/9 for the uniform and 3 sigma^4 for the normal.
	kurtosis := 3.0
	if bound > 0 {
		kurtosis = 1.8
	}
	se := wantVar * math.Sqrt((kurtosis-1)/n)
	if math.Abs(variance-wantVar) > 5*se {
		t.Errorf("%s (%d values): variance %.4g, want %.4g (+- %.2g)", what, len(values), variance, wantVar, 5*se)
	}
	if math.Abs(mean) > 5*math.Sqrt(wantVar/n) {
		t.Errorf("%s: mean %.3g, want 0 (+- %.2g)", what, mean, 5*math.Sqrt(wantVar/n))
	}
	if bound > 0 {
		if maxAbs > bound*(1+1e-6) {
			t.Errorf("%s: |value| up to %g, beyond the bound %g", what, maxAbs, bound)
		}
		if n >= 1000 && maxAbs < 0.99*bound {
			t.Errorf("%s: |value| only up to %g of the bound %g: not uniform on [-bound, bound]", what, maxAbs, bound)
		}
	} else if n >= 1000 && maxAbs < 3*math.Sqrt(wantVar) {
		t.Errorf("%s: |value| only up to %g = %.1f sigma, not a normal's tails", what, maxAbs, maxAbs/math.Sqrt(wantVar))
	}
}

// Config files written before the initializer, Adam's epsilon and the heads' position were
// settings describe models trained with GoMLX's initializer, GoMLX's epsilon and the heads
// on the hidden layer: they load as such.
func TestOldConfigFilesKeepTheirTraining(t *testing.T) {
	var cfg Config
	if err := cfg.UnmarshalJSON([]byte(`{"latent_dim": 2}`)); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(cfg.Initializer, " ", cfg.AdamEpsilon, " ", cfg.PosteriorHeads)
	if want := "gomlx 1e-07 hidden"; got != want {
		t.Errorf("an old config.json reads as initializer, adam_epsilon, posterior_heads = %s, want %s", got, want)
	}
	cfg = DefaultConfig()
	b, err := cfg.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := back.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if back.String() != cfg.String() {
		t.Errorf("round trip changed the config:\n%s\n%s", cfg, back)
	}
}
