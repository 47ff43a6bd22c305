#!/usr/bin/env bash
# The project's test command (also what CI runs, through .ci/run):
#
#   1. scripts/setup.sh                 installs what is missing (seconds when nothing is)
#   2. gofmt -l                         every Go file of the module's packages is formatted
#   3. go vet ./...
#   4. go test ./...                    (VAEKIT_TEST_TIMEOUT, default 30m)
#   5. go test -fuzz FuzzParseIDX       the IDX parser's fuzz target, for VAEKIT_FUZZ_TIME
#                                       (default 20s); a crasher is saved under
#                                       vaekit/data/testdata/fuzz/ and fails the phase
#      go test -fuzz FuzzConfigSet      the same for Config.Set (vaekit/testdata/fuzz/)
#      go test -fuzz FuzzSetFlag        and for the command's -set flag (cmd/vaekit/testdata/fuzz/)
#   5a. python3 -m unittest             the notebook scripts' tests (scripts/*_test.py)
#   5b. notebook_outputs.py verify      every notebook under notebooks/ is committed with the
#                                       full-mode outputs of its current code cells (else run
#                                       scripts/refresh_notebooks.sh NOTEBOOK and commit it),
#                                       of models of the library's TrainingFormat (else
#                                       scripts/refresh_notebooks.sh --from-scratch)
#   6. scripts/run_notebooks.sh --quick every notebook, small training budgets,
#                                       into $VAEKIT_OUT/test-notebooks
#   7. tests/browser/run.sh             03_manifold in headless Chromium through Jupyter
#                                       Notebook: runs its cells (quick mode), drags the
#                                       live explorer's slider, presses Done, edits a %%
#                                       line and re-runs it (trained, then from the cache);
#                                       fails on any cell error, stderr or page error
#
# Phases 2-7 all run even when one fails; the summary lists each with its wall time,
# and the exit status is non-zero if any failed. A failing setup stops at once.
# VAEKIT_SKIP_NOTEBOOKS=1 skips phase 6, VAEKIT_SKIP_BROWSER=1 phase 7.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
T_START=$SECONDS
results=()
failed=0

# phase NAME COMMAND...: runs a phase, records its status and wall time.
phase() {
  local name="$1"; shift
  printf '\n########## %s\n' "$name"
  local t0=$SECONDS status=ok
  "$@" || status=FAILED
  results+=("$(printf '%-10s %-7s %5ss' "$name" "$status" "$((SECONDS - t0))")")
  [ "$status" = ok ] || failed=1
  [ "$status" = ok ]
}

summary() {
  printf '\n########## summary (total %ss)\n' "$((SECONDS - T_START))"
  printf '  %s\n' "${results[@]}"
  if [ "$failed" = 0 ]; then echo "test.sh: all passed"; else echo "test.sh: FAILED" >&2; fi
}

if ! phase setup "${ROOT}/scripts/setup.sh"; then
  summary
  exit 1
fi

# shellcheck source=scripts/env.sh
source "${ROOT}/scripts/env.sh"

# shellcheck disable=SC2317  # (called through phase)
check_gofmt() {
  local files unformatted gofmt_bin list tmpl=""
  # The Go files of the module's packages (test files and files excluded by build tags
  # too), not testdata or ignored directories.
  for list in GoFiles CgoFiles TestGoFiles XTestGoFiles IgnoredGoFiles; do
    tmpl+="{{range .${list}}}{{\$.Dir}}/{{.}}{{\"\\n\"}}{{end}}"
  done
  files="$(go list -e -f "$tmpl" ./...)" || return 1
  if [ -z "$files" ]; then
    echo "no Go files"
    return 0
  fi
  # The gofmt of the toolchain go.mod selected (the one on PATH may be older).
  gofmt_bin="$(go env GOROOT)/bin/gofmt"
  unformatted="$(printf '%s\n' "$files" | tr '\n' '\0' | xargs -0 "$gofmt_bin" -l)" || return 1
  if [ -n "$unformatted" ]; then
    echo "These files need gofmt (run: gofmt -w FILE):"
    printf '%s\n' "$unformatted" | awk '{print "  " $0}'
    return 1
  fi
  echo "$(printf '%s\n' "$files" | wc -l) files formatted"
}

phase gofmt check_gofmt || true
phase vet go vet ./... || true
phase test go test -timeout "${VAEKIT_TEST_TIMEOUT:-30m}" ./... || true
phase fuzz go test ./vaekit/data -run '^$' -fuzz '^FuzzParseIDX$' -fuzztime "${VAEKIT_FUZZ_TIME:-20s}" || true
phase fuzz-set go test ./vaekit -run '^$' -fuzz '^FuzzConfigSet$' -fuzztime "${VAEKIT_FUZZ_TIME:-20s}" || true
phase fuzz-flag go test ./cmd/vaekit -run '^$' -fuzz '^FuzzSetFlag$' -fuzztime "${VAEKIT_FUZZ_TIME:-20s}" || true
phase scripts python3 -m unittest discover -s "${ROOT}/scripts" -p '*_test.py' || true
phase outputs python3 "${ROOT}/scripts/notebook_outputs.py" verify || true
if [ "${VAEKIT_SKIP_NOTEBOOKS:-0}" = 1 ]; then
  results+=("$(printf '%-10s %-7s' notebooks skipped)")
else
  phase notebooks "${ROOT}/scripts/run_notebooks.sh" --quick "${VAEKIT_OUT}/test-notebooks" || true
fi
if [ "${VAEKIT_SKIP_BROWSER:-0}" = 1 ]; then
  results+=("$(printf '%-10s %-7s' browser skipped)")
else
  phase browser "${ROOT}/tests/browser/run.sh" || true
fi

summary
exit "$failed"
