package vaekit

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/vaekit/vaekit/internal/workarounds"
)

// The tests in this file check the graph the model trains on (modelFn: the forward pass
// and the objective) against a float64 computation on the host, from the model's own
// weights and a fixed batch: dense and convolution layers, activations, dropout, the
// posterior heads, the reparameterisation, the reconstruction terms, the KL per
// dimension, free bits, the KL reduction, the KL weight and its warm-up. The model's
// random draws (dynamic binarisation, dropout masks, eps) are replayed from the RNG state
// it started from, so every comparison is exact up to float32 rounding.

// hostArray is one variable's value in float64, with its dimensions.
type hostArray struct {
	dims []int
	v    []float64
}

// hostWeights reads every float32 variable of the model's store.
func hostWeights(t *testing.T, m *Model) map[string]hostArray {
	t.Helper()
	weights := map[string]hostArray{}
	for v := range m.store.IterVariables() {
		if v.DType() != dtypes.Float32 {
			continue
		}
		value, err := v.Value()
		if err != nil {
			t.Fatalf("variable %s: %v", v.Path(), err)
		}
		flat := tensors.MustCopyFlatData[float32](value)
		a := hostArray{dims: v.Shape().Dimensions, v: make([]float64, len(flat))}
		for i, f := range flat {
			a.v[i] = float64(f)
		}
		weights[v.Path()] = a
	}
	return weights
}

// rngReplay hands out the random numbers a graph drawing from the same RNG state gets, in
// the order they are asked for.
type rngReplay struct {
	t     *testing.T
	m     *Model
	state []uint64
}

// newRNGReplay starts from the model's current RNG state.
func newRNGReplay(t *testing.T, m *Model) *rngReplay {
	t.Helper()
	value, err := m.store.GetVariable("/" + model.RNGStateVariableName).Value()
	if err != nil {
		t.Fatal(err)
	}
	return &rngReplay{t: t, m: m, state: tensors.MustCopyFlatData[uint64](value)}
}

func (r *rngReplay) uniform(dims ...int) []float64 { return r.draw(RandomUniform, dims) }
func (r *rngReplay) normal(dims ...int) []float64  { return r.draw(RandomNormal, dims) }

func (r *rngReplay) draw(random func(*Node, shapes.Shape) (*Node, *Node), dims []int) []float64 {
	outs := MustExecOnceN(r.m.backend, func(state *Node) []*Node {
		next, values := random(state, shapes.Make(dtypes.Float32, dims...))
		return []*Node{next, values}
	}, tensors.FromFlatDataAndDimensions(slices.Clone(r.state), len(r.state)))
	r.state = tensors.MustCopyFlatData[uint64](outs[0])
	values := tensors.MustCopyFlatData[float32](outs[1])
	out := make([]float64, len(values))
	for i, v := range values {
		out[i] = float64(v)
	}
	return out
}

// handModel is the model of Config cfg computed by hand, in float64, from weights.
type handModel struct {
	t        *testing.T
	cfg      Config
	weights  map[string]hostArray
	training bool       // Dropout and dynamic binarisation are on.
	draws    *rngReplay // The model's random numbers.
}

// handResult is what the hand computation gives for one batch.
type handResult struct {
	inputs         [][]float64 // The pixels the encoder saw (binarised, in training with binarize=dynamic).
	reconObjective []float64   // Per example: the reconstruction term trained on.
	nll            []float64   // Per example: -log p(x|z) in nats.
	kl             [][]float64 // Per example and latent dimension: KL(q(z_j|x) || p(z_j)).
	klTerm         float64     // The KL term of the objective (free bits and reduction applied).
	beta           float64     // The KL weight at this step, warm-up applied.
	loss           float64     // The objective.
}

// pass computes the batch's objective after `completed` training steps. pixels are the
// float32 pixel values of 28x28 images, one row per image.
func (h *handModel) pass(pixels [][]float32, completed int) handResult {
	var r handResult
	r.inputs = h.binarise(pixels)
	mean, logVar := h.encode(r.inputs)
	z := mean
	if logVar != nil {
		z = h.sample(mean, logVar)
	}
	r.kl = hostKLPerDimension(mean, logVar)
	r.reconObjective, r.nll = h.reconstruction(r.inputs, h.decode(z))
	h.objective(&r, completed)
	return r
}

