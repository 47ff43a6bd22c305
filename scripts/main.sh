#!/usr/bin/env bash
# Installs what is missing (scripts/setup.sh), then executes every notebook and
# renders it to HTML in $VAEKIT_OUT/notebooks (default out/notebooks).
# Full training budgets, unless VAEKIT_QUICK=1 is set. Extra arguments go to
# scripts/run_notebooks.sh (e.g. an OUTDIR, or the notebooks to run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"${ROOT}/scripts/setup.sh"
# shellcheck source=scripts/env.sh
source "${ROOT}/scripts/env.sh"
cd "$ROOT"

mode=()
[ "${VAEKIT_QUICK:-0}" = 1 ] && mode=(--quick)
outdir="${VAEKIT_OUT}/notebooks"
args=()
for arg in "$@"; do
  case "$arg" in -*|*.ipynb) args+=("$arg") ;; *) outdir="$arg" ;; esac
done
rc=0
"${ROOT}/scripts/run_notebooks.sh" "${mode[@]}" "$outdir" "${args[@]}" || rc=$?

echo
echo "main.sh: HTML notebooks in ${outdir}:"
find "$outdir" -name '*.html' | LC_ALL=C sort | sed 's/^/  /'
exit "$rc"
