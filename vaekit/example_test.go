package vaekit_test

import (
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
	"github.com/vaekit/vaekit/vaekit/plot"
)

// The flow of one experiment, as the README shows it: a Config, data, a trained model,
// its measurements and pictures. (Small budgets, so that `go test` runs it in seconds.)
func Example() {
	train, test, err := data.LoadBoth(data.MNIST, data.Options{})
	if err != nil {
		log.Fatal(err)
	}
	cfg := vaekit.DefaultConfig() // pytorch/examples' VAE: 784-400-20, Adam 1e-3, batch 128
	if err := cfg.Set("latent_dim=2;train_steps=300;eval_every=0"); err != nil {
		log.Fatal(err)
	}
	models, err := os.MkdirTemp("", "vaekit-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(models)
	dir := filepath.Join(models, "vae2")
	m, err := vaekit.Train(cfg, train, test.Head(1000), vaekit.TrainOptions{Dir: dir, Quiet: true}) // resumable
	if err != nil {
		log.Fatal(err)
	}

	metrics, err := m.Measure(test.Head(1000), vaekit.MeasureOptions{IWAESamples: 10, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("trained %d steps; ELBO's terms add up: %v; IWAE tighter than the ELBO: %v; %d of 2 units active\n",
		m.GlobalStep(), math.Abs(metrics.Reconstruction+metrics.KL-metrics.NegELBO) < 1e-3,
		metrics.IWAENLL < metrics.NegELBO, metrics.ActiveUnits)

	originals := test.Head(10)
	reconstructions, err := m.Reconstruct(originals)
	if err != nil {
		log.Fatal(err)
	}
	pairs, err := plot.Pairs(originals, reconstructions, plot.PairsOptions{})
	if err != nil {
		log.Fatal(err)
	}
	samples, err := m.Sample(64, 1) // 64 decoded z ~ N(0, I), the same for the same seed
	if err != nil {
		log.Fatal(err)
	}
	grid, err := plot.Grid(samples, plot.GridOptions{Cols: 8})
	if err != nil {
		log.Fatal(err)
	}
	axis, _ := vaekit.LinearGrid(20, -3, 3)
	man, err := m.Manifold(nil, [2]int{0, 1}, axis, axis)
	if err != nil {
		log.Fatal(err)
	}
	chart, err := plot.Manifold(man, plot.ManifoldOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for name, err := range map[string]error{ // Under GoNB, Display() shows them inline instead.
		"pairs.png": pairs.SavePNG(filepath.Join(dir, "pairs.png")), "samples.png": grid.SavePNG(filepath.Join(dir, "samples.png")),
		"manifold.svg": chart.SaveSVG(filepath.Join(dir, "manifold.svg")),
	} {
		if err != nil {
			log.Fatal(name, ": ", err)
		}
	}
	fmt.Printf("%d reconstructions, %d samples, a %dx%d manifold of %dx%d images\n",
		reconstructions.N, samples.N, len(man.XValues), len(man.YValues), man.Images.Height, man.Images.Width)

	again, err := vaekit.Load(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("loaded back at step", again.GlobalStep())
	// Output:
	// trained 300 steps; ELBO's terms add up: true; IWAE tighter than the ELBO: true; 2 of 2 units active
	// 10 reconstructions, 64 samples, a 20x20 manifold of 28x28 images
	// loaded back at step 300
}

// Walking between images in latent space: each pair's codes joined by a straight or a
// spherical path, decoded frame by frame.
func ExampleModel_Interpolate() {
	train, test, err := data.LoadBoth(data.MNIST, data.Options{})
	if err != nil {
		log.Fatal(err)
	}
	cfg := vaekit.DefaultConfig()
	if err := cfg.Set("train_steps=100;eval_every=0"); err != nil {
		log.Fatal(err)
	}
	m, err := vaekit.Train(cfg, train, test.Head(500), vaekit.TrainOptions{Quiet: true})
	if err != nil {
		log.Fatal(err)
	}
	from, _ := test.Select(0, 1) // A 7 and a 2,
	to, _ := test.Select(2, 3)   // to a 1 and a 0.
	frames, err := m.Interpolate(from, to, 8, vaekit.Slerp)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d frames: 8 for each of %d pairs\n", frames.N, from.N)
	// Output: 16 frames: 8 for each of 2 pairs
}

// Settings by name, as notebooks' %% lines and the command line give them; impossible
// ones are refused with every problem named.
func ExampleConfig_Set() {
	cfg := vaekit.DefaultConfig()
	if err := cfg.Set("kl_weight=0.5;latent_dim=2;hidden_dims=512,256"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.KLWeight, cfg.LatentDim, cfg.HiddenDims)
	err := cfg.Set("latent_dim=0;kl_weight=-1")
	fmt.Println(err)
	// Output:
	// 0.5 2 [512 256]
	// vaekit: invalid config: latent_dim=0: expected >= 1
	// kl_weight=-1: expected a finite number >= 0
}
