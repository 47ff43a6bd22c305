#!/usr/bin/env bash
# Executes the notebooks headless through the GoNB kernel and renders them to HTML.
#
#   scripts/run_notebooks.sh [--quick] [OUTDIR] [NOTEBOOK.ipynb...]
#
# Runs every notebook under notebooks/ (recursively, sorted; .ipynb_checkpoints
# skipped), or only the ones given, with `jupyter nbconvert --execute`. For
# notebooks/a/b.ipynb it writes OUTDIR/a/b.ipynb (executed), OUTDIR/a/b.html,
# OUTDIR/a/b.log (nbconvert and kernel log) and OUTDIR/a/b.models.jsonl: the run's model
# record, which the kernel's cells append one JSON line to for every model or judge
# they obtain (VAEKIT_MODEL_RECORD names it for them; refresh_notebooks.sh stamps the
# models from it). OUTDIR defaults to $VAEKIT_OUT/notebooks.
# The outputs committed with a notebook are cleared before it runs, and the executed
# copy loses the notebook's stamp (metadata.vaekit, which describes the committed run).
# Each executed notebook is checked by scripts/check_notebook.py (no error outputs, no
# stderr, marked cells did show their outputs and pictures, training summaries and
# `check:` claims hold, no machine paths or IP addresses shown, SVG images labelled with
# their type; --quick adds quick mode's ranges).
# Exits non-zero if any notebook failed; the others still run.
# scripts/refresh_notebooks.sh runs it in full mode to refresh the committed outputs.
#
#   --quick                  exports VAEKIT_QUICK=1: notebooks shrink their training budgets.
#   VAEKIT_CELL_TIMEOUT      seconds allowed to one cell (default 1200 quick, 14400 full).
#   VAEKIT_NOTEBOOK_TIMEOUT  seconds allowed to one notebook (default 3600 quick, 0 = none full).
#   VAEKIT_STOP_ON_ERROR=1   stop a notebook at its first failing cell. By default the
#                            remaining cells still run (nbconvert --allow-errors) so the
#                            executed notebook and its HTML are saved with the error in
#                            place (GoNB shows compile errors only as HTML output); the
#                            check then fails the run and prints the errors.
#
# The kernel starts in the notebook's directory, so GONB_DIR is that directory; the
# notebooks' first cell finds the repository root from there (the first parent
# directory with a go.mod) and puts it in the notebook's go.work.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# Paths given are taken from the caller's directory; notebooks inside the repository
# become relative to its root, where the rest runs.
quick=0
outdir=""
notebooks=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run_notebooks.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    *.ipynb)
      rel="$(realpath -m --relative-to="$VAEKIT_ROOT" "$arg")"
      case "$rel" in ../*) notebooks+=("$(realpath -m "$arg")") ;; *) notebooks+=("$rel") ;; esac ;;
    *) [ -z "$outdir" ] || { echo "run_notebooks.sh: more than one OUTDIR given" >&2; exit 2; }
       outdir="$(realpath -m "$arg")" ;;
  esac
done
cd "$VAEKIT_ROOT"
[ "${VAEKIT_QUICK:-0}" = 1 ] && quick=1
if [ "$quick" = 1 ]; then
  export VAEKIT_QUICK=1
  cell_timeout="${VAEKIT_CELL_TIMEOUT:-1200}"
  nb_timeout="${VAEKIT_NOTEBOOK_TIMEOUT:-3600}"
else
  cell_timeout="${VAEKIT_CELL_TIMEOUT:-14400}"
  nb_timeout="${VAEKIT_NOTEBOOK_TIMEOUT:-0}"
fi
# Headless, no browser answers GoNB's widgets: the latent explorer skips its wait for one
# and draws a static frame (vaekit/plot/explorer.go).
export VAEKIT_NO_WIDGETS="${VAEKIT_NO_WIDGETS:-1}"
outdir="${outdir:-${VAEKIT_OUT}/notebooks}"
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"

command -v jupyter >/dev/null 2>&1 || { echo "run_notebooks.sh: 'jupyter' not found: run scripts/setup.sh" >&2; exit 1; }
# (Output captured first: `jupyter ... | grep -q` can fail with SIGPIPE under pipefail.)
kernels="$(jupyter kernelspec list 2>/dev/null || true)"
if ! grep -qE '^\s*gonb\s' <<<"$kernels"; then
  echo "run_notebooks.sh: the Jupyter kernel 'gonb' is not installed: run scripts/setup.sh" >&2
  exit 1
fi

if [ "${#notebooks[@]}" = 0 ]; then
  mapfile -t notebooks < <(find notebooks -name .ipynb_checkpoints -prune -o -type f -name '*.ipynb' -print | LC_ALL=C sort)
fi
if [ "${#notebooks[@]}" = 0 ]; then
  echo "run_notebooks.sh: no notebooks found under notebooks/" >&2
  exit 1
fi

check_mode=()
[ "$quick" = 1 ] && check_mode=(--quick)
extra=(--allow-errors)
[ "${VAEKIT_STOP_ON_ERROR:-0}" = 1 ] && extra=()

echo "run_notebooks.sh: ${#notebooks[@]} notebook(s), mode $([ "$quick" = 1 ] && echo quick || echo full)," \
  "cell timeout ${cell_timeout}s, output in ${outdir}"
echo "  go $(go env GOVERSION), GOEXPERIMENT=${GOEXPERIMENT:-none}, GOMLX_BACKEND=${GOMLX_BACKEND:-unset}"

# Kills what is left of a kernel started by an nbconvert that was killed by the
# timeout (Jupyter starts kernels in their own session, so they survive it). The
# kernel's command line holds its connection file, which nbclient creates in
# $TMPDIR: each nbconvert gets a private TMPDIR.
kill_leftover_kernel() {
  local pids pid
  pids="$(pgrep -f -- "--kernel $1/" || true)"
  for pid in $pids; do
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
  done
}

failed=()
summary=()
t_all=$SECONDS
for nb in "${notebooks[@]}"; do
  [ -f "$nb" ] || { echo "run_notebooks.sh: no such notebook: $nb" >&2; failed+=("$nb"); continue; }
  rel="${nb#./}"; rel="${rel#notebooks/}"
  sub="$(dirname "$rel")"
  name="$(basename "$rel" .ipynb)"
  dest="${outdir}"
  [ "$sub" = . ] || dest="${outdir}/${sub}"
  mkdir -p "$dest"
  log="${dest}/${name}.log"
  # (Absolute: the kernel runs in the notebook's directory. Removed first: the helper
  # appends, and a record must list this run's models only.)
  record="${dest}/${name}.models.jsonl"
  rm -f "${dest}/${name}.ipynb" "${dest}/${name}.html" "$record"
  echo
  echo "=== ${nb} -> ${dest}/${name}.{ipynb,html}"
  t0=$SECONDS
  run_tmp="$(mktemp -d "${TMPDIR:-/tmp}/vaekit-nb.XXXXXX")"
  status=ok
  limit=()
  [ "$nb_timeout" -gt 0 ] && limit=(timeout --kill-after=30 "$nb_timeout")
  if ! TMPDIR="$run_tmp" VAEKIT_MODEL_RECORD="$record" "${limit[@]}" jupyter nbconvert --to notebook --execute \
      --ExecutePreprocessor.kernel_name=gonb \
      --ExecutePreprocessor.timeout="$cell_timeout" \
      --ExecutePreprocessor.startup_timeout=300 \
      --ClearOutputPreprocessor.enabled=True \
      "${extra[@]}" --output-dir="$dest" --output="$name" "$nb" </dev/null >"$log" 2>&1; then
    status="FAILED (execution)"
    kill_leftover_kernel "$run_tmp"
    echo "--- ${log} (without the kernel's info log lines), last 80 lines:"
    grep -vE '^I[0-9]{4} ' "$log" | tail -n 80 || true
  fi
  rm -rf "$run_tmp"
  if [ -f "${dest}/${name}.ipynb" ]; then
    if ! python3 scripts/notebook_outputs.py unstamp "${dest}/${name}.ipynb"; then
      status="FAILED (unstamp)"
    fi
    if ! python3 scripts/check_notebook.py "${check_mode[@]}" "${dest}/${name}.ipynb"; then
      status="FAILED (check)"
    fi
    if ! jupyter nbconvert --to html --output-dir="$dest" --output="$name" "${dest}/${name}.ipynb" </dev/null >>"$log" 2>&1; then
      echo "run_notebooks.sh: HTML conversion failed, see ${log}"
      status="FAILED (html)"
    fi
  fi
  dt=$((SECONDS - t0))
  echo "=== ${nb}: ${status} in ${dt}s"
  summary+=("$(printf '%6ss  %-20s %s' "$dt" "$status" "$nb")")
  [ "$status" = ok ] || failed+=("$nb")
done

echo
echo "run_notebooks.sh: summary (wall time per notebook), output in ${outdir}:"
printf '  %s\n' "${summary[@]}"
echo "  total $((SECONDS - t_all))s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "run_notebooks.sh: ${#failed[@]} notebook(s) failed: ${failed[*]}" >&2
  exit 1
fi
