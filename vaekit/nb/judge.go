package nb

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/vaekit/vaekit/vaekit/data"
	"github.com/vaekit/vaekit/vaekit/judge"
)

// QuickJudgeSteps is the training budget of the judge in quick mode (the full judge
// trains 3,000 steps, about a minute).
const QuickJudgeSteps = 300

// judges holds the judges this process loaded, so that a cell asking again gets the same
// one without a second line.
var judges = struct {
	sync.Mutex
	byName map[data.Name]*judge.Judge
}{byName: map[data.Name]*judge.Judge{}}

// Judge returns the judge of a data set ("mnist" or "fashion-mnist"), from the model
// cache or trained there the first time (in quick mode, a judge of QuickJudgeSteps
// steps), and prints one line with its test accuracy the first time a cell asks.
func Judge(dataset data.Name) *judge.Judge {
	name := Must(data.ParseName(string(dataset)))
	judges.Lock()
	defer judges.Unlock()
	if j, ok := judges.byName[name]; ok {
		return j
	}
	opts := judge.Options{Log: stdout}
	if QuickMode() {
		opts.Steps = QuickJudgeSteps
	}
	j := Must(judge.Load(name, opts))
	entry := filepath.Base(j.Dir())
	Check(recordModel(modelRecord{Kind: "judge", Entry: entry, TrainingFormat: j.Info.Settings.Format, TrainSeconds: j.Info.TrainSeconds, FromCache: !j.TrainedNow()}))
	fmt.Fprintf(stdout, "the judge of %s (%d training steps, %.0f s, training format %d; cache entry %s): %.2f%% of the test images classified right\n",
		name, j.Info.Settings.Steps, j.Info.TrainSeconds, j.Info.Settings.Format, entry, 100*j.Info.TestAccuracy)
	judges.byName[name] = j
	return j
}