// binarise returns the pixels as float64, each replaced by a Bernoulli draw, 0 or 1, in
// training with binarize=dynamic.
func (h *handModel) binarise(pixels [][]float32) [][]float64 {
	batch, d := len(pixels), len(pixels[0])
	var u []float64
	if h.training && h.cfg.Binarize == "dynamic" {
		u = h.draws.uniform(batch, d)
	}
	x := make([][]float64, batch)
	for i, row := range pixels {
		x[i] = make([]float64, d)
		for j, p := range row {
			switch {
			case u == nil:
				x[i][j] = float64(p)
			case u[i*d+j] < float64(p):
				x[i][j] = 1
			}
		}
	}
	return x
}

// encode returns the posterior's mean and log-variance (nil for the autoencoder).
func (h *handModel) encode(x [][]float64) (mean, logVar [][]float64) {
	cfg := &h.cfg
	hidden := x
	switch cfg.Architecture {
	case "mlp":
		hidden = h.denseStack("/encoder", x, len(cfg.HiddenDims), cfg.Activation, cfg.Dropout)
	case "conv":
		size, channels := 28, 1
		for i, stride := range cfg.ConvStrides {
			hidden, size = h.conv(fmt.Sprintf("/encoder/conv_%d", i), hidden, size, channels, stride, false)
			channels = cfg.ConvFilters
			hidden = h.dropout(activate(cfg.Activation, hidden), cfg.Dropout)
		}
	}
	if cfg.PosteriorHeads == "code" {
		hidden = activate(cfg.Activation, h.dense("/encoder/code/dense", hidden))
	}
	switch {
	case cfg.Model == "ae" && cfg.PosteriorHeads == "code":
		return hidden, nil
	case cfg.Model == "ae":
		return h.dense("/encoder/mean/dense", hidden), nil
	case cfg.Posterior == "log_var":
		return h.dense("/encoder/mean/dense", hidden), h.dense("/encoder/log_var/dense", hidden)
	}
	logVar = h.dense("/encoder/log_std/dense", hidden) // Posterior "log_std".
	for _, row := range logVar {
		for j := range row {
			row[j] = 2 * (0.5 * row[j]) // log sigma = 0.5 * dense; log sigma^2 = 2 log sigma.
		}
	}
	return h.dense("/encoder/mean/dense", hidden), logVar
}

// sample draws z = mean + exp(logVar/2) * eps with the model's eps.
func (h *handModel) sample(mean, logVar [][]float64) [][]float64 {
	latent := len(mean[0])
	eps := h.draws.normal(len(mean), latent)
	z := make([][]float64, len(mean))
	for i := range z {
		z[i] = make([]float64, latent)
		for j := range z[i] {
			z[i][j] = mean[i][j] + math.Exp(logVar[i][j]/2)*eps[i*latent+j]
		}
	}
	return z
}

// hostKLPerDimension is KL(N(mean, exp(logVar)) || N(0, 1)) of each example and dimension,
// 1/2 (sigma^2 + mu^2 - 1 - log sigma^2); zeros for the autoencoder (nil logVar).
func hostKLPerDimension(mean, logVar [][]float64) [][]float64 {
	kl := make([][]float64, len(mean))
	for i := range kl {
		kl[i] = make([]float64, len(mean[i]))
		for j := range kl[i] {
			if logVar != nil {
				mu, lv := mean[i][j], logVar[i][j]
				kl[i][j] = 0.5 * (math.Exp(lv) + mu*mu - 1 - lv)
			}
		}
	}
	return kl
}

// decode returns one logit per pixel.
func (h *handModel) decode(z [][]float64) [][]float64 {
	cfg := &h.cfg
	var hidden [][]float64
	switch cfg.Architecture {
	case "mlp":
		hidden = h.denseStack("/decoder", z, len(cfg.HiddenDims), cfg.Activation, cfg.Dropout)
	case "conv":
		// Two dense layers without dropout to a map of the encoder's output size, then
		// transposed convolutions with ReLU, dropout after all but the last.
		size := 28
		for _, stride := range cfg.ConvStrides {
			size = (size + stride - 1) / stride
		}
		hidden = activate(cfg.Activation, h.dense("/decoder/hidden_0/dense", z))
		hidden = activate(cfg.Activation, h.dense("/decoder/hidden_1/dense", hidden))
		channels := 1
		for i, stride := range cfg.DeconvStrides {
			hidden, size = h.conv(fmt.Sprintf("/decoder/deconv_%d", i), hidden, size, channels, stride, true)
			channels = cfg.ConvFilters
			hidden = activate("relu", hidden)
			if i < len(cfg.DeconvStrides)-1 {
				hidden = h.dropout(hidden, cfg.Dropout)
			}
		}
	}
	return h.dense("/decoder/logits/dense", hidden)
}

