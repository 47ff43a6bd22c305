package nb

import (
	"encoding/json"
	"fmt"
	"os"
)

// RecordEnv names a file to which every model and judge a notebook gets is appended, one
// JSON object per line (modelRecord). scripts/run_notebooks.sh sets it, and the stamp of
// a committed notebook lists those models with the training format that trained them and
// their training time (scripts/notebook_outputs.py). It records; it changes nothing.
const RecordEnv = "VAEKIT_MODEL_RECORD"

// modelRecord is one line of the file named by RecordEnv.
type modelRecord struct {
	Kind           string  `json:"kind"`            // "model" or "judge".
	Entry          string  `json:"entry"`           // Its directory's name in the model cache.
	TrainingFormat int     `json:"training_format"` // Of the code that trained it.
	TrainSeconds   float64 `json:"train_seconds"`   // How long its training took.
	FromCache      bool    `json:"from_cache"`      // Loaded finished (trained by an earlier run), not trained now.
}

// recordModel appends r to the file named by $VAEKIT_MODEL_RECORD, if set.
func recordModel(r modelRecord) error {
	path := os.Getenv(RecordEnv)
	if path == "" {
		return nil
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("nb: recording the models used ($%s): %w", RecordEnv, err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("nb: recording the models used ($%s): %w", RecordEnv, err)
	}
	return f.Close()
}
