package backend

import (
	"strings"
	"testing"

	"github.com/gomlx/compute"
)

func TestBackendChoice(t *testing.T) {
	saved := xlaPluginsFn
	defer func() { xlaPluginsFn = saved }()

	t.Setenv(compute.ConfigEnvVar, "xla:cuda")
	if config, reason := Config(); config != "xla:cuda" || !strings.Contains(reason, "GOMLX_BACKEND") {
		t.Errorf("GOMLX_BACKEND must win: got %q (%s)", config, reason)
	}

	t.Setenv(compute.ConfigEnvVar, "") // Empty counts as unset.
	xlaPluginsFn = func() map[string]string { return nil }
	if config, reason := Config(); config != "go" || !strings.Contains(reason, "no PJRT plugin") {
		t.Errorf("no plugin installed: got %q (%s), expected the Go backend", config, reason)
	}
	xlaPluginsFn = func() map[string]string { return map[string]string{"cpu": "/x/pjrt_c_api_cpu_plugin.so"} }
	if config, reason := Config(); config != "xla" || !strings.Contains(reason, "cpu") {
		t.Errorf("plugin installed: got %q (%s), expected xla", config, reason)
	}
	xlaPluginsFn = nil
	if config, _ := Config(); config != "go" {
		t.Errorf("built without XLA: got %q", config)
	}

	// An unknown backend name is an error that lists the compiled-in ones, not a panic.
	_, err := newBackend("nonesuch")
	if err == nil || !strings.Contains(err.Error(), "nonesuch") || !strings.Contains(err.Error(), "go") {
		t.Errorf("unknown backend: error %v", err)
	}
}

// The bare Go backend gets one executor per core (at most 8); any other config, including
// the Go backend with options of its own, is passed on unchanged. The tuned config must be
// one the Go backend accepts.
func TestGoBackendOptions(t *testing.T) {
	for _, tc := range []struct {
		config string
		cores  int
		want   string
	}{
		{"go", 2, "go:num_executors=2"},
		{"go", 1, "go:num_executors=1"},
		{"go", 64, "go:num_executors=8"},
		{"go:parallelism=3", 2, "go:parallelism=3"},
		{"xla:cpu", 2, "xla:cpu"},
	} {
		if got := goBackendOptions(tc.config, tc.cores); got != tc.want {
			t.Errorf("goBackendOptions(%q, %d) = %q, want %q", tc.config, tc.cores, got, tc.want)
		}
	}
	backend, err := newBackend("go")
	if err != nil {
		t.Fatalf("the tuned Go backend: %v", err)
	}
	backend.Finalize()
}
