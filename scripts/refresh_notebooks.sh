#!/usr/bin/env bash
# Re-executes notebooks in full mode and refreshes their committed copies with the outputs.
#
#   scripts/refresh_notebooks.sh [NOTEBOOK.ipynb...]
#
# For every notebook under notebooks/ (or only the ones given, paths under notebooks/),
# one at a time: runs scripts/run_notebooks.sh in full mode (VAEKIT_QUICK is ignored)
# into $VAEKIT_OUT/refresh, which also runs every full-mode check of
# scripts/check_notebook.py (errors, stderr, pictures, training summaries, `check:`
# claims). When it passes, the notebook's outputs and execution counts are written back
# over notebooks/<path>.ipynb with a stamp, metadata.vaekit: the hash of its code cells,
# mode "full", date, wall time, Go version and CPU (scripts/notebook_outputs.py). All
# else in the notebook stays as committed. CI's check (notebook_outputs.py verify, in
# scripts/test.sh) fails a notebook whose code cells changed since.
#
# A notebook that fails, or that was edited while it ran, keeps its committed copy (its
# executed copy and log stay in $VAEKIT_OUT/refresh), and the command exits non-zero
# after the others ran. Models load from the model cache when their Config is
# unchanged, so a refresh retrains only what changed. Prints each notebook's wall
# time and the total. The timeouts of run_notebooks.sh (VAEKIT_CELL_TIMEOUT, ...) apply.
set -euo pipefail

# Paths are taken from the caller's directory, before moving to the repository root.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
notebooks=()
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "refresh_notebooks.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    *.ipynb)
      [ -f "$arg" ] || { echo "refresh_notebooks.sh: no such notebook: $arg" >&2; exit 2; }
      rel="$(realpath --relative-to="$root" "$arg")"
      case "$rel" in
        notebooks/*) notebooks+=("$rel") ;;
        *) echo "refresh_notebooks.sh: $arg is not under ${root}/notebooks/ (only committed notebooks are refreshed)" >&2; exit 2 ;;
      esac ;;
    *) echo "refresh_notebooks.sh: expected NOTEBOOK.ipynb arguments, got $arg (see --help)" >&2; exit 2 ;;
  esac
done

# shellcheck source=scripts/env.sh
source "${root}/scripts/env.sh"
cd "$VAEKIT_ROOT"
if [ "${#notebooks[@]}" = 0 ]; then
  mapfile -t notebooks < <(find notebooks -name .ipynb_checkpoints -prune -o -type f -name '*.ipynb' -print | LC_ALL=C sort)
fi
if [ "${VAEKIT_QUICK:-0}" != 0 ]; then
  echo "refresh_notebooks.sh: ignoring VAEKIT_QUICK=${VAEKIT_QUICK}: committed outputs are full mode"
fi
unset VAEKIT_QUICK

outdir="${VAEKIT_OUT}/refresh"
go_version="$(go env GOVERSION)"
snapshots="$(mktemp -d "${TMPDIR:-/tmp}/vaekit-refresh.XXXXXX")"
trap 'rm -rf "$snapshots"' EXIT

failed=()
summary=()
t_all=$SECONDS
for nb in "${notebooks[@]}"; do
  rel="${nb#notebooks/}"
  executed="${outdir}/${rel}"
  snapshot="${snapshots}/$(printf '%s' "$rel" | tr / _)"
  cp "$nb" "$snapshot"
  echo
  echo "##### refresh ${nb} (full mode)"
  t0=$SECONDS
  status=refreshed
  if ! "${VAEKIT_ROOT}/scripts/run_notebooks.sh" "$outdir" "$nb"; then
    status="FAILED (run or check)"
  elif ! python3 scripts/notebook_outputs.py stamp --executed "$executed" --snapshot "$snapshot" \
      --wall-seconds "$((SECONDS - t0))" --go "$go_version" "$nb"; then
    status="FAILED (not written)"
  fi
  dt=$((SECONDS - t0))
  summary+=("$(printf '%6ss  %-22s %s' "$dt" "$status" "$nb")")
  [ "$status" = refreshed ] || failed+=("$nb")
done

echo
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1 || true)"
echo "refresh_notebooks.sh: summary (wall time per notebook; full mode, ${go_version}, ${cpu:-unknown CPU}):"
printf '  %s\n' "${summary[@]}"
echo "  total $((SECONDS - t_all))s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "refresh_notebooks.sh: ${#failed[@]} notebook(s) not refreshed (committed copies unchanged): ${failed[*]}" >&2
  echo "  their executed copies and logs: ${outdir}" >&2
  exit 1
fi
echo "refresh_notebooks.sh: review with 'git diff --stat notebooks/' and commit."
