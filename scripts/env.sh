# shellcheck shell=bash
# Common environment for vaekit's scripts. Source it, don't run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# It sets VAEKIT_ROOT (the repository root) and exports the Go settings below.
# Every setting can be overridden by exporting it before sourcing.

VAEKIT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export VAEKIT_ROOT

# go.mod asks for a newer Go than many machines have; "auto" lets the go command
# download that toolchain (go.mod's go line) from the module proxy. Some installs
# default to "local" (e.g. GOTOOLCHAIN=local in $GOROOT/go.env), which would
# refuse. An explicit other choice (go1.27.4, path, ...) is kept.
case "${GOTOOLCHAIN:-local}" in
  local) export GOTOOLCHAIN=auto ;;
  *) export GOTOOLCHAIN ;;
esac

# A Go fetched by scripts/setup.sh (only where no go >= 1.21 was found) comes
# first; else the go on PATH, else the usual install location.
if [ -x "${XDG_CACHE_HOME:-${HOME}/.cache}/vaekit/go/bin/go" ]; then
  PATH="${XDG_CACHE_HOME:-${HOME}/.cache}/vaekit/go/bin:${PATH}"
elif ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  PATH="/usr/local/go/bin:${PATH}"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "vaekit: the 'go' command was not found: run scripts/setup.sh, or install Go from https://go.dev/dl/" >&2
  return 1
fi

# Binaries installed by `go install` (gonb, goimports, gopls).
_gopath="$(cd "${VAEKIT_ROOT}" && go env GOPATH)" || {
  echo "vaekit: 'go env GOPATH' failed (could the Go toolchain from go.mod be downloaded?)" >&2
  return 1
}
_gobin="$(cd "${VAEKIT_ROOT}" && go env GOBIN)"
VAEKIT_GOBIN="${_gobin:-${_gopath%%:*}/bin}"
export VAEKIT_GOBIN
case ":${PATH}:" in
  *":${VAEKIT_GOBIN}:"*) ;;
  *) PATH="${VAEKIT_GOBIN}:${PATH}" ;;
esac
# The toolchain go.mod selected comes first, so that programs which run `go` outside
# the repository (the GoNB kernel, in its notebooks' first cell) use it directly: a go
# that switches toolchains writes "go: ... switching to go1.x" to stderr, which would
# show in every notebook.
_goroot="$(cd "${VAEKIT_ROOT}" && go env GOROOT)"
if [ -x "${_goroot}/bin/go" ] && [ "${PATH%%:*}" != "${_goroot}/bin" ]; then
  PATH="${_goroot}/bin:${PATH}"
fi
export PATH
unset _gopath _gobin _goroot

# SIMD for GoMLX's pure Go backend (about 3x faster training): only on amd64,
# only when the toolchain accepts the experiment. VAEKIT_SIMD=0 turns it off.
# An explicit GOEXPERIMENT from the user is left alone.
if [ -z "${GOEXPERIMENT:-}" ] && [ "${VAEKIT_SIMD:-1}" != "0" ] \
   && [ "$(cd "${VAEKIT_ROOT}" && go env GOARCH)" = "amd64" ] \
   && (cd "${VAEKIT_ROOT}" && GOEXPERIMENT=simd go version >/dev/null 2>&1); then
  export GOEXPERIMENT=simd
fi

# Never let GoMLX's XLA backend try to download its plugin during tests/notebooks.
export GOMLX_NO_AUTO_INSTALL="${GOMLX_NO_AUTO_INSTALL:-1}"

# Where scripts write their outputs (relative to the repository root).
export VAEKIT_OUT="${VAEKIT_OUT:-out}"
