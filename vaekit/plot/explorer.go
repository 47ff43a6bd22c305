package plot

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/janpfeifer/gonb/gonbui/widgets"

	"github.com/vaekit/vaekit/vaekit/data"
)

// Decoder maps latent codes to images, one per code, with the labels of a conditional
// model; the method value (*vaekit.Model).Decode is one.
type Decoder func(z [][]float32, labels ...uint8) (*data.Set, error)

// ExplorerOptions configure Explore.
type ExplorerOptions struct {
	// Start is the first code shown, and holds the coordinates without a slider; nil
	// means the origin, the prior's mean.
	Start []float32
	// Label is the class a conditional model decodes with (nil: an unconditional model).
	Label *uint8
	// Dims are the latent coordinates (0-based) that get a slider; nil means all of
	// them for a latent of at most MaxExplorerSliders dimensions, else the first two.
	Dims []int
	// Min and Max bound every slider; both zero means -3 and 3, three standard
	// deviations of the prior.
	Min, Max float64
	// Steps is the number of slider steps between Min and Max; 0 means 60.
	Steps int
	// Scale enlarges the decoded image, each pixel becoming Scale x Scale; 0 means 8.
	Scale int
	// LiveFor ends a live session after that long, as if Done had been pressed; 0
	// means it lasts until Done is pressed or the cell is interrupted.
	LiveFor time.Duration
}

// MaxExplorerSliders is the largest latent that gets one slider per coordinate by
// default; a larger one gets sliders for its first two coordinates.
const MaxExplorerSliders = 4

// noWidgetsEnv names the environment variable that, set to 1, makes Explore show a
// static frame without looking for a browser.
const noWidgetsEnv = "VAEKIT_NO_WIDGETS"

// How long Explore waits for signs of a live front end (see frontEndAlive), how many
// times it asks at most, and how long it waits for each widget to come up once one
// answered.
const (
	probeTimeout  = 2 * time.Second
	probeTries    = 5
	widgetTimeout = 10 * time.Second
)

// gonbConnectTimeout is how long GoNB v0.11.5 waits for the page to open its widget
// channel before it gives up (internal/comms/comms.go, WaitForConnectionTimeout).
const gonbConnectTimeout = 3 * time.Second

// Explore shows the image decoded from a latent code with sliders over its coordinates
// and redraws it as they move, so one can see what each latent direction encodes. It
// returns the last frame.
//
// Under GoNB with a browser attached, the sliders and a Done button appear under the
// cell and Explore blocks, decoding on every slider move, until Done is pressed or
// LiveFor has passed; then it removes the controls and the last frame stays in the
// cell, where the saved notebook keeps it. Interrupting the cell also ends it (GoNB
// stops the cell's program), leaving the last frame but no longer live controls.
//
// Widgets need a browser: executed headless (nbconvert) they would wait forever. So
// Explore first checks, for about five seconds, that the front end answers; if it does
// not, it shows one static frame (the start code) with a note, and returns. When a
// browser opened GoNB's widget channel but did not answer, it asks again (see
// frontEndAnswers). (The check makes GoNB send its widget script to the page; headless,
// GoNB leaves the script in the saved notebook.) With the environment variable
// VAEKIT_NO_WIDGETS=1, e.g. in scripts that run notebooks headless, Explore skips the
// check and shows the static frame at once. Outside GoNB it displays nothing and
// returns the start frame.
func Explore(decode Decoder, latentDim int, opts ExplorerOptions) (*Picture, error) {
	e, err := newExplorer(decode, latentDim, opts)
	if err != nil {
		return nil, err
	}
	frame, err := e.frame()
	if err != nil {
		return nil, err
	}
	if !notebook() {
		return frame, nil
	}
	if os.Getenv(noWidgetsEnv) == "1" || !frontEndAnswers(frontEndAlive) {
		displayHTML(e.frameHTML(frame, "Static frame: the sliders need a notebook open in a browser, "+
			"and this run had none (e.g. nbconvert)."))
		return frame, nil
	}
	return e.live(frame)
}

// explorer holds the state of one Explore call.
type explorer struct {
	decode  Decoder
	label   *uint8
	scale   int
	dims    []int
	lo, hi  float64
	steps   int
	liveFor time.Duration
	z       []float32 // The code on show.
}

