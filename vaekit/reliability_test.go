package vaekit

// Faults in a model directory: every one must come back from Load (and from Train, which
// resumes through Load) as an error that names the file and what is wrong, never as a
// panic trace, and must not cost the user a checkpoint. See also reliability_kill_test.go
// (a process killed while saving) and badinput_test.go.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/internal/ckptfile"
)

// noPanic runs fn and turns a panic into a test failure that shows the panic, so a table
// of bad inputs reports every case instead of stopping at the first panic.
func noPanic(t *testing.T, what string, fn func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked instead of returning an error: %v\n%s", what, r, debug.Stack())
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn()
}

// wantError fails unless err is non-nil and contains every fragment.
func wantError(t *testing.T, what string, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, expected one mentioning %q", what, fragments)
		return
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("%s: error %q does not mention %q", what, err, f)
		}
	}
	t.Logf("%s -> %v", what, err)
}

// trainedModelDir trains a small model for 20 steps into a new directory, with a
// checkpoint at steps 10 and 20.
func trainedModelDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := smallConfig()
	cfg.Steps = 20
	if _, err := Train(cfg, syntheticSet(256, 30), syntheticSet(64, 31), TrainOptions{Quiet: true, Dir: dir}); err != nil {
		t.Fatalf("training the model to corrupt: %v", err)
	}
	return dir
}

