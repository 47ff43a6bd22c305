package bench

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with the ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/nn"
	"k8s.io/klog/v2"
)

// Which SIMD kernels each framework runs decides most of its speed, and both pick them at
// run time from the CPU: GoMLX's Go backend has AVX-512 and AVX2 kernels (matmuls,
// activations, element-wise ops) and switches to turn each set off; PyTorch runs OpenBLAS
// (matmuls; its core picked from the CPU, OPENBLAS_CORETYPE to force one), oneDNN
// (convolutions; DNNL_MAX_CPU_ISA caps its ISA) and ATen's own vectorised ops
// (ATEN_CPU_CAPABILITY), and glibc picks AVX-512 string functions (memcpy) for both
// (GLIBC_TUNABLES; Go copies with its own code). The benchmark's -simd flag sets these
// switches in the children's environment, and each child reports the kernels it saw
// itself use.

// SIMD modes of the -simd flag.
const (
	SIMDNative = "native" // Each framework's own choice for this CPU.
	SIMDAVX2   = "avx2"   // Both frameworks held to their AVX2 kernels.
)

// simdEnv lists, per framework, the environment variables that choose SIMD kernels, with
// the values that hold it to AVX2.
var simdEnv = map[string][]string{
	"vaekit": {"GOMLX_GO_SIMD_AVX512=false", "GOMLX_GO_SIMD_AVX2=true"},
	"pytorch": {"OPENBLAS_CORETYPE=Haswell", "DNNL_MAX_CPU_ISA=AVX2", "ONEDNN_MAX_CPU_ISA=AVX2",
		"ATEN_CPU_CAPABILITY=avx2", "GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD"},
}

// withSIMD returns env with the framework's SIMD switches removed (mode native: the
// framework chooses) or set to AVX2 (mode avx2), so that an inherited setting cannot put a
// run in the wrong column.
func withSIMD(env []string, framework, mode string) []string {
	switches := simdEnv[framework]
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return slices.ContainsFunc(switches, func(s string) bool {
			name, _, _ := strings.Cut(s, "=")
			return strings.HasPrefix(kv, name+"=")
		})
	})
	if mode == SIMDAVX2 {
		out = append(out, switches...)
	}
	return out
}

// CPU describes the processor: its model name and the SIMD features the kernels care about.
type CPU struct {
	Model    string   `json:"model"`
	Features []string `json:"simd_features"` // Of avx, avx2, fma and the avx512 family, as /proc/cpuinfo lists them.
}

// Has reports whether the CPU lists the feature (a /proc/cpuinfo flag, e.g. "avx512f").
func (c CPU) Has(feature string) bool { return slices.Contains(c.Features, feature) }

// ReadCPU reads the model name and SIMD flags of the first processor in /proc/cpuinfo.
func ReadCPU() CPU {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return CPU{Model: "unknown CPU"}
	}
	return parseCPUInfo(string(b))
}

// parseCPUInfo reads the first processor's block of /proc/cpuinfo. The model name of a
// virtual machine's CPU can be as short as "AMD EPYC", so the family and model numbers
// follow it (family 26 is AMD's Zen 5, for instance).
func parseCPUInfo(text string) CPU {
	first, _, _ := strings.Cut(text, "\n\n")
	fields := map[string]string{}
	for _, line := range strings.Split(first, "\n") {
		if key, value, ok := strings.Cut(line, ":"); ok {
			fields[strings.TrimSpace(key)] = strings.TrimSpace(value)
		}
	}
	cpu := CPU{Model: fields["model name"]}
	if cpu.Model == "" {
		cpu.Model = "unknown CPU"
	}
	if family, model := fields["cpu family"], fields["model"]; family != "" && model != "" {
		cpu.Model += fmt.Sprintf(" (family %s, model %s)", family, model)
	}
	for _, f := range strings.Fields(fields["flags"]) {
		if f == "avx" || f == "avx2" || f == "fma" || strings.HasPrefix(f, "avx512") {
			cpu.Features = append(cpu.Features, f)
		}
	}
	return cpu
}

