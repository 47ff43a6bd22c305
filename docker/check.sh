#!/usr/bin/env bash
# Last step of docker/Dockerfile, as the user, with the whole repository in place:
# compiles vaekit's packages (the build cache the notebooks' first cell reuses, with the
# settings of scripts/env.sh, as the kernel has them), then runs docker/smoke: both data
# sets from the copies baked into the image, no download; a short training on the backend
# vaekit picks by itself, which must be XLA (the plugin is installed; with the CUDA plugin
# too, the CPU one is named, as a build has no GPU); save and load.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh
go build ./...
if [ -d /usr/local/lib/go-xla/nvidia ]; then
  # The CUDA plugin is installed, and XLA would pick it, but a build sees no GPU.
  export GOMLX_BACKEND=xla:cpu
fi
VAEKIT_NO_DOWNLOAD=1 go run ./docker/smoke -want-backend xla