// reconstruction returns, per example, the reconstruction term the Config trains on and
// -log p(x|z), from their textbook definitions.
func (h *handModel) reconstruction(x, logits [][]float64) (objective, nll []float64) {
	for i := range x {
		d := float64(len(x[i]))
		var bce, sse float64
		for j, l := range logits[i] {
			// -[x log sigmoid(l) + (1-x) log(1 - sigmoid(l))], with log sigmoid(l) = -softplus(-l).
			bce += x[i][j]*softplus(-l) + (1-x[i][j])*softplus(l)
			e := x[i][j] - 1/(1+math.Exp(-l))
			sse += e * e
		}
		o, n := bce, bce
		switch h.cfg.Reconstruction {
		case "bernoulli_mean":
			o = bce / d
		case "gaussian": // Unit variance.
			o = 0.5*sse + 0.5*d*math.Log(2*math.Pi)
			n = o
		case "sse": // The NLL of a Gaussian of variance 1/2.
			o, n = sse, sse+0.5*d*math.Log(math.Pi)
		}
		objective, nll = append(objective, o), append(nll, n)
	}
	return objective, nll
}

// objective sets r's KL weight, KL term and loss: the mean reconstruction term + beta_t
// times the KL term, after `completed` steps (the step being taken counts in training).
func (h *handModel) objective(r *handResult, completed int) {
	cfg := &h.cfg
	r.loss = mean64(r.reconObjective)
	if cfg.Model == "ae" || cfg.KLWeight == 0 {
		return
	}
	t := completed
	if h.training {
		t++
	}
	r.beta = cfg.KLWeight
	if cfg.KLWarmupSteps > 0 {
		r.beta *= min(1, float64(t)/float64(cfg.KLWarmupSteps))
	}
	batch, latent := len(r.kl), len(r.kl[0])
	for j := range latent {
		var perDim float64
		for i := range batch {
			perDim += r.kl[i][j] / float64(batch)
		}
		r.klTerm += max(perDim, cfg.FreeBits) // Free bits: a floor on each dimension's batch mean.
	}
	if cfg.KLReduction == "mean" {
		r.klTerm /= float64(latent)
	}
	r.loss += r.beta * r.klTerm
}

// dense is x W + b with the variables under path.
func (h *handModel) dense(path string, x [][]float64) [][]float64 {
	w, b := h.weights[path+"/weights"], h.weights[path+"/biases"]
	if len(w.dims) != 2 || len(x[0]) != w.dims[0] {
		h.t.Fatalf("%s: weights %v for inputs of width %d", path, w.dims, len(x[0]))
	}
	out := w.dims[1]
	y := make([][]float64, len(x))
	for i, row := range x {
		y[i] = slices.Clone(b.v)
		for k, v := range row {
			for o, wko := range w.v[k*out : (k+1)*out] {
				y[i][o] += v * wko
			}
		}
	}
	return y
}

// denseStack is the MLP's hidden layers under scope: dense, activation, dropout, each.
// The decoder's layers are the encoder's sizes in reverse; their names count up.
func (h *handModel) denseStack(scope string, x [][]float64, layers int, act string, rate float64) [][]float64 {
	for i := range layers {
		x = h.dropout(activate(act, h.dense(fmt.Sprintf("%s/hidden_%d/dense", scope, i), x)), rate)
	}
	return x
}

// dropout zeroes each value where the model's uniform draw is not below 1-rate and
// scales the others by 1/(1-rate), in training only.
func (h *handModel) dropout(x [][]float64, rate float64) [][]float64 {
	if !h.training || rate == 0 {
		return x
	}
	keep := float64(float32(1 - rate)) // The graph compares float32 values.
	u := h.draws.uniform(len(x), len(x[0]))
	y := make([][]float64, len(x))
	for i, row := range x {
		y[i] = make([]float64, len(row))
		for j, v := range row {
			if u[i*len(row)+j] < keep {
				y[i][j] = v / (1 - rate)
			}
		}
	}
	return y
}

