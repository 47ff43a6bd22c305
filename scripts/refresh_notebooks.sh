#!/usr/bin/env bash
# Re-executes notebooks in full mode and refreshes their committed copies with the outputs.
#
#   scripts/refresh_notebooks.sh [--from-scratch] [NOTEBOOK.ipynb...]
#
# For every notebook under notebooks/ (or only the ones given, paths under notebooks/),
# one at a time: runs scripts/run_notebooks.sh in full mode (VAEKIT_QUICK is ignored)
# into $VAEKIT_OUT/refresh, which also runs every full-mode check of
# scripts/check_notebook.py (errors, stderr, pictures, training summaries, `check:`
# claims, no machine paths). When it passes, the notebook's outputs and execution counts
# are written back over notebooks/<path>.ipynb with a stamp, metadata.vaekit: the hash of
# its code cells, mode "full", date, wall time, the models and judges it used (from the
# run's model record, <path>.models.jsonl beside its executed copy), its time from an
# empty model cache, Go version and CPU (scripts/notebook_outputs.py); that time is also
# written into the `*From scratch:` paragraph of its first markdown cell. All else in the
# notebook stays as committed. CI's check (notebook_outputs.py verify, in
# scripts/test.sh) fails a notebook whose code cells changed since, or whose models are
# of another training format than the library's (vaekit/trainingformat.go).
#
# A notebook that fails, or that was edited while it ran, keeps its committed copy (its
# executed copy and log stay in $VAEKIT_OUT/refresh), and the command exits non-zero
# after the others ran. Models load from the model cache when their Config is
# unchanged, so a refresh retrains only what changed. Prints each notebook's wall
# time and the total. The timeouts of run_notebooks.sh (VAEKIT_CELL_TIMEOUT, ...) apply.
#
#   --from-scratch  runs with an empty model cache, so that every model and judge is
#                   trained by today's code (after a bump of TrainingFormat: about an
#                   hour on 2 cores). The cache is $VAEKIT_OUT/from-scratch-models,
#                   deleted first (it belongs to this script); at the end, whether or
#                   not every notebook passed, every entry the runs recorded is moved
#                   into the regular model cache ($VAEKIT_MODELS, else
#                   ${XDG_CACHE_HOME:-~/.cache}/vaekit/models) unless one of that name
#                   is there already, so that later refreshes load them. Entries not
#                   moved stay in the from-scratch cache until the next --from-scratch.
set -euo pipefail

# Paths are taken from the caller's directory, before moving to the repository root.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
notebooks=()
from_scratch=0
for arg in "$@"; do
  case "$arg" in
    --from-scratch) from_scratch=1 ;;
    -h|--help) sed -n '2,34p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

if [ "$from_scratch" = 1 ]; then
  # Absolute paths: the kernels run in the notebooks' directories. The regular cache is
  # where vaekit would look without VAEKIT_MODELS (internal/cachedir: os.UserCacheDir).
  regular_cache="$(realpath -m "${VAEKIT_MODELS:-${XDG_CACHE_HOME:-${HOME}/.cache}/vaekit/models}")"
  scratch_cache="$(realpath -m "${VAEKIT_OUT}/from-scratch-models")"
  if [ "$regular_cache" = "$scratch_cache" ]; then
    echo "refresh_notebooks.sh: VAEKIT_MODELS is ${scratch_cache}, the directory --from-scratch empties; set it to another" >&2
    exit 2
  fi
  rm -rf "$scratch_cache"
  mkdir -p "$scratch_cache"
  export VAEKIT_MODELS="$scratch_cache"
  echo "refresh_notebooks.sh: from scratch: an empty model cache, ${scratch_cache};" \
    "what it trains moves to ${regular_cache} at the end"
fi

