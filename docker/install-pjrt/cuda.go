//go:build (linux && amd64) || pjrt_all

package main

import "github.com/gomlx/go-xla/installer"

// installCUDA installs the CUDA PJRT plugin of Jax release version and NVIDIA's libraries
// (from their pypi.org wheels) into path/nvidia.
func installCUDA(plugin, version, path string, cache bool, verbosity installer.VerbosityLevel) error {
	return installer.CudaInstall(plugin, version, path, cache, verbosity)
}
