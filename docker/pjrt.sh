#!/usr/bin/env bash
# Third step of docker/Dockerfile, as root:
#
#   pjrt.sh INSTALLER VERSIONS_ENV       (environment: PJRT_CUDA="", cuda13 or cuda12)
#
# installs GoMLX's XLA PJRT plugin for CPU (PJRT_CPU_VERSION) and, when PJRT_CUDA is set,
# the CUDA plugin with NVIDIA's libraries (PJRT_CUDA_JAX_VERSION) into
# /usr/local/lib/go-xla, with INSTALLER (docker/install-pjrt, built by docker/user.sh).
set -euo pipefail

installer="$1"
# shellcheck source=scripts/versions.env
source "$2"
path=/usr/local/lib/go-xla

"$installer" -plugin cpu -version "$PJRT_CPU_VERSION" -path "$path"
case "${PJRT_CUDA:-}" in
  "") ;;
  cuda13 | cuda12) "$installer" -plugin "$PJRT_CUDA" -version "$PJRT_CUDA_JAX_VERSION" -path "$path" ;;
  *)
    echo "pjrt.sh: PJRT_CUDA=${PJRT_CUDA}: expected \"\", cuda13 or cuda12" >&2
    exit 2
    ;;
esac
ldconfig
ls -l "$path"
