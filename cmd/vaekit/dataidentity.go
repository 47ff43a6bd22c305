package main

import (
	"fmt"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/data"
)

// The commands that read a model's data (eval, reconstruct) check it is the data the
// model was trained on, as train does when it continues a model: data of one's own
// (dataset=idx|folder) is named by its directory, which -data_dir may point anywhere, and
// a folder's images are resized to the model's shape, so a model of 16x16 grey images
// would otherwise score 8x8 colour ones without a word. MNIST and the other named data
// sets are checked against their checksums when they are read.

// checkTrainingData refuses set, of split, when the model recorded which data it was
// trained on (Config.DataID, the training split's fingerprint) and set's data is other.
func checkTrainingData(m *vaekit.Model, set *data.Set, split data.Split, dataDir string) error {
	if m.Config.DataID == "" { // A named data set, or a model saved before data_id was recorded.
		return nil
	}
	trainSet := set
	if split != data.Train {
		var err error
		if trainSet, err = data.Load(set.Name, data.Train, dataOptions(m.Config, dataDir, nil)); err != nil {
			return err
		}
	}
	if got := trainSet.Fingerprint(); got != m.Config.DataID {
		return fmt.Errorf("-data_dir %s holds other %s data than the model was trained on (its training images give data_id %s, the model's is %s; the model takes %s images): give -data_dir the data it was trained on",
			dataDir, set.Name, got, m.Config.DataID, m.Shape())
	}
	return nil
}
