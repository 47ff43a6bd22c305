package vaekit

// TrainingFormat is the version of what vaekit's training code makes of a Config: the
// loss, the initialisers, the optimisers, the data pipeline, the order of the random
// draws. Two runs of the same Config under the same TrainingFormat train the same
// function (up to float rounding); under different ones they may not.
//
// It is part of every cached model's identity (CachedModelDir) and is saved with every
// model (Model.TrainingFormat), so a model trained by older code is never taken for one
// that today's code trains. Bump it whenever a change alters what any model trains to:
// TestTrainingFingerprints fails until you do, and prints the new fingerprints to record
// beside it. Then regenerate the committed notebooks from an empty model cache
// (scripts/refresh_notebooks.sh --from-scratch): CI fails a notebook whose outputs come
// from models of another format.
//
// The judge of package judge has a version of its own (judge.TrainingFormat).
const TrainingFormat = 1
