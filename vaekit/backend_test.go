package vaekit

import (
	"strings"
	"testing"

	"github.com/gomlx/compute"
)

func TestBackendChoice(t *testing.T) {
	saved := xlaPluginsFn
	defer func() { xlaPluginsFn = saved }()

	t.Setenv(compute.ConfigEnvVar, "xla:cuda")
	if config, reason := BackendConfig(); config != "xla:cuda" || !strings.Contains(reason, "GOMLX_BACKEND") {
		t.Errorf("GOMLX_BACKEND must win: got %q (%s)", config, reason)
	}

	t.Setenv(compute.ConfigEnvVar, "") // Empty counts as unset.
	xlaPluginsFn = func() map[string]string { return nil }
	if config, reason := BackendConfig(); config != "go" || !strings.Contains(reason, "no PJRT plugin") {
		t.Errorf("no plugin installed: got %q (%s), expected the Go backend", config, reason)
	}
	xlaPluginsFn = func() map[string]string { return map[string]string{"cpu": "/x/pjrt_c_api_cpu_plugin.so"} }
	if config, reason := BackendConfig(); config != "xla" || !strings.Contains(reason, "cpu") {
		t.Errorf("plugin installed: got %q (%s), expected xla", config, reason)
	}
	xlaPluginsFn = nil
	if config, _ := BackendConfig(); config != "go" {
		t.Errorf("built without XLA: got %q", config)
	}

	// An unknown backend name is an error that lists the compiled-in ones, not a panic.
	_, err := newBackend("nonesuch")
	if err == nil || !strings.Contains(err.Error(), "nonesuch") || !strings.Contains(err.Error(), "go") {
		t.Errorf("unknown backend: error %v", err)
	}
}