// newExplorer checks the options and fills in their defaults.
func newExplorer(decode Decoder, latentDim int, opts ExplorerOptions) (*explorer, error) {
	const fn = "plot.Explore"
	if decode == nil {
		return nil, fmt.Errorf("%s: decode is nil, expected a function from latent codes to images", fn)
	}
	if latentDim < 1 {
		return nil, fmt.Errorf("%s: latentDim is %d, expected >= 1", fn, latentDim)
	}
	e := &explorer{decode: decode, label: opts.Label, liveFor: opts.LiveFor,
		scale: opts.Scale, steps: opts.Steps, lo: opts.Min, hi: opts.Max, dims: opts.Dims}
	if e.scale <= 0 {
		e.scale = 8
	}
	if e.steps <= 0 {
		e.steps = 60
	}
	if e.lo == 0 && e.hi == 0 {
		e.lo, e.hi = -3, 3
	}
	if err := checkFinite(fn, "opts.Min and opts.Max", []float64{e.lo, e.hi}); err != nil {
		return nil, err
	}
	if e.lo >= e.hi {
		return nil, fmt.Errorf("%s: slider range [%v, %v] (opts.Min, opts.Max), expected Min < Max", fn, e.lo, e.hi)
	}
	e.z = make([]float32, latentDim)
	if opts.Start != nil {
		if len(opts.Start) != latentDim {
			return nil, fmt.Errorf("%s: opts.Start has %d values, expected latentDim=%d", fn, len(opts.Start), latentDim)
		}
		for i, v := range opts.Start {
			if err := checkFiniteValue(fn, fmt.Sprintf("opts.Start[%d]", i), float64(v)); err != nil {
				return nil, err
			}
		}
		copy(e.z, opts.Start)
	}
	if e.dims == nil {
		n := latentDim
		if latentDim > MaxExplorerSliders {
			n = 2
		}
		for d := range n {
			e.dims = append(e.dims, d)
		}
	}
	if len(e.dims) == 0 {
		return nil, fmt.Errorf("%s: opts.Dims is empty, expected at least one latent coordinate", fn)
	}
	seen := map[int]bool{}
	for i, d := range e.dims {
		if d < 0 || d >= latentDim {
			return nil, fmt.Errorf("%s: opts.Dims[%d] is %d, expected a coordinate in 0..%d", fn, i, d, latentDim-1)
		}
		if seen[d] {
			return nil, fmt.Errorf("%s: opts.Dims[%d] repeats coordinate %d, expected distinct coordinates", fn, i, d)
		}
		seen[d] = true
	}
	return e, nil
}

// frame decodes the current code into a picture.
func (e *explorer) frame() (*Picture, error) {
	var labels []uint8
	if e.label != nil {
		labels = []uint8{*e.label}
	}
	images, err := e.decode([][]float32{e.z}, labels...)
	if err != nil {
		return nil, fmt.Errorf("plot.Explore: decoding %v: %w", e.z, err)
	}
	if images == nil || images.N != 1 {
		n := 0
		if images != nil {
			n = images.N
		}
		return nil, fmt.Errorf("plot.Explore: decode returned %d images for 1 code, expected 1", n)
	}
	return Grid(images, GridOptions{Cols: 1, Scale: e.scale})
}

// frameHTML shows a frame with the code it was decoded from and an optional note.
func (e *explorer) frameHTML(frame *Picture, note string) string {
	data, err := frame.PNG()
	if err != nil {
		return html.EscapeString(err.Error())
	}
	var b strings.Builder
	b.WriteString(`<div style="font-family:sans-serif;font-size:13px">`)
	b.WriteString(imgTag(data, 0))
	b.WriteString("<div>z = (")
	for i, v := range e.z {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(fmt.Sprintf("%.2f", v))
	}
	b.WriteString(")</div>")
	if note != "" {
		b.WriteString(`<div style="color:#666">` + html.EscapeString(note) + "</div>")
	}
	b.WriteString("</div>")
	return b.String()
}

// sliderPosition returns the slider step nearest to v, within the slider's range.
func (e *explorer) sliderPosition(v float32) int {
	pos := math.Round((float64(v) - e.lo) / (e.hi - e.lo) * float64(e.steps))
	return int(min(max(pos, 0), float64(e.steps)))
}

// sliderValue returns the latent value of slider step pos.
func (e *explorer) sliderValue(pos int) float32 {
	return float32(e.lo + (e.hi-e.lo)*float64(pos)/float64(e.steps))
}

// sliderMove is one slider update from the front end: slider (an index into dims) was
// moved to position; seq numbers the updates in the order the page sent them.
type sliderMove struct {
	seq, slider, position int
}

// parseSliderMove reads a move as sliderScript sends it: "seq slider position".
func parseSliderMove(msg string, sliders int) (sliderMove, bool) {
	var m sliderMove
	var rest string
	if n, _ := fmt.Sscanf(msg+" .", "%d %d %d %s", &m.seq, &m.slider, &m.position, &rest); n != 4 || rest != "." {
		return m, false
	}
	return m, m.slider >= 0 && m.slider < sliders
}

