package judge

// TrainingFormat is the version of what the judge's training code makes of its Settings
// (the network, the loss, the optimiser, the order of the batches). It is Settings.Format,
// so it is part of a cached judge's identity (its directory's name and hash): a judge
// trained by older code is never loaded as today's. Bump it whenever a change alters
// what the judge trains to; TestJudgeTrainingFingerprint fails until you do.
const TrainingFormat = 1
