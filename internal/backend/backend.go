// Package backend chooses the GoMLX backend that every vaekit model and judge shares, and
// tunes the pure Go backend's executors for the machine's cores.
package backend

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // The pure Go backend: needs no install, always available.
)

// The backend is chosen in exactly one place, here:
//
//  1. $GOMLX_BACKEND when set (e.g. "go", "xla:cpu", "xla:cuda"), GoMLX's own convention;
//  2. else XLA, but only when a PJRT plugin is already installed (see backend_xla.go);
//  3. else the pure Go backend.
//
// Nothing here ever installs a plugin over the network: vaekit never imports GoMLX's
// auto-installer, so a machine without a plugin quietly uses the Go backend.

var (
	backendOnce sync.Once
	backendVal  compute.Backend
	backendErr  error

	// xlaPluginsFn lists the installed PJRT plugins (name -> path); nil when vaekit was
	// built without XLA support (build tag noxla, or CGO_ENABLED=0).
	xlaPluginsFn func() map[string]string
)

// Config returns the GoMLX backend configuration vaekit will use, and why.
func Config() (config, reason string) {
	if env, found := os.LookupEnv(compute.ConfigEnvVar); found && env != "" {
		return env, "$" + compute.ConfigEnvVar + " is set"
	}
	if xlaPluginsFn != nil {
		if plugins := xlaPluginsFn(); len(plugins) > 0 {
			names := make([]string, 0, len(plugins))
			for name := range plugins {
				names = append(names, name)
			}
			sort.Strings(names)
			return "xla", "PJRT plugin(s) installed: " + strings.Join(names, ", ")
		}
		return "go", "no PJRT plugin installed for XLA"
	}
	return "go", "built without XLA (tag noxla, or no cgo)"
}

// Get returns the process-wide GoMLX backend, creating it on first use.
// Backends hold devices and compiled programs, so every model and judge shares one.
func Get() (compute.Backend, error) {
	backendOnce.Do(func() {
		config, reason := Config()
		backendVal, backendErr = newBackend(config)
		if backendErr != nil {
			backendErr = fmt.Errorf("vaekit: creating GoMLX backend %q (%s): %w", config, reason, backendErr)
		}
	})
	return backendVal, backendErr
}

// newBackend wraps compute.NewWithConfig, which panics on unknown backend names.
func newBackend(config string) (backend compute.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v (compiled-in backends: %s)", r, strings.Join(compute.List(), ", "))
		}
	}()
	return compute.NewWithConfig(goBackendOptions(config, runtime.GOMAXPROCS(0)))
}

// goBackendOptions gives the bare Go backend ("go", no options) one executor (a goroutine
// that runs the graph's ready ops) per core, at most the backend's default of 8. The
// backend counts its executors against its pool of workers (two per core), so on a
// machine with fewer than 8 cores its default leaves one worker to each matrix product:
// on 2 cores, num_executors=2 trained mlp-400-20-b128 at 31.9k images/s against 18.6k
// (cmd/vaekit-bench/internal/bench/NOTES.md). The values computed do not depend on it. A config that sets
// options of its own is used as it is.
func goBackendOptions(config string, cores int) string {
	if config != "go" {
		return config
	}
	return fmt.Sprintf("go:num_executors=%d", min(max(cores, 1), 8))
}

// Description is a one-line summary of the backend in use, for notebooks and logs.
func Description() string {
	_, reason := Config()
	b, err := Get()
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%s (%s; chosen because %s)", b.Name(), b.Description(), reason)
}
