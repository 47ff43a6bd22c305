package main

import (
	"io"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
	"github.com/vaekit/vaekit/vaekit/judge"
)

// loadJudge returns the judge of the data set of the model in dir, trained (and cached)
// first if needed, saying so on log.
func loadJudge(m *vaekit.Model, dir, dataDir string, log io.Writer) (*judge.Judge, error) {
	if m.Config.Autoencoder() {
		return nil, usagef("-judge: the model in %s is a plain autoencoder (model=ae), which has no prior to sample from", dir)
	}
	return judge.Load(m.Config.Dataset, judge.Options{Data: data.Options{Dir: dataDir}, Log: log})
}
