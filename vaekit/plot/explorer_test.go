package plot

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaekit/vaekit/vaekit/data"
)

// fakeDecoder returns, for each code, a 2x2 image whose pixels are the code's first
// value clipped to [0,1], and records the codes it saw.
type fakeDecoder struct{ seen [][]float32 }

func (d *fakeDecoder) decode(z [][]float32, _ ...uint8) (*data.Set, error) {
	var out [][]float32
	for _, code := range z {
		d.seen = append(d.seen, slices.Clone(code))
		out = append(out, flat(4, code[0]))
	}
	return imageSet(2, 2, out...), nil
}

func TestExploreOutsideGoNB(t *testing.T) {
	dec := &fakeDecoder{}
	var frame *Picture
	var err error
	start := time.Now()
	out := captureStdout(t, func() {
		frame, err = Explore(dec.decode, 3, ExplorerOptions{Start: []float32{1, 0.5, -1}, Scale: 4})
	})
	if err != nil {
		t.Fatal(err)
	}
	if out != "" || time.Since(start) > time.Second {
		t.Errorf("outside GoNB Explore wrote %q and took %v; expected nothing, at once", out, time.Since(start))
	}
	if len(dec.seen) != 1 || !slices.Equal(dec.seen[0], []float32{1, 0.5, -1}) {
		t.Errorf("decoder saw %v, expected the start code once", dec.seen)
	}
	// The start frame: the decoded 2x2 image scaled 4 times, all ink.
	if b := frame.Bounds(); b.Dx() != 8 || b.Dy() != 8 || frame.GrayAt(7, 7).Y != 0 {
		t.Errorf("frame %v with corner %d, expected 8x8 black", b, frame.GrayAt(7, 7).Y)
	}
	// Without a start code, the origin.
	dec.seen = nil
	if _, err := Explore(dec.decode, 2, ExplorerOptions{}); err != nil || !slices.Equal(dec.seen[0], []float32{0, 0}) {
		t.Errorf("default start: decoder saw %v, err %v; expected the origin", dec.seen, err)
	}
}

func TestExplorerDefaults(t *testing.T) {
	dec := &fakeDecoder{}
	small, err := newExplorer(dec.decode, 3, ExplorerOptions{})
	if err != nil || !slices.Equal(small.dims, []int{0, 1, 2}) || small.lo != -3 || small.hi != 3 || small.steps != 60 {
		t.Errorf("3-D latent: dims %v, range [%v,%v], %d steps, err %v; expected all dims, [-3,3], 60",
			small.dims, small.lo, small.hi, small.steps, err)
	}
	large, err := newExplorer(dec.decode, MaxExplorerSliders+1, ExplorerOptions{})
	if err != nil || !slices.Equal(large.dims, []int{0, 1}) {
		t.Errorf("large latent: dims %v, err %v; expected the first two", large.dims, err)
	}
	// Slider positions and values map onto each other.
	if p := small.sliderPosition(0); p != 30 || small.sliderValue(p) != 0 {
		t.Errorf("z=0 maps to position %d, value %v; expected 30 and 0", p, small.sliderValue(p))
	}
	if p := small.sliderPosition(99); p != 60 {
		t.Errorf("z=99 maps to position %d, expected the end (60)", p)
	}
}

func TestExploreErrors(t *testing.T) {
	dec := &fakeDecoder{}
	ok := ExplorerOptions{}
	for _, c := range []struct {
		what      string
		decode    Decoder
		latentDim int
		opts      ExplorerOptions
		contains  string
	}{
		{"no decoder", nil, 2, ok, "decode is nil"},
		{"no latent", dec.decode, 0, ok, "latentDim is 0"},
		{"short start", dec.decode, 3, ExplorerOptions{Start: []float32{1}}, "opts.Start has 1 values, expected latentDim=3"},
		{"dim out of range", dec.decode, 2, ExplorerOptions{Dims: []int{0, 2}}, "opts.Dims[1] is 2"},
		{"repeated dim", dec.decode, 2, ExplorerOptions{Dims: []int{1, 1}}, "repeats coordinate 1"},
		{"empty range", dec.decode, 2, ExplorerOptions{Min: 1, Max: 1}, "expected Min < Max"},
		{"two images for one code", func(z [][]float32, _ ...uint8) (*data.Set, error) {
			return imageSet(1, 1, []float32{0}, []float32{1}), nil
		}, 2, ok, "decode returned 2 images for 1 code"},
		{"decoder fails", func([][]float32, ...uint8) (*data.Set, error) { return nil, errors.New("boom") }, 2, ok, "boom"},
	} {
		_, err := Explore(c.decode, c.latentDim, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.contains) {
			t.Errorf("%s: error %v, expected one containing %q", c.what, err, c.contains)
		}
	}
}

