package vaekit

import (
	"github.com/gomlx/compute"

	"github.com/vaekit/vaekit/internal/backend"
)

// The backend is chosen in exactly one place, internal/backend, for models and judges
// alike:
//
//  1. $GOMLX_BACKEND when set (e.g. "go", "xla:cpu", "xla:cuda"), GoMLX's own convention;
//  2. else XLA, but only when a PJRT plugin is already installed;
//  3. else the pure Go backend.
//
// Nothing ever installs a plugin over the network: vaekit never imports GoMLX's
// auto-installer, so a machine without a plugin quietly uses the Go backend.

// BackendConfig returns the GoMLX backend configuration vaekit will use, and why.
func BackendConfig() (config, reason string) { return backend.Config() }

// Backend returns the process-wide GoMLX backend, creating it on first use. Backends hold
// devices and compiled programs, so every Model (and every judge) shares one.
func Backend() (compute.Backend, error) { return backend.Get() }

// BackendDescription is a one-line summary of the backend in use, for notebooks and logs.
func BackendDescription() string { return backend.Description() }
