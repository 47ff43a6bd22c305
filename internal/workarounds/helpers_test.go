package workarounds

import (
	"sync"
	"testing"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend"
)

// testBackend is one pure Go backend for every test (tensors stay on their backend).
func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	backendOnce.Do(func() { backend, backendErr = compute.NewWithConfig("go") })
	if backendErr != nil {
		t.Fatal(backendErr)
	}
	return backend
}

var (
	backendOnce sync.Once
	backend     compute.Backend
	backendErr  error
)