// The slider moves of a quick drag, delivered out of order (as GoNB delivers them), leave
// the code where the slider stopped: the latest move of each slider wins.
func TestExplorerAppliesLatestMove(t *testing.T) {
	e, err := newExplorer((&fakeDecoder{}).decode, 2, ExplorerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// z1 dragged from position 31 to 35 (seq 1-5), z2 once to position 0 (seq 6).
	moves := []sliderMove{{3, 0, 33}, {6, 1, 0}, {5, 0, 35}, {1, 0, 31}, {4, 0, 34}, {2, 0, 32}}
	lastSeq := make([]int, 2)
	var applied []int
	for _, m := range moves {
		if e.apply(m, lastSeq) {
			applied = append(applied, m.seq)
		}
	}
	// Position 35 of 60 over [-3, 3] is 0.5; position 0 is -3.
	if !slices.Equal(e.z, []float32{0.5, -3}) || !slices.Equal(applied, []int{3, 6, 5}) {
		t.Errorf("z = %v after applying seqs %v; expected [0.5 -3] from seqs [3 6 5]", e.z, applied)
	}
}

func TestParseSliderMove(t *testing.T) {
	if m, ok := parseSliderMove("12 1 35", 2); !ok || m != (sliderMove{12, 1, 35}) {
		t.Errorf(`"12 1 35" parsed as %+v, %v; expected {12 1 35}`, m, ok)
	}
	for _, bad := range []string{"", "1 2", "1 0 3 4", "1 2 3", "1 -1 3", "a 0 1", "1 0 3x"} {
		if m, ok := parseSliderMove(bad, 2); ok {
			t.Errorf("%q parsed as %+v; expected it refused (2 sliders)", bad, m)
		}
	}
}

// The page's script numbers every move and names the slider by its index.
func TestSliderScript(t *testing.T) {
	js := sliderScript("/vaekit/explorer/moves/u1", []string{"s0", "s1"})
	for _, want := range []string{`["s0","s1"].forEach((id, k)`, `addEventListener("input"`,
		`send("/vaekit/explorer/moves/u1", (++seq) + " " + k + " " + slider.value)`} {
		if !strings.Contains(js, want) {
			t.Errorf("slider script lacks %q:\n%s", want, js)
		}
	}
}

// The check for a browser asks again only while a browser opened GoNB's channel (GoNB
// did not wait its full connection timeout), at most probeTries times.
func TestFrontEndAnswersRetriesOnlyWithABrowser(t *testing.T) {
	type answer struct {
		alive bool
		wait  time.Duration
	}
	browserSilent := answer{false, 30 * time.Millisecond}
	for _, c := range []struct {
		what    string
		answers []answer
		want    bool
		calls   int
	}{
		{"headless", []answer{{false, 3010 * time.Millisecond}}, false, 1},
		{"browser answers at once", []answer{{true, 30 * time.Millisecond}}, true, 1},
		{"browser answers on the third try", []answer{browserSilent, {false, 530 * time.Millisecond}, {true, 20 * time.Millisecond}}, true, 3},
		{"browser never answers", slices.Repeat([]answer{browserSilent}, probeTries+3), false, probeTries},
	} {
		calls := 0
		got := frontEndAnswers(func(timeout time.Duration) (bool, time.Duration) {
			if timeout != probeTimeout {
				t.Errorf("%s: probe timeout %v, expected %v", c.what, timeout, probeTimeout)
			}
			a := c.answers[calls]
			calls++
			return a.alive, a.wait
		})
		if got != c.want || calls != c.calls {
			t.Errorf("%s: answered %v after %d probes; expected %v after %d", c.what, got, calls, c.want, c.calls)
		}
	}
}