# move_trained RECORD...: moves the entries the records name from the from-scratch cache
# into the regular one, keeping any of the same name there (it loads the same model).
move_trained() {
  local entries entry moved=() kept=() missing=()
  if ! entries="$(python3 scripts/notebook_outputs.py entries "$@")"; then
    echo "refresh_notebooks.sh: could not read the model records; nothing moved from ${scratch_cache}" >&2
    return 1
  fi
  mkdir -p "$regular_cache" || return 1
  while IFS= read -r entry; do
    [ -n "$entry" ] || continue
    if [ ! -e "${scratch_cache}/${entry}" ]; then
      missing+=("$entry")
    elif [ -e "${regular_cache}/${entry}" ]; then
      kept+=("$entry")
    else
      # Through a hidden name in the regular cache, then one rename: a process looking
      # in the cache (on another file system, mv copies) never sees half an entry.
      local tmp="${regular_cache}/.moving-${entry}.$$"
      rm -rf "$tmp"
      if mv -T "${scratch_cache}/${entry}" "$tmp" && mv -T "$tmp" "${regular_cache}/${entry}"; then
        moved+=("$entry")
      else
        echo "refresh_notebooks.sh: could not move ${entry} into ${regular_cache}" >&2
        return 1
      fi
    fi
  done <<<"$entries"
  echo "refresh_notebooks.sh: moved ${#moved[@]} trained entries into ${regular_cache}"
  [ "${#moved[@]}" = 0 ] || printf '  %s\n' "${moved[@]}"
  if [ "${#kept[@]}" -gt 0 ]; then
    echo "  left ${#kept[@]} in ${scratch_cache}: an entry of the same name is in the model cache already:"
    printf '  %s\n' "${kept[@]}"
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "  ${#missing[@]} recorded entries are not in ${scratch_cache} (trained elsewhere?):"
    printf '  %s\n' "${missing[@]}"
  fi
}

failed=()
summary=()
records=()
move_failed=0
t_all=$SECONDS
for nb in "${notebooks[@]}"; do
  rel="${nb#notebooks/}"
  executed="${outdir}/${rel}"
  record="${outdir}/${rel%.ipynb}.models.jsonl"  # (run_notebooks.sh writes it there)
  rm -f "$record"  # (an older run's, should run_notebooks.sh stop before this notebook)
  snapshot="${snapshots}/$(printf '%s' "$rel" | tr / _)"
  cp "$nb" "$snapshot"
  echo
  echo "##### refresh ${nb} (full mode)"
  t0=$SECONDS
  status=refreshed
  if ! "${VAEKIT_ROOT}/scripts/run_notebooks.sh" "$outdir" "$nb"; then
    status="FAILED (run or check)"
  elif ! python3 scripts/notebook_outputs.py stamp --executed "$executed" --snapshot "$snapshot" \
      --wall-seconds "$((SECONDS - t0))" --go "$go_version" --models "$record" "$nb"; then
    status="FAILED (not written)"
  fi
  [ ! -f "$record" ] || records+=("$record")
  dt=$((SECONDS - t0))
  summary+=("$(printf '%6ss  %-22s %s' "$dt" "$status" "$nb")")
  [ "$status" = refreshed ] || failed+=("$nb")
done

echo
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1 || true)"
scratch_note=""
[ "$from_scratch" = 0 ] || scratch_note=", from an empty model cache"
echo "refresh_notebooks.sh: summary (wall time per notebook; full mode${scratch_note}, ${go_version}, ${cpu:-unknown CPU}):"
printf '  %s\n' "${summary[@]}"
echo "  total $((SECONDS - t_all))s"
if [ "$from_scratch" = 1 ]; then
  if [ "${#records[@]}" = 0 ]; then
    echo "refresh_notebooks.sh: no model records written; nothing moved from ${scratch_cache}"
  elif ! move_trained "${records[@]}"; then
    move_failed=1
  fi
fi
if [ "${#failed[@]}" -gt 0 ]; then
  echo "refresh_notebooks.sh: ${#failed[@]} notebook(s) not refreshed (committed copies unchanged): ${failed[*]}" >&2
  echo "  their executed copies and logs: ${outdir}" >&2
  exit 1
fi
[ "$move_failed" = 0 ] || exit 1
echo "refresh_notebooks.sh: review with 'git diff --stat notebooks/' and commit."