// copyOf returns a copy of the model directory src.
func copyOf(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := copyDir(src, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func copyDir(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// newestCheckpoint returns the path (without suffix) of the newest checkpoint in dir.
func newestCheckpoint(t *testing.T, dir string) string {
	t.Helper()
	bases, err := ckptfile.List(dir)
	if err != nil || len(bases) == 0 {
		t.Fatalf("no checkpoints in %s (%v)", dir, err)
	}
	return filepath.Join(dir, bases[len(bases)-1])
}

func editFile(t *testing.T, path string, edit func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, edit(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// editConfigJSON rewrites config.json through a generic map, so a test can put in any
// value, of any type.
func editConfigJSON(t *testing.T, dir string, edit func(file, config map[string]any)) {
	t.Helper()
	editFile(t, filepath.Join(dir, configFileName), func(b []byte) []byte {
		var file map[string]any
		if err := json.Unmarshal(b, &file); err != nil {
			t.Fatal(err)
		}
		edit(file, file["config"].(map[string]any))
		out, err := json.Marshal(file)
		if err != nil {
			t.Fatal(err)
		}
		return out
	})
}

func TestLoadCorruptModelDirectory(t *testing.T) {
	saved := trainedModelDir(t)
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, dir string)
		want    func(dir, newest string) []string // What the error must mention; newest: the newest checkpoint, without suffix.
	}{
		{"checkpoint data truncated to half",
			func(t *testing.T, dir string) {
				editFile(t, newestCheckpoint(t, dir)+".bin", func(b []byte) []byte { return b[:len(b)/2] })
			},
			func(dir, newest string) []string { return []string{newest + ".bin", "unexpected EOF"} }},
		{"checkpoint data truncated to its header",
			func(t *testing.T, dir string) {
				editFile(t, newestCheckpoint(t, dir)+".bin", func(b []byte) []byte { return b[:20] })
			},
			func(dir, newest string) []string { return []string{newest + ".bin"} }},
		{"checkpoint data empty",
			func(t *testing.T, dir string) {
				editFile(t, newestCheckpoint(t, dir)+".bin", func(b []byte) []byte { return nil })
			},
			func(dir, newest string) []string { return []string{newest + ".bin"} }},
		{"checkpoint data with flipped bytes",
			func(t *testing.T, dir string) {
				editFile(t, newestCheckpoint(t, dir)+".bin", func(b []byte) []byte {
					for i := len(b) / 2; i < len(b)/2+16; i++ {
						b[i] ^= 0x5a
					}
					return b
				})
			},
			func(dir, newest string) []string { return []string{newest + ".bin"} }},
		{"checkpoint data deleted",
			func(t *testing.T, dir string) {
				if err := os.Remove(newestCheckpoint(t, dir) + ".bin"); err != nil {
					t.Fatal(err)
				}
			},
			func(dir, newest string) []string { return []string{newest + ".bin", "no such file"} }},
		{"checkpoint metadata truncated",
			func(t *testing.T, dir string) {
				editFile(t, newestCheckpoint(t, dir)+".json", func(b []byte) []byte { return b[:len(b)/2] })
			},
			func(dir, newest string) []string { return []string{newest + ".json", "unexpected end of JSON input"} }},
		{"checkpoint metadata garbage",
			func(t *testing.T, dir string) {
				editFile(t, newestCheckpoint(t, dir)+".json", func([]byte) []byte { return []byte("\x00\x01garbage") })
			},
			func(dir, newest string) []string { return []string{newest + ".json", "invalid character"} }},
		{"checkpoint metadata with negative dimensions",
			func(t *testing.T, dir string) {
				editFile(t, newestCheckpoint(t, dir)+".json", func(b []byte) []byte {
					return []byte(strings.Replace(string(b), `"Dimensions": [`, `"Dimensions": [-5, `, 1))
				})
			},
			func(dir, newest string) []string { return []string{filepath.Base(newest)} }},
		{"checkpoint metadata with other dimensions",
			func(t *testing.T, dir string) {
				editFile(t, newestCheckpoint(t, dir)+".json", func(b []byte) []byte {
					return []byte(strings.Replace(string(b), `"Dimensions": [`, `"Dimensions": [3, `, 1))
				})
			},
			func(dir, newest string) []string { return []string{dir} }},
		{"config.json deleted",
			func(t *testing.T, dir string) {
				if err := os.Remove(filepath.Join(dir, configFileName)); err != nil {
					t.Fatal(err)
				}
			},
			func(dir, newest string) []string {
				return []string{dir, "holds checkpoints but no readable config.json", filepath.Join(dir, configFileName), "no such file"}
			}},
		{"config.json empty",
			func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, configFileName), func([]byte) []byte { return nil })
			},
			func(dir, newest string) []string { return []string{filepath.Join(dir, configFileName)} }},
		{"config.json garbage",
			func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, configFileName), func([]byte) []byte { return []byte("<html>oops</html>") })
			},
			func(dir, newest string) []string {
				return []string{filepath.Join(dir, configFileName), "invalid character"}
			}},
		{"config.json truncated",
			func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, configFileName), func(b []byte) []byte { return b[:len(b)/2] })
			},
			func(dir, newest string) []string {
				return []string{filepath.Join(dir, configFileName), "unexpected end of JSON input"}
			}},
		{"config.json from another architecture (hidden_dims)",
			func(t *testing.T, dir string) {
				editConfigJSON(t, dir, func(_, c map[string]any) { c["hidden_dims"] = []int{32} })
			},
			func(dir, newest string) []string {
				return []string{dir, "does not match its config.json"}
			}},
		{"config.json from another architecture (latent_dim)",
			func(t *testing.T, dir string) {
				editConfigJSON(t, dir, func(_, c map[string]any) { c["latent_dim"] = 7 })
			},
			func(dir, newest string) []string {
				return []string{dir, "does not match its config.json"}
			}},
		{"config.json with an extra hidden layer",
			func(t *testing.T, dir string) {
				editConfigJSON(t, dir, func(_, c map[string]any) { c["hidden_dims"] = []int{64, 64} })
			},
			func(dir, newest string) []string {
				return []string{dir, "does not match its config.json"}
			}},
		{"config.json with fewer hidden layers",
			func(t *testing.T, dir string) {
				editConfigJSON(t, dir, func(_, c map[string]any) { c["hidden_dims"] = []int{} })
			},
			func(dir, newest string) []string {
				return []string{dir, "does not match its config.json",
					"config.json says hidden_dims=, the checkpoint was trained with hidden_dims=64"}
			}},
		{"config.json with an invalid value",
			func(t *testing.T, dir string) {
				editConfigJSON(t, dir, func(_, c map[string]any) { c["latent_dim"] = 0 })
			},
			func(dir, newest string) []string { return []string{dir, "latent_dim=0: expected >= 1"} }},
		{"config.json with a value of the wrong type",
			func(t *testing.T, dir string) {
				editConfigJSON(t, dir, func(_, c map[string]any) { c["latent_dim"] = "four" })
			},
			func(dir, newest string) []string {
				return []string{filepath.Join(dir, configFileName), `hyperparameter "latent_dim"`}
			}},
		{"config.json with an unknown hyperparameter",
			func(t *testing.T, dir string) {
				editConfigJSON(t, dir, func(_, c map[string]any) { c["no_such_setting"] = 0.5 })
			},
			func(dir, newest string) []string {
				return []string{filepath.Join(dir, configFileName), `unknown hyperparameter "no_such_setting"`}
			}},
		{"config.json from a newer vaekit",
			func(t *testing.T, dir string) {
				editConfigJSON(t, dir, func(f, _ map[string]any) { f["format"] = 99 })
			},
			func(dir, newest string) []string {
				return []string{filepath.Join(dir, configFileName), "format 99", "reads format 1"}
			}},
		{"config.json for another image size",
			func(t *testing.T, dir string) {
				editConfigJSON(t, dir, func(f, _ map[string]any) { f["height"] = 32 })
			},
			func(dir, newest string) []string {
				return []string{dir, "saved for 32x28x1 images", "image_shape=28,28,1"}
			}},
		{"every checkpoint deleted",
			func(t *testing.T, dir string) {
				bases, _ := ckptfile.List(dir)
				for _, b := range bases {
					os.Remove(filepath.Join(dir, b+".json"))
					os.Remove(filepath.Join(dir, b+".bin"))
				}
			},
			func(dir, newest string) []string { return []string{dir, "has a config.json but no checkpoint"} }},
		{"history.json garbage",
			func(t *testing.T, dir string) {
				editFile(t, filepath.Join(dir, historyFileName), func([]byte) []byte { return []byte("[{") })
			},
			func(dir, newest string) []string { return []string{filepath.Join(dir, historyFileName)} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyOf(t, saved)
			newest := newestCheckpoint(t, dir)
			tc.corrupt(t, dir)
			err := noPanic(t, "Load", func() error {
				_, err := Load(dir)
				return err
			})
			wantError(t, "Load", err, tc.want(dir, newest)...)

			// Resuming training from the broken directory reports the same problem and
			// leaves the directory as it was: nothing is overwritten. (A directory without
			// a checkpoint holds nothing to lose: Train starts afresh there.)
			resumes := HasSavedModel(dir)
			before := dirListing(t, dir)
			cfg := smallConfig()
			cfg.Steps = 30
			err = noPanic(t, "Train", func() error {
				_, err := Train(cfg, syntheticSet(256, 30), syntheticSet(64, 31), TrainOptions{Quiet: true, Dir: dir})
				return err
			})
			if !resumes {
				if err != nil {
					t.Errorf("Train in a directory without checkpoints: %v", err)
				}
				return
			}
			{
				wantError(t, "Train", err, tc.want(dir, newest)...)
				if after := dirListing(t, dir); !slices.Equal(before, after) {
					t.Errorf("a failed resume changed the directory:\nbefore %v\nafter  %v", before, after)
				}
			}
		})
	}
}

// dirListing lists the names and sizes of the files in dir, but for the lock file (it
// records the process that used the directory last).
func dirListing(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() == lockFileName {
			continue
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s:%d", e.Name(), info.Size()))
	}
	return out
}
