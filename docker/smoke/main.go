// Command smoke checks a vaekit installation end to end, offline: both data sets load from
// the copies on this machine (no download), a small VAE trains for a few steps on the
// backend vaekit picks, and the model saves and loads back. docker/check.sh runs it as the
// last step of the image build; it runs anywhere vaekit's setup has run:
//
//	go run ./docker/smoke                    # any backend
//	go run ./docker/smoke -want-backend xla  # fail unless vaekit picked XLA (a plugin is installed)
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
)

func main() {
	want := flag.String("want-backend", "", `fail unless the backend vaekit picks starts with this ("xla", "go")`)
	flag.Parse()
	if err := run(*want); err != nil {
		fmt.Fprintf(os.Stderr, "smoke: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("smoke: ok")
}

func run(wantBackend string) error {
	config, reason := vaekit.BackendConfig()
	fmt.Printf("backend: %s\n", vaekit.BackendDescription())
	if !strings.HasPrefix(config, wantBackend) {
		return fmt.Errorf("vaekit picked backend %q (%s), expected %q", config, reason, wantBackend)
	}

	var mnistTrain, mnistTest *data.Set
	for _, name := range []data.Name{data.MNIST, data.FashionMNIST} {
		train, test, err := data.LoadBoth(name, data.Options{NoDownload: true})
		if err != nil {
			return err
		}
		fmt.Printf("%s: %d training and %d test images from %s\n", name, train.N, test.N, train.Source)
		if name == data.MNIST {
			mnistTrain, mnistTest = train, test
		}
	}

	cfg := vaekit.DefaultConfig()
	if err := cfg.Set("hidden_dims=64;latent_dim=2;batch_size=64;train_steps=20;eval_every=10;eval_batch_size=500"); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "vaekit-smoke-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	m, err := vaekit.Train(cfg, mnistTrain.Head(2000), mnistTest.Head(500), vaekit.TrainOptions{Quiet: true, Dir: dir})
	if err != nil {
		return err
	}
	first, last := m.History[0].HeldOut, m.History[len(m.History)-1].HeldOut
	fmt.Printf("trained %d steps: held-out negative ELBO %.1f -> %.1f nats\n", m.GlobalStep(), first.NegELBO, last.NegELBO)
	loaded, err := vaekit.Load(dir)
	if err != nil {
		return err
	}
	if _, err := loaded.Sample(4, 1); err != nil {
		return err
	}
	if loaded.GlobalStep() != m.GlobalStep() {
		return fmt.Errorf("loaded the model at step %d, saved at %d", loaded.GlobalStep(), m.GlobalStep())
	}
	return nil
}