// Column names the table a run belongs to, "avx512" or "avx2": the widest SIMD kernels
// both frameworks were allowed, from the CPU and the -simd mode; note says why.
func Column(cpu CPU, mode string) (column, note string, err error) {
	switch mode {
	case SIMDNative, "":
		switch {
		case cpu.Has("avx512f"):
			return "avx512", "each framework's own kernels on this AVX-512 CPU", nil
		case cpu.Has("avx2"):
			return "avx2", "native: no AVX-512 on this CPU", nil
		}
		return "no-avx2", "native: no AVX2 on this CPU", nil
	case SIMDAVX2:
		if !cpu.Has("avx2") {
			return "", "", fmt.Errorf("bench: -simd=avx2 on a CPU without AVX2 (%s; features %v)", cpu.Model, cpu.Features)
		}
		if cpu.Has("avx512f") {
			return "avx2", "AVX-512 switched off in both frameworks", nil
		}
		return "avx2", "native: no AVX-512 on this CPU", nil
	}
	return "", "", fmt.Errorf("bench: -simd=%q, expected %s or %s", mode, SIMDNative, SIMDAVX2)
}

// goKernels runs a dense layer (the MLP's first, 128x784 by 784x400) forward and backward
// with GoMLX's verbose log on, and returns the matmul implementations and kernel variants
// the Go backend reported choosing, e.g. "GoMLX matmul simd:avx512 (large, small)". The
// log is on only for this probe: the kernels log every call at that level.
func goKernels(backend compute.Backend) (string, error) {
	sink := &captureSink{}
	flags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(flags)
	klog.SetLogger(logr.New(sink))
	if err := flags.Set("v", "1"); err != nil {
		return "", err
	}
	defer func() {
		_ = flags.Set("v", "0")
		klog.ClearLogger()
	}()
	x := tensors.FromShape(shapes.Make(dtypes.Float32, 128, 784))
	w := tensors.FromShape(shapes.Make(dtypes.Float32, 784, 400))
	b := tensors.FromShape(shapes.Make(dtypes.Float32, 400))
	_, err := ExecOnceN(backend, func(x, w, b *Node) []*Node {
		y := nn.Dense(x, w, b, compute.DenseLayoutInputOutputs)
		grads := Gradient(ReduceAllSum(y), w, x)
		return []*Node{ReduceAllSum(grads[0]), ReduceAllSum(grads[1])}
	}, x, w, b)
	if err != nil {
		return "", err
	}
	return sink.summary()
}

// captureSink is a logr sink that keeps klog's messages (GoMLX logs through klog).
type captureSink struct {
	mu   sync.Mutex
	msgs []string
}

func (s *captureSink) Init(logr.RuntimeInfo)  {}
func (s *captureSink) Enabled(level int) bool { return true }
func (s *captureSink) Info(_ int, msg string, _ ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, msg)
}
func (s *captureSink) Error(err error, msg string, _ ...any) { s.Info(0, msg+": "+err.Error()) }
func (s *captureSink) WithValues(...any) logr.LogSink        { return s }
func (s *captureSink) WithName(string) logr.LogSink          { return s }

var (
	implementationRE = regexp.MustCompile(`DotGeneral (?:algorithm|implementation) "([^"]+)"`)
	variantRE        = regexp.MustCompile(`Using (\w+) (?:\(\w+\) )?variant`)
)

// summary lists the matmul implementations and variants the messages name.
func (s *captureSink) summary() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var impls, variants []string
	for _, msg := range s.msgs {
		if m := implementationRE.FindStringSubmatch(msg); m != nil && !slices.Contains(impls, m[1]) {
			impls = append(impls, m[1])
		}
		if m := variantRE.FindStringSubmatch(msg); m != nil && !slices.Contains(variants, m[1]) {
			variants = append(variants, m[1])
		}
	}
	if len(impls) == 0 {
		return "", errors.New("bench: GoMLX logged no matmul implementation for the probe")
	}
	slices.Sort(impls)
	slices.Sort(variants)
	out := "GoMLX matmul " + strings.Join(impls, ", ")
	if len(variants) > 0 {
		out += " (" + strings.Join(variants, ", ") + ")"
	}
	return out, nil
}
