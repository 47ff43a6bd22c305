#!/usr/bin/env bash
# The training benchmark: vaekit's steady-state images/s, the time of one epoch, peak
# memory and the held-out negative ELBO after training for each model, next to PyTorch's
# on the same MNIST data, in interleaved rounds (README, "Performance"), the parity of
# pytorch/examples' VAE trained 10 epochs by both, and (only when named) the likelihood
# parity of notebook 05's VAE and IWAE k=5 trained 10 epochs by both. It runs
# cmd/vaekit-bench; every flag is passed on:
#
#   scripts/bench.sh                          all models but burda-vae and burda-iwae5, 3 rounds
#   scripts/bench.sh -quick                   smoke run: 60 steps a model, 1 round
#   scripts/bench.sh -models pytorch-examples -rounds 3   the held-out -ELBO parity (~10 minutes)
#   scripts/bench.sh -models burda-vae,burda-iwae5 -seeds 1,2,3 -omp-wait-policy PASSIVE
#                                             notebook 05's IWAE-5000 NLL parity (cmd/vaekit-bench/internal/bench/NOTES.md)
#   scripts/bench.sh -models burda-b20,burda-iwae50-b20 -rounds 3   notebook 05's networks' speed
#   scripts/bench.sh -simd avx2               the "avx2" column: both frameworks on AVX2 kernels
#   scripts/bench.sh -models conv-b64 -rounds 5
#   scripts/bench.sh -torch=false             vaekit only
#   scripts/bench.sh -h                       every flag
#
# Writes $VAEKIT_OUT/bench/table.md (the table the README shows, headed by the CPU, its
# SIMD features, the column and the kernels each framework ran) and results.json (every
# run). The PyTorch peer needs Debian's python3-torch and, for a fast BLAS,
# libopenblas0-openmp (apt-get install python3-torch libopenblas0-openmp); without them
# the PyTorch columns are skipped with a message. The go backend is used unless
# GOMLX_BACKEND says otherwise; VAEKIT_SIMD=0 builds without GOEXPERIMENT=simd.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "${VAEKIT_ROOT}"
export GOMLX_BACKEND="${GOMLX_BACKEND:-go}"

out="${VAEKIT_OUT}/bench"
mkdir -p "${out}"
go build -o "${out}/vaekit-bench" ./cmd/vaekit-bench
exec "${out}/vaekit-bench" -out "${out}" "$@"
