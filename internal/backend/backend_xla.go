//go:build !noxla && cgo && ((linux && (amd64 || arm64)) || (darwin && arm64))

package backend

import (
	_ "github.com/gomlx/go-xla/compute/xla" // Registers the "xla" backend, without its network auto-installer.
	"github.com/gomlx/go-xla/pjrt"
)

func init() {
	xlaPluginsFn = pjrt.AvailablePlugins
}
