//go:build !((linux && amd64) || pjrt_all)

package main

import (
	"fmt"
	"runtime"

	"github.com/gomlx/go-xla/installer"
)

func installCUDA(plugin, _, _ string, _ bool, _ installer.VerbosityLevel) error {
	return fmt.Errorf("the %s PJRT plugin is only available for linux/amd64, not %s/%s", plugin, runtime.GOOS, runtime.GOARCH)
}