// conv is TensorFlow's conv2d (or, transposed, conv2d_transpose) with 'same' padding and
// a bias, of every row of x: a size x size x in image stored row by row, channels last.
// The kernel under path is [k, k, in, out]. conv2d reads
//
//	y[i, j, o] = b[o] + sum_{t,u,c} x[i*s + t - pad, j*s + u - pad, c] k[t, u, c, o]
//
// over (ceil(size/s))^2 positions, pad being half the padding the output needs, rounded
// down; its transpose scatters x[i, j, c] k[t, u, c, o] onto y[i*s + t - pad, j*s + u - pad, o]
// over (size*s)^2 positions, with the pad of the conv2d from that size back to size.
func (h *handModel) conv(path string, x [][]float64, size, in, stride int, transposed bool) (y [][]float64, outSize int) {
	w, b := h.weights[path+"/weights"], h.weights[path+"/biases"]
	k, out := w.dims[0], w.dims[3]
	if w.dims[2] != in || len(x[0]) != size*size*in {
		h.t.Fatalf("%s: kernel %v for %d values of a %dx%dx%d image", path, w.dims, len(x[0]), size, size, in)
	}
	// Sizes of the strided side (conv2d's output, conv2d_transpose's input) and of the other.
	small, big := (size+stride-1)/stride, size
	outSize = small
	if transposed {
		small, big = size, size*stride
		outSize = big
	}
	pad := max((small-1)*stride+k-big, 0) / 2
	for _, img := range x {
		res := make([]float64, outSize*outSize*out)
		for p := range outSize * outSize {
			copy(res[p*out:], b.v)
		}
		for i := range small {
			for j := range small {
				for t := range k {
					for u := range k {
						r, c := i*stride+t-pad, j*stride+u-pad
						if r < 0 || r >= big || c < 0 || c >= big {
							continue
						}
						for ch := range in {
							kern := w.v[((t*k+u)*in+ch)*out:][:out]
							if transposed { // x at (i, j) scatters onto (r, c).
								v := img[(i*size+j)*in+ch]
								for o, kv := range kern {
									res[(r*outSize+c)*out+o] += v * kv
								}
							} else { // Output (i, j) gathers x at (r, c).
								v := img[(r*size+c)*in+ch]
								for o, kv := range kern {
									res[(i*outSize+j)*out+o] += v * kv
								}
							}
						}
					}
				}
			}
		}
		y = append(y, res)
	}
	return y, outSize
}

// activate applies a named activation element-wise.
func activate(name string, x [][]float64) [][]float64 {
	f := map[string]func(float64) float64{
		"relu":       func(v float64) float64 { return max(v, 0) },
		"tanh":       math.Tanh,
		"sigmoid":    func(v float64) float64 { return 1 / (1 + math.Exp(-v)) },
		"leaky_relu": func(v float64) float64 { return max(v, 0.3*v) },
	}[name]
	y := make([][]float64, len(x))
	for i, row := range x {
		y[i] = make([]float64, len(row))
		for j, v := range row {
			y[i][j] = f(v)
		}
	}
	return y
}

// softplus is log(1 + e^v), without overflow.
func softplus(v float64) float64 { return max(v, 0) + math.Log1p(math.Exp(-math.Abs(v))) }

func mean64(values []float64) float64 {
	var sum float64
	for _, v := range values {
		sum += v
	}
	return sum / float64(len(values))
}

// fixedBatch returns n synthetic images with every pixel a byte/255, as MNIST's are: the
// model keeps them on the device as bytes, like its training data.
func fixedBatch(n int, seed uint64) [][]float32 {
	set := syntheticSet(n, seed)
	images := make([][]float32, n)
	for i := range images {
		images[i] = set.Image(i)
		for j, p := range images[i] {
			images[i][j] = float32(math.Round(float64(p)*255)) / 255
		}
	}
	return images
}

// modelFnRunner runs the model's training graph, modelFn, on one batch.
type modelFnRunner struct {
	m        *Model
	exec     *model.Exec
	training bool
}

