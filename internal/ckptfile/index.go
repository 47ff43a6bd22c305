// Package ckptfile reads GoMLX's checkpoint files defensively: GoMLX's loader allocates
// whatever shapes a checkpoint's index declares, and panics on malformed content, so vaekit
// checks the index against the data file before GoMLX reads it, and turns a panic into an
// error.
package ckptfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
)

// Load loads the newest checkpoint in dir, whose index is saved, into store with
// GoMLX's loader, turning a panic on malformed content into an error.
func Load(store *model.Store, dir string, saved map[string]Var) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	// GoMLX's loader keeps the value of a variable the store already has (NewModel's
	// random number generator state): remove those first, so the checkpoint's are used.
	for key := range saved {
		if path := strings.TrimPrefix(key, KeyPrefix); store.GetVariable(path) != nil {
			if err := store.DeleteVariable(path); err != nil {
				return err
			}
		}
	}
	_, err = checkpoint.Load(store).Dir(dir).Immediate().ExcludeAllParams().Done()
	return err
}

// KeyPrefix starts GoMLX's checkpoint key of a variable: "var:" + its path.
const KeyPrefix = "var:"

// TopScope is the top-level scope of a variable's path: "/encoder/" for
// "/encoder/dense/weights", the path itself for a variable at the root ("/global_step").
// A network's weights live under its top-level scopes; an optimizer's state under others.
func TopScope(path string) string {
	if i := strings.IndexByte(strings.TrimPrefix(path, "/"), '/'); i >= 0 {
		return path[:i+1]
	}
	return path
}

// Var is a variable's entry in a GoMLX checkpoint's .json file: its bytes are
// at [Pos, Pos+Length) of the (decompressed) .bin file.
type Var struct {
	ParameterName string
	Dimensions    []int
	DType         dtypes.DType
	Pos, Length   int
}

// maxDeflateRatio bounds how many bytes one byte of a gzip stream can decompress to
// (deflate's limit is about 1032:1).
const maxDeflateRatio = 1032

// ReadIndex reads the variable index of checkpoint base in dir, keyed by
// ParameterName, and checks it is consistent: known dtypes, sizes >= 0 that agree with
// the recorded lengths and positions, and no more data than the .bin file can hold.
func ReadIndex(dir, base string) (map[string]Var, error) {
	jsonPath := filepath.Join(dir, base+checkpoint.JsonNameSuffix)
	binInfo, err := os.Stat(filepath.Join(dir, base+checkpoint.BinDataSuffix))
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		return nil, err
	}
	var index struct {
		Variables []Var
		BinFormat string
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		return nil, fmt.Errorf("%s: %w", jsonPath, err)
	}
	limit := binInfo.Size()
	if index.BinFormat != "uncompressed" {
		limit *= maxDeflateRatio
	}
	vars := make(map[string]Var, len(index.Variables))
	var total int64
	for _, v := range index.Variables {
		size, ok := dtypeSize(v.DType)
		if !ok {
			return nil, fmt.Errorf("%s: variable %q has unsupported dtype %s", jsonPath, v.ParameterName, v.DType)
		}
		n := int64(size)
		for _, d := range v.Dimensions {
			if d < 0 || (d > 0 && n > (1<<50)/int64(d)) {
				return nil, fmt.Errorf("%s: variable %q has impossible dimensions %v", jsonPath, v.ParameterName, v.Dimensions)
			}
			n *= int64(d)
		}
		if n != int64(v.Length) || int64(v.Pos) != total {
			return nil, fmt.Errorf("%s: variable %q is %s (%d bytes), but recorded as %d bytes at position %d (expected %d)",
				jsonPath, v.ParameterName, shapes.Make(v.DType, v.Dimensions...), n, v.Length, v.Pos, total)
		}
		if total += n; total > limit {
			return nil, fmt.Errorf("%s%s (%d bytes) cannot hold the %d bytes of its variables: the data file is truncated",
				base, checkpoint.BinDataSuffix, binInfo.Size(), total)
		}
		vars[v.ParameterName] = v
	}
	return vars, nil
}

// dtypeSize is the size in bytes of one value of an unpacked dtype.
func dtypeSize(dt dtypes.DType) (size int, ok bool) {
	defer func() {
		if recover() != nil {
			size, ok = 0, false
		}
	}()
	if dt == dtypes.InvalidDType || !dt.IsADType() || dt.IsPacked() {
		return 0, false
	}
	size = dt.Size()
	return size, size > 0
}

// Difference is one way a checkpoint's variables differ from a network's: a variable the
// checkpoint lacks (Saved nil), one whose shape or dtype differs, or one the checkpoint
// holds under one of the network's top-level scopes that the network does not have (Want
// nil). Variables under other scopes (an optimizer's state) are not the network's.
type Difference struct {
	Path        string
	Want, Saved *shapes.Shape
}

// Compare lists the differences between want, a network's variables by path, and saved, a
// checkpoint's index (ReadIndex), in no particular order.
func Compare(want map[string]shapes.Shape, saved map[string]Var) []Difference {
	var diffs []Difference
	scopes := map[string]bool{}
	for path, shape := range want {
		scopes[TopScope(path)] = true
		v, found := saved[KeyPrefix+path]
		switch {
		case !found:
			diffs = append(diffs, Difference{Path: path, Want: &shape})
		case v.DType != shape.DType || !slices.Equal(v.Dimensions, shape.Dimensions):
			s := shapes.Make(v.DType, v.Dimensions...)
			diffs = append(diffs, Difference{Path: path, Want: &shape, Saved: &s})
		}
	}
	for key, v := range saved {
		path := strings.TrimPrefix(key, KeyPrefix)
		if _, found := want[path]; !found && scopes[TopScope(path)] {
			s := shapes.Make(v.DType, v.Dimensions...)
			diffs = append(diffs, Difference{Path: path, Saved: &s})
		}
	}
	return diffs
}

// ReadParam returns the value of the root-scope param key saved in checkpoint base's
// .json, when it is a string; found is false when the checkpoint has no such param (one
// saved before it was recorded).
func ReadParam(dir, base, key string) (value string, found bool, err error) {
	jsonPath := filepath.Join(dir, base+checkpoint.JsonNameSuffix)
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		return "", false, err
	}
	var index struct {
		Params []struct {
			Scope, Key string
			Value      any
		}
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		return "", false, fmt.Errorf("%s: %w", jsonPath, err)
	}
	for _, p := range index.Params {
		if p.Key == key && (p.Scope == "" || p.Scope == "/") {
			s, ok := p.Value.(string)
			if !ok {
				return "", false, fmt.Errorf("%s: param %q is %v, expected a string", jsonPath, key, p.Value)
			}
			return s, true, nil
		}
	}
	return "", false, nil
}
