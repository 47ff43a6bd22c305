// Command install-pjrt installs the XLA PJRT plugins that GoMLX's "xla" backend loads,
// with go-xla's own installer (package github.com/gomlx/go-xla/installer) at the go-xla
// version the repository's go.mod requires, so the plugin matches the go-xla vaekit is
// built with. It is a module of its own (go-xla's installer needs modules vaekit does not),
// and docker/dockerfile_test.go checks that its go-xla version is go.mod's. docker/Dockerfile
// runs it; it works the same outside Docker (it needs the network: GitHub for the CPU
// plugin, pypi.org for CUDA):
//
//	cd docker/install-pjrt && go build -o /tmp/install-pjrt . && cd -
//	/tmp/install-pjrt -plugin cpu -version v0.114.0 -path ~/.local/lib/go-xla
//	sudo /tmp/install-pjrt -plugin cuda13 -version 0.10.2 -path /usr/local/lib/go-xla
//
// The versions the image installs are pinned in scripts/versions.env: PJRT_CPU_VERSION (a
// github.com/gomlx/pjrt-cpu-binaries release) and PJRT_CUDA_JAX_VERSION (the Jax release
// whose CUDA PJRT wheel is used). GoMLX looks for plugins in $PJRT_PLUGIN_LIBRARY_PATH,
// ~/.local/lib/go-xla and /usr/local/lib/go-xla.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"

	"github.com/gomlx/go-xla/installer"
)

func main() {
	plugin := flag.String("plugin", "cpu", `plugin to install: "cpu", or "cuda13" / "cuda12" (linux/amd64 only)`)
	version := flag.String("version", "", `version to install (required, "latest" for the newest): for cpu a github.com/gomlx/pjrt-cpu-binaries release such as v0.114.0, for cuda a Jax release such as 0.10.2`)
	path := flag.String("path", "/usr/local/lib/go-xla", "directory to install into (GoMLX also searches ~/.local/lib/go-xla)")
	cache := flag.Bool("cache", false, "keep the downloaded files in the user cache directory, for a later install")
	quiet := flag.Bool("quiet", false, "print only errors")
	flag.Parse()
	if err := install(*plugin, *version, *path, *cache, *quiet); err != nil {
		fmt.Fprintf(os.Stderr, "install-pjrt: %v\n", err)
		os.Exit(1)
	}
}

func install(plugin, version, path string, cache, quiet bool) error {
	if version == "" {
		return fmt.Errorf("-version is required (pin one; see scripts/versions.env)")
	}
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	verbosity := installer.Normal
	if quiet {
		verbosity = installer.Quiet
	}
	var err error
	switch plugin {
	case "cpu":
		err = installer.CPUInstall(runtime.GOOS+"_"+runtime.GOARCH, version, path, cache, verbosity)
	case "cuda12", "cuda13":
		err = installCUDA(plugin, version, path, cache, verbosity)
	default:
		return fmt.Errorf(`unknown -plugin %q: expected "cpu", "cuda13" or "cuda12"`, plugin)
	}
	if err != nil {
		return fmt.Errorf("installing the %s PJRT plugin %s into %s: %w", plugin, version, path, err)
	}
	if !quiet {
		fmt.Printf("\ninstall-pjrt: %s PJRT plugin %s installed in %s\n", plugin, version, path)
	}
	return nil
}