// newModelFnRunner builds modelFn's graph in training or evaluation mode, and runs it once
// (which initialises the model's weights).
func newModelFnRunner(t *testing.T, m *Model, training bool, images [][]float32) *modelFnRunner {
	t.Helper()
	exec, err := model.NewExec(m.backend, m.store, func(scope *model.Scope, x *Node) []*Node {
		scope.Store().SetTraining(x.Graph(), training)
		return m.modelFn(scope, nil, []*Node{x})
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &modelFnRunner{m: m, exec: exec, training: training}
	r.run(t, images)
	return r
}

// spreadPosterior scales the weights of the posterior heads up: freshly initialised, they
// put q(z|x) so close to the prior that the KL (a few thousandths of a nat) would vanish
// in the rounding of the reconstruction term, and no mistake in the KL term would show in
// the loss.
func spreadPosterior(t *testing.T, m *Model) {
	t.Helper()
	for _, head := range []string{"mean", "log_var", "log_std"} {
		v := m.store.GetVariable("/encoder/" + head + "/dense/weights")
		if v == nil {
			continue
		}
		value, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		w := tensors.MustCopyFlatData[float32](value)
		for i := range w {
			w[i] *= 20
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(w, value.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
	}
}

// modelFnOutputs are modelFn's predictions: -log p(x|z) [batch], the KL [batch, latent]
// and the loss.
type modelFnOutputs struct {
	nll, kl []float32
	loss    float64
}

func (r *modelFnRunner) run(t *testing.T, images [][]float32) modelFnOutputs {
	t.Helper()
	flat := slices.Concat(images...)
	batch, err := workarounds.DeviceImages(r.m.backend, flat, len(images), len(images[0]))
	if err != nil {
		t.Fatal(err)
	}
	if batch.DType() != dtypes.Uint8 {
		t.Fatalf("the fixed batch is stored as %s, expected bytes as the training data", batch.DType())
	}
	outs, err := r.exec.Call(batch)
	if err != nil {
		t.Fatal(err)
	}
	return modelFnOutputs{
		nll:  tensors.MustCopyFlatData[float32](outs[0]),
		kl:   tensors.MustCopyFlatData[float32](outs[1]),
		loss: float64(tensors.ToScalar[float32](outs[2])),
	}
}

// runAndCompute sets the global step to `completed`, runs modelFn on images and computes
// the same by hand from the weights and the RNG state of that moment.
func (r *modelFnRunner) runAndCompute(t *testing.T, images [][]float32, completed int) (modelFnOutputs, handResult) {
	t.Helper()
	if err := optimizer.GetGlobalStepVar(r.m.store).SetValue(tensors.FromValue(int64(completed))); err != nil {
		t.Fatal(err)
	}
	h := &handModel{t: t, cfg: r.m.Config, weights: hostWeights(t, r.m), training: r.training, draws: newRNGReplay(t, r.m)}
	got := r.run(t, images)
	return got, h.pass(images, completed)
}

// closeTo: float32 graph against float64 hand computation.
func closeTo(got, want float64) bool { return math.Abs(got-want) <= 2e-4+2e-5*math.Abs(want) }

// compareOutputs reports where modelFn's outputs differ from the hand computation.
func compareOutputs(t *testing.T, what string, got modelFnOutputs, want handResult) {
	t.Helper()
	latent := len(want.kl[0])
	for i := range want.nll {
		if !closeTo(float64(got.nll[i]), want.nll[i]) {
			t.Errorf("%s: example %d: -log p(x|z) %.5f, by hand %.5f", what, i, got.nll[i], want.nll[i])
		}
		for j := range latent {
			if g := float64(got.kl[i*latent+j]); !closeTo(g, want.kl[i][j]) {
				t.Errorf("%s: example %d: KL of dimension %d %.6f, by hand %.6f", what, i, j, g, want.kl[i][j])
			}
		}
	}
	if !closeTo(got.loss, want.loss) {
		t.Errorf("%s: loss %.5f, by hand %.5f (mean reconstruction term %.5f + beta %.4g x KL term %.5f)",
			what, got.loss, want.loss, mean64(want.reconObjective), want.beta, want.klTerm)
	}
}

// The loss of every model family variant on a fixed batch, in evaluation and in training
// (dropout on), after 7 steps, against the hand computation from the model's weights.
// The KL cases use terms whose mistakes show in the loss: sse (whose objective is not the
// NLL), kl_reduction=mean, free bits at a floor some dimensions are under and others
// over, and a warm-up that is still under way.
func TestModelFamilyObjective(t *testing.T) {
	const completed = 7
	cases := familyVariants()
	cases["sse kl mean free bits warm-up"] = func(c *Config) {
		c.Reconstruction, c.KLReduction, c.FreeBits, c.KLWeight, c.KLWarmupSteps = "sse", "mean", 1.5, 2, 20
	}
	cases["bernoulli free bits warm-up"] = func(c *Config) { c.FreeBits, c.KLWeight, c.KLWarmupSteps = 1.5, 3, 10 }
	cases["gaussian kl_weight 0"] = func(c *Config) { c.Reconstruction, c.KLWeight = "gaussian", 0 }
	cases["dynamic binarisation"] = func(c *Config) { c.Binarize = "dynamic" }
	images := fixedBatch(8, 3)
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := smallConfig()
			edit(&cfg)
			batch := images
			if cfg.Architecture == "conv" {
				batch = images[:3] // The hand computation of the conv VAE is slow.
			}
			for _, training := range []bool{false, true} {
				m, err := NewModel(cfg)
				if err != nil {
					t.Fatal(err)
				}
				run := newModelFnRunner(t, m, training, batch)
				spreadPosterior(t, m)
				got, want := run.runAndCompute(t, batch, completed)
				compareOutputs(t, map[bool]string{false: "evaluation", true: "training"}[training], got, want)
				if cfg.FreeBits > 0 && !training {
					checkFloorStraddled(t, want, cfg)
				}
			}
		})
	}
}

// checkFloorStraddled fails the test when the free-bits floor is under or over the KL of
// every dimension, or changes the loss too little: the test would then not tell a floor
// per dimension from none, or from a floor on the sum.
func checkFloorStraddled(t *testing.T, r handResult, cfg Config) {
	t.Helper()
	under, over, raised := 0, 0, 0.0
	for j := range r.kl[0] {
		var perDim float64
		for i := range r.kl {
			perDim += r.kl[i][j] / float64(len(r.kl))
		}
		if perDim < cfg.FreeBits {
			under++
			raised += cfg.FreeBits - perDim
		} else {
			over++
		}
	}
	if cfg.KLReduction == "mean" {
		raised /= float64(cfg.LatentDim)
	}
	if under == 0 || over == 0 || r.beta*raised < 0.05 {
		t.Fatalf("test data: free bits %g: %d dimensions under the floor, %d over, loss raised by %.3g; expected some of each and a visible rise",
			cfg.FreeBits, under, over, r.beta*raised)
	}
}

// maxDifference is the largest difference between the per-example outputs of a and b.
func maxDifference(a, b handResult) float64 {
	d := 0.0
	for i := range a.nll {
		d = max(d, math.Abs(a.nll[i]-b.nll[i]))
		for j := range a.kl[i] {
			d = max(d, math.Abs(a.kl[i][j]-b.kl[i][j]))
		}
	}
	return d
}

// The terms an evaluation reports, on one batch: Loss is the objective (here sse, the KL
// averaged over dimensions with free bits, under a warm-up at step 7 of 20, no step added
// outside training), Reconstruction the mean -log p(x|z), KL the mean KL summed over
// dimensions, NegELBO their sum: each against the hand computation.
func TestEvaluationTerms(t *testing.T) {
	const completed = 7
	cfg := smallConfig()
	cfg.Reconstruction, cfg.KLReduction, cfg.FreeBits, cfg.KLWeight, cfg.KLWarmupSteps = "sse", "mean", 1.5, 2, 20
	images := fixedBatch(cfg.EvalBatchSize, 5)
	set := syntheticSet(len(images), 5)
	set.Images = slices.Concat(images...)
	m, err := NewModel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.getTrainer()
	ds, err := m.evalDataset(set, "eval")
	if err != nil {
		t.Fatal(err)
	}
	defer ds.FinalizeAll()
	if _, err := m.evaluateDS(ds); err != nil { // Initialises the weights.
		t.Fatal(err)
	}
	spreadPosterior(t, m)
	if err := optimizer.GetGlobalStepVar(m.store).SetValue(tensors.FromValue(int64(completed))); err != nil {
		t.Fatal(err)
	}
	h := &handModel{t: t, cfg: m.Config, weights: hostWeights(t, m), draws: newRNGReplay(t, m)}
	terms, err := m.evaluateDS(ds)
	if err != nil {
		t.Fatal(err)
	}
	want := h.pass(images, completed)
	checkFloorStraddled(t, want, cfg)
	var kl float64
	for _, row := range want.kl {
		for _, v := range row {
			kl += v / float64(len(want.kl))
		}
	}
	recon := mean64(want.nll)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"Loss", terms.Loss, want.loss},
		{"Reconstruction", terms.Reconstruction, recon},
		{"KL", terms.KL, kl},
		{"NegELBO", terms.NegELBO, recon + kl},
	} {
		if !closeTo(c.got, c.want) {
			t.Errorf("%s = %.5f, by hand %.5f", c.name, c.got, c.want)
		}
	}
}
