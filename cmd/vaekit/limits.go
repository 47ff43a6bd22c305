package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vaekit/vaekit/vaekit"
)

// The limits that keep a typo from crashing the machine: the memory a model and a picture
// may be estimated to need (-memory_limit, every command's flag), and the IWAE bound's
// samples per image.

// maxIWAESamples bounds -iwae: the bound's memory does not grow with k, its time does
// (a decoding per sample and image), and the papers' k is 5,000.
const maxIWAESamples = 100_000

// checkIWAESamples checks -iwae (0: skip).
func checkIWAESamples(k int) error {
	if k < 0 || k > maxIWAESamples {
		return usagef("-iwae=%d: expected a number of samples from 0 (skip) to %d (Burda et al. use 5000; each costs a decoding per image)", k, maxIWAESamples)
	}
	return nil
}

// memoryLimitFlag is -memory_limit: a size ("16G", "512MiB", bytes) or a percentage of
// this machine's memory ("80%"); unset, vaekit.DefaultMemoryLimit.
type memoryLimitFlag struct {
	limit vaekit.MemoryLimit
	set   bool
}

func memoryLimitFlags(fs *flag.FlagSet) *memoryLimitFlag {
	f := &memoryLimitFlag{}
	fs.Var(f, "memory_limit", fmt.Sprintf("the most memory the model and the pictures may be estimated to need, as a `size`\n"+
		"(16G, 512M: binary units) or a percentage of this machine's memory (80%%); a setting\n"+
		"above it is refused before anything is allocated (default %.0f%% of this machine's memory)", 100*vaekit.DefaultMemoryFraction))
	return f
}

func (f *memoryLimitFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return vaekit.ByteSize(f.limit.Bytes)
}

func (f *memoryLimitFlag) Set(text string) error {
	text = strings.TrimSpace(text)
	if percent, ok := strings.CutSuffix(text, "%"); ok {
		p, err := strconv.ParseFloat(percent, 64)
		if err != nil || !(p > 0) || math.IsInf(p, 0) {
			return fmt.Errorf("expected a percentage > 0, e.g. 80%%")
		}
		f.limit, f.set = vaekit.MemoryLimitFraction(p/100), true
		f.limit.Source += " (-memory_limit)"
		return nil
	}
	bytes, err := parseByteSize(text)
	if err != nil {
		return err
	}
	f.limit, f.set = vaekit.MemoryLimit{Bytes: bytes, Source: "-memory_limit"}, true
	return nil
}

// parseByteSize reads "16G", "16GiB", "16GB" (all binary units), "512M" or a number of
// bytes.
func parseByteSize(text string) (float64, error) {
	number := strings.TrimRight(strings.ToUpper(text), "IB")
	scale := 1.0
	if n := len(number); n > 0 {
		if i := strings.IndexByte("KMGTP", number[n-1]); i >= 0 {
			scale, number = math.Pow(1024, float64(i+1)), number[:n-1]
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(number), 64)
	if err != nil || !(v > 0) || math.IsInf(v*scale, 0) {
		return 0, fmt.Errorf("expected a size such as 16G, 512M or a number of bytes, or a percentage such as 80%%")
	}
	return v * scale, nil
}

// get is the limit: the flag's, or the default.
func (f *memoryLimitFlag) get() vaekit.MemoryLimit {
	if f == nil || !f.set {
		return vaekit.DefaultMemoryLimit()
	}
	return f.limit
}

// checkModel refuses, as a usage error, a model estimated to need more memory than the
// limit for use.
func (e *env) checkModel(cfg vaekit.Config, use vaekit.MemoryUse) error {
	err := vaekit.EstimateMemory(cfg, use).Check(e.memoryLimit.get())
	var tooLarge *vaekit.MemoryError
	if errors.As(err, &tooLarge) {
		return usagef("%v; -memory_limit raises the limit", err)
	}
	return err
}