// sliderScript returns the page's side of the slider updates: on every move of the
// slider with DOM id ids[k] it sends "seq k position" to address, seq counting up from 1.
func sliderScript(address string, ids []string) string {
	idsJSON, err := json.Marshal(ids)
	if err != nil {
		panic(err) // A []string always marshals.
	}
	return fmt.Sprintf(`(() => {
	let seq = 0;
	%s.forEach((id, k) => {
		const slider = document.getElementById(id);
		slider?.addEventListener("input", () => globalThis.gonb_comm?.send(%q, (++seq) + " " + k + " " + slider.value));
	});
})();`, idsJSON, address)
}

// apply moves the code to m, unless a later move of the same slider was applied already,
// and reports whether it did. lastSeq holds the seq of each slider's latest move.
func (e *explorer) apply(m sliderMove, lastSeq []int) bool {
	if m.seq <= lastSeq[m.slider] {
		return false
	}
	lastSeq[m.slider] = m.seq
	e.z[e.dims[m.slider]] = e.sliderValue(m.position)
	return true
}

// live runs the interactive session; see Explore.
func (e *explorer) live(frame *Picture) (*Picture, error) {
	page := newExplorerPage()
	updateHTML(page.frameID, e.frameHTML(frame, ""))
	updateHTML(page.controlsID, fmt.Sprintf(`<div id="%s" style="font-family:sans-serif;font-size:13px"></div>`, page.panelID))
	controls, ready := e.addControls(page.panelID)
	if !ready {
		page.removeControls()
		updateHTML(page.frameID, e.frameHTML(frame, "Static frame: the notebook's widgets did not start."))
		return frame, nil
	}
	moves, stopMoves := listenToMoves(page.uid, controls.sliders)
	defer stopMoves()
	clicks := controls.done.Listen()
	defer clicks.Close()
	events := explorerEvents{moves: moves, done: clicks.C}
	if e.liveFor > 0 {
		events.timeout = time.After(e.liveFor)
	}
	return e.serve(page, frame, events)
}

// explorerPage names the parts of a live session's output: the output blocks of the
// frame and of the controls, and the DOM id of the <div> inside the latter that holds
// the widgets.
type explorerPage struct {
	uid                          string
	frameID, controlsID, panelID string
}

func newExplorerPage() explorerPage {
	uid := gonbui.UniqueId()
	return explorerPage{uid: uid,
		frameID:    "vaekit_explorer_frame_" + uid,
		controlsID: "vaekit_explorer_controls_" + uid,
		panelID:    "vaekit_explorer_panel_" + uid,
	}
}

func (p explorerPage) removeControls() { updateHTML(p.controlsID, "") }

// explorerControls are a live session's widgets: a slider per coordinate in dims, and
// the Done button.
type explorerControls struct {
	sliders []*widgets.SliderBuilder
	done    *widgets.ButtonBuilder
}

// addControls builds the widgets in the panel with DOM id panelID. Each waits for the
// browser's first answer; should one never come, it reports false rather than hang the
// cell, and the live session is given up.
func (e *explorer) addControls(panelID string) (controls explorerControls, ready bool) {
	sliders := make([]*widgets.SliderBuilder, len(e.dims))
	var done *widgets.ButtonBuilder
	ready = within(widgetTimeout, func() {
		for k, d := range e.dims {
			rowID := fmt.Sprintf("%s_row%d", panelID, k)
			dom.Append(panelID, fmt.Sprintf(`<div id="%s">z%d </div>`, rowID, d+1))
			sliders[k] = widgets.Slider(0, e.steps, e.sliderPosition(e.z[d])).AppendTo(rowID).Done()
		}
		done = widgets.Button("Done").AppendTo(panelID).Done()
	})
	if !ready {
		// The widgets may still be coming up in the background: leave them be.
		return explorerControls{}, false
	}
	return explorerControls{sliders: sliders, done: done}, true
}

