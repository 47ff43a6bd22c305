package vaekit

import (
	"math"
	"strings"
	"testing"
)

// TestDecoderOfItsOwn checks decoder_hidden_dims and decoder_activation against a decoding
// computed by hand from the model's weights: sigmoid(W3 tanh(W2 tanh(W1 z + b1) + b2) + b3)
// for a ReLU encoder of one hidden layer and a tanh decoder of two.
func TestDecoderOfItsOwn(t *testing.T) {
	cfg := DefaultConfig()
	cfg.LatentDim, cfg.HiddenDims = 2, []int{3}
	cfg.DecoderHiddenDims, cfg.DecoderActivation = []int{4, 5}, "tanh"
	m, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	layers := layerVariables(t, m)
	var decoder []map[string][]float32
	for _, scope := range []string{"/decoder/hidden_0/dense", "/decoder/hidden_1/dense", "/decoder/logits/dense"} {
		if layers[scope] == nil {
			t.Fatalf("no layer %s among %v", scope, keys(layers))
		}
		decoder = append(decoder, layers[scope])
	}
	for i, want := range [][]float32{{2, 4}, {4, 5}, {5, 784}} {
		if got := decoder[i]["shape"]; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("decoder layer %d has weights %v, expected %v", i, got, want)
		}
	}
	if got := layers["/encoder/hidden_0/dense"]["shape"]; len(got) != 2 || got[1] != 3 {
		t.Fatalf("encoder layer has weights %v, expected [784 3]", got)
	}
	z := []float32{0.7, -1.3}
	images, err := m.Decode([][]float32{z})
	if err != nil {
		t.Fatal(err)
	}
	h := []float64{float64(z[0]), float64(z[1])}
	for i, layer := range decoder {
		h = affine(h, layer["weights"], layer["biases"])
		for j := range h {
			if i < 2 {
				h[j] = math.Tanh(h[j])
			} else {
				h[j] = 1 / (1 + math.Exp(-h[j]))
			}
		}
	}
	for p, want := range h {
		if got := float64(images.Images[p]); math.Abs(got-want) > 1e-5 {
			t.Fatalf("pixel %d decodes to %g, the hand computation gives %g", p, got, want)
		}
	}
	// The decoder settings are part of a model's identity once set (at their defaults
	// they are left out of it: TestTCVAEKeepsExistingHashes).
	plain := DefaultConfig()
	plain.LatentDim, plain.HiddenDims = 2, []int{3}
	if plain.Hash() == cfg.Hash() || !strings.Contains(cfg.String(), "decoder_activation=tanh") {
		t.Errorf("hashes %s and %s, settings %q: expected the decoder settings to make another model", plain.Hash(), cfg.Hash(), cfg.String())
	}
}

// affine is W^T x + b for weights [in, out] stored row-major.
func affine(x []float64, weights, biases []float32) []float64 {
	out := make([]float64, len(biases))
	for o := range out {
		out[o] = float64(biases[o])
		for i, v := range x {
			out[o] += v * float64(weights[i*len(biases)+o])
		}
	}
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDecoderSettingsBadInput(t *testing.T) {
	for _, c := range []struct{ set, expect string }{
		{"decoder_activation=swish", "decoder_activation=\"swish\": expected one of relu"},
		{"decoder_hidden_dims=0", "decoder_hidden_dims[0]=0: expected every hidden size >= 1"},
		{"architecture=conv;decoder_activation=tanh", "expected them empty with architecture=conv"},
	} {
		cfg := DefaultConfig()
		err := cfg.Set(c.set)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), c.expect) {
			t.Errorf("%s: got %v, expected an error containing %q", c.set, err, c.expect)
		}
	}
}
