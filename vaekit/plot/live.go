package plot

import (
	"fmt"
	"html"
	"slices"
	"sync"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/vaekit/vaekit/vaekit"
)

// LiveCurves is a training plot that redraws itself in place while a model trains.
// Pass its Update method as the training callback:
//
//	live := plot.NewLiveCurves(plot.CurvesOptions{})
//	opts.OnEval = live.Update // opts is a vaekit.TrainOptions
//	... train ...
//	curves, err := live.Chart() // The final figure, e.g. to save it.
//
// Under GoNB every Update replaces the content of one output block of the cell (GoNB's
// UpdateHTML with a fixed id), so the notebook shows a single plot that grows; the
// saved notebook keeps its last state. Elsewhere Update only records the evaluation.
// To show the earlier history of a resumed model too, call Update with each of its
// past records before training.
type LiveCurves struct {
	options   CurvesOptions
	displayID string // GoNB output block that Update rewrites.

	mu      sync.Mutex
	history []vaekit.Record
	err     error // Last drawing error, also shown in place of the plot.
}

// NewLiveCurves returns an empty live plot drawn with opts.
func NewLiveCurves(opts CurvesOptions) *LiveCurves {
	return &LiveCurves{options: opts, displayID: "vaekit_live_curves_" + gonbui.UniqueId()}
}

// Update records one evaluation and, under GoNB, redraws the plot in place. It has the
// signature of vaekit.TrainOptions.OnEval. It reports no error (the training loop has
// no use for one): a record that cannot be drawn (e.g. a NaN loss) is still kept, the
// plot's place shows the problem, and Err returns it.
func (l *LiveCurves) Update(r vaekit.Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.history = append(l.history, r)
	if !notebook() {
		return
	}
	content, err := l.htmlLocked()
	l.err = err
	if err != nil {
		content = fmt.Sprintf(`<pre style="color:#b00">%s</pre>`, html.EscapeString(err.Error()))
	}
	updateHTML(l.displayID, content)
}

// htmlLocked draws the history with a one-line summary of the last evaluation.
func (l *LiveCurves) htmlLocked() (string, error) {
	chart, err := TrainingCurves(l.history, l.options)
	if err != nil {
		return "", err
	}
	fig, err := chart.HTML()
	if err != nil {
		return "", err
	}
	last := l.history[len(l.history)-1]
	summary := fmt.Sprintf("step %d: held-out loss %.2f (reconstruction %.2f, KL %.2f); train loss %.2f",
		last.Step, last.HeldOut.Loss, last.HeldOut.Reconstruction, last.HeldOut.KL, last.Train.Loss)
	return fig + `<div style="font-family:sans-serif;font-size:13px">` + html.EscapeString(summary) + "</div>", nil
}

// History returns a copy of the evaluations recorded so far.
func (l *LiveCurves) History() []vaekit.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.history)
}

// Chart returns the training curves of everything recorded so far, e.g. to save the
// final state as PNG or SVG.
func (l *LiveCurves) Chart() (*Chart, error) {
	return TrainingCurves(l.History(), l.options)
}

// Err returns the error of the last redraw under GoNB, or nil.
func (l *LiveCurves) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}