// listenToMoves returns the moves of the sliders as the page numbers them, and the
// function that stops listening.
//
// The moves come from a script of ours that numbers them, not from the sliders' own
// updates: GoNB hands each value from the page to the program in a goroutine of its own
// (gonb v0.11.5, gonbui/comms/comms.go, dispatchValueUpdates), so the updates of a quick
// drag arrive in any order, and the last to arrive can be a position the slider has left.
// The numbers tell which move is the latest.
func listenToMoves(uid string, sliders []*widgets.SliderBuilder) (moves <-chan sliderMove, stop func()) {
	movesAddress := "/vaekit/explorer/moves/" + uid
	updates := comms.Listen[string](movesAddress)
	parsed := make(chan sliderMove, 256)
	go func() {
		for msg := range updates.C {
			if m, ok := parseSliderMove(msg, len(sliders)); ok {
				parsed <- m
			}
		}
	}()
	ids := make([]string, len(sliders))
	for k, s := range sliders {
		ids[k] = s.HtmlId()
	}
	dom.TransientJavascript(sliderScript(movesAddress, ids))
	return parsed, updates.Close
}

// explorerEvents are what a live session waits for: the sliders' moves, clicks on Done,
// and the end of LiveFor (nil: none).
type explorerEvents struct {
	moves   <-chan sliderMove
	done    <-chan int
	timeout <-chan time.Time
}

// serve redraws the frame on the sliders' moves until Done is clicked or the time is up,
// then removes the controls and returns the last frame.
func (e *explorer) serve(page explorerPage, frame *Picture, events explorerEvents) (*Picture, error) {
	lastSeq := make([]int, len(e.dims))
	for {
		select {
		case m := <-events.moves:
			if !e.applyQueued(m, events.moves, lastSeq) {
				continue
			}
			next, err := e.frame()
			if err != nil {
				page.removeControls()
				return frame, err
			}
			frame = next
			updateHTML(page.frameID, e.frameHTML(frame, ""))
		case <-events.done:
			page.removeControls()
			return frame, nil
		case <-events.timeout:
			page.removeControls()
			return frame, nil
		}
	}
}

// applyQueued applies move m and every move already queued, and reports whether the code
// changed: decoding can be slower than a slider drag sends updates, so it draws once for
// them all.
func (e *explorer) applyQueued(m sliderMove, moves <-chan sliderMove, lastSeq []int) bool {
	changed := e.apply(m, lastSeq)
	for pending := true; pending; {
		select {
		case m := <-moves:
			changed = e.apply(m, lastSeq) || changed
		default:
			pending = false
		}
	}
	return changed
}

// frontEndAnswers asks probe (frontEndAlive), again while a browser is there but did
// not answer, up to probeTries times. That happens on a busy machine: GoNB's page script
// gives the kernel only half a second to acknowledge the widget channel the page opened
// (internal/websocket/websocket.js, _wait_open_ack), then drops it while GoNB counts it
// open. The next request makes GoNB install the channel again, once a ping to it
// (silent for over a second by then) goes unanswered (internal/comms/comms.go,
// installWebSocketLocked). A browser shows itself by opening the channel before GoNB's
// gonbConnectTimeout; without one, the first try ends the check.
func frontEndAnswers(probe func(timeout time.Duration) (alive bool, connectWait time.Duration)) bool {
	for range probeTries {
		alive, connectWait := probe(probeTimeout)
		if alive {
			return true
		}
		if connectWait >= gonbConnectTimeout {
			return false
		}
	}
	return false
}

// frontEndAlive reports whether a browser is attached to the notebook, with working
// widget communication: it asks the page to send a value back and waits up to timeout
// for it. It never blocks for long, unlike GoNB's widgets, which wait for the browser
// without a limit.
//
// Subscribing to the answer's address makes GoNB install its communication script in
// the page, and GoNB waits up to gonbConnectTimeout for the page to connect; the script
// that answers is only sent after that (TransientJavascript waits for GoNB), so
// headless runs spend about 3 s + timeout here. connectWait is that wait: about 3 s
// headless, tens of milliseconds with a browser (measured).
func frontEndAlive(timeout time.Duration) (alive bool, connectWait time.Duration) {
	if !notebook() || gonbui.Error() != nil {
		return false, 0
	}
	address := "/vaekit/explorer/probe/" + gonbui.UniqueId()
	start := time.Now()
	answers := comms.Listen[int](address)
	defer answers.Close()
	dom.TransientJavascript(fmt.Sprintf(
		`(() => { const comm = globalThis?.gonb_comm; if (comm) { comm.send(%q, 1); } })();`, address))
	connectWait = time.Since(start)
	select {
	case <-answers.C:
		return true, connectWait
	case <-time.After(timeout):
		return false, connectWait
	}
}

// within runs f and reports whether it finished within d. When it did not, f keeps
// running in the background: GoNB's widgets cannot be cancelled.
func within(d time.Duration, f func()) bool {
	finished := make(chan struct{})
	go func() {
		f()
		close(finished)
	}()
	select {
	case <-finished:
		return true
	case <-time.After(d):
		return false
	}
}
