#!/usr/bin/env bash
# End-to-end test of a notebook in a real browser (a phase of scripts/test.sh):
#
#   tests/browser/run.sh
#
# starts Jupyter Notebook with scripts/notebook.sh (the README's command) on a free port
# of 127.0.0.1 with a token of its own, in quick mode (VAEKIT_QUICK=1, which the kernel
# inherits) and with an empty model cache (VAEKIT_MODELS), and serves a copy of
# notebooks/03_manifold.ipynb. notebook_test.mjs then drives headless Chromium (Debian's,
# through playwright-core) over it: runs every cell, drags a slider of the live explorer,
# presses Done, edits the training cell's %% line and runs it twice; see that file for
# what it checks. Widgets are live: VAEKIT_NO_WIDGETS must not be set.
#
# Everything it started is stopped when it exits: the server and the test's node process
# (each in a session of its own); the kernel, which Jupyter starts in its own session, by
# the server's shutdown on SIGTERM; Chromium, which Playwright starts detached, by the
# test's browser.close() and, failing that, by its fresh profile directory. Logs, the browser console and a screenshot on failure go to
# $VAEKIT_OUT/browser-test.
#
#   VAEKIT_CHROMIUM           the browser (default /usr/bin/chromium)
#   VAEKIT_BROWSER_TIMEOUT    seconds allowed to the browser session (default 240)
# shellcheck disable=SC2317  # (cleanup and its helpers run from the EXIT trap)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/env.sh
source "${here}/../../scripts/env.sh"
cd "$VAEKIT_ROOT"

die() { echo "browser test: $*" >&2; exit 1; }
chromium="${VAEKIT_CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || die "no browser at ${chromium}: run scripts/setup.sh (Debian package chromium), or set VAEKIT_CHROMIUM"
command -v node >/dev/null 2>&1 || die "'node' not found: run scripts/setup.sh"
for tool in setsid ps; do
  command -v "$tool" >/dev/null 2>&1 || die "'${tool}' not found (Debian: apt-get install util-linux procps)"
done
[ -f "${here}/node_modules/playwright-core/package.json" ] || die "playwright-core is not installed in ${here}/node_modules: run scripts/setup.sh"
[ "${VAEKIT_NO_WIDGETS:-0}" != 1 ] || die "VAEKIT_NO_WIDGETS=1 is set, but this test needs the explorer's live widgets"

artifacts="${VAEKIT_OUT}/browser-test"
rm -rf "$artifacts"
mkdir -p "$artifacts"
artifacts="$(cd "$artifacts" && pwd)"
scratch=""
nbdir=""
server_sid=""
node_sid=""

# stop_session SID: stops every process of the session SID (the server and the node test
# were started with setsid here, so each session holds what they ran in it, not the
# kernel or Chromium, which start sessions of their own), by process id: SIGTERM, then
# SIGKILL to those still running after 10 s.
session_pids() { ps -eo pid=,sid= | awk -v s="$1" '$2 == s {print $1}'; }
stop_session() {
  local sid="$1" pids
  mapfile -t pids < <(session_pids "$sid")
  [ "${#pids[@]}" != 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 50); do
    [ -n "$(session_pids "$sid")" ] || return 0
    sleep 0.2
  done
  mapfile -t pids < <(session_pids "$sid")
  echo "browser test: still running after SIGTERM, killing: $(ps -o pid=,args= -p "$(IFS=,; echo "${pids[*]}")" 2>/dev/null | cut -c1-120 | tr '\n' ';')" >&2
  kill -KILL "${pids[@]}" 2>/dev/null || true
}
cleanup() {
  local status=$?
  [ -z "$node_sid" ] || stop_session "$node_sid"
  # SIGTERM to the server first: it shuts its kernels down (and GoNB its programs), then
  # whatever is left of its session.
  if [ -n "$server_sid" ]; then
    kill -TERM "$server_sid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$server_sid" 2>/dev/null || break
      sleep 0.2
    done
    stop_session "$server_sid"
  fi
  # A Chromium that outlived the test (its own session, so not in node's) is found by
  # its profile directory, which is this run's.
  [ -z "$scratch" ] || pkill -KILL -f -- "--user-data-dir=${scratch}/profile" 2>/dev/null || true
  [ -z "$scratch" ] || rm -rf "$scratch"
  [ -z "$nbdir" ] || rm -rf "$nbdir"
  rmdir "${VAEKIT_ROOT}/.cache" 2>/dev/null || true # (only if empty)
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Scratch: the server's runtime and config directories, the browser's profile, the
# model cache. The notebook's copy lives under the repository, since its first cell
# finds the repository from the notebook's directory (the first parent with a go.mod).
scratch="$(mktemp -d)"
mkdir -p "${VAEKIT_ROOT}/.cache"
nbdir="$(mktemp -d "${VAEKIT_ROOT}/.cache/browser-test.XXXXXX")"

cp notebooks/03_manifold.ipynb "${nbdir}/"
mkdir -p "${scratch}/runtime" "${scratch}/config" "${scratch}/models" "${scratch}/profile"
token="$(node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("hex"))')"
port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { process.stdout.write(String(s.address().port)); s.close(); })')"

echo "browser test: Jupyter Notebook on 127.0.0.1:${port}, serving ${nbdir}"
# (The token goes in the environment, which other users cannot read, not on the command line.)
JUPYTER_TOKEN="$token" JUPYTER_RUNTIME_DIR="${scratch}/runtime" JUPYTER_CONFIG_DIR="${scratch}/config" \
  VAEKIT_QUICK=1 VAEKIT_MODELS="${scratch}/models" \
  setsid "${VAEKIT_ROOT}/scripts/notebook.sh" --no-browser --ip=127.0.0.1 --port="$port" --port-retries=0 \
  --notebook-dir="$nbdir" >"${artifacts}/server.log" 2>&1 &
server_sid=$!
for _ in $(seq 150); do
  [ ! -f "${scratch}/runtime/nbserver-${server_sid}.json" ] || break
  kill -0 "$server_sid" 2>/dev/null || { cat "${artifacts}/server.log" >&2; die "the notebook server exited"; }
  sleep 0.2
done
[ -f "${scratch}/runtime/nbserver-${server_sid}.json" ] || { cat "${artifacts}/server.log" >&2; die "the notebook server did not start within 30 s"; }

status=0
NOTEBOOK_URL="http://127.0.0.1:${port}/notebooks/03_manifold.ipynb?token=${token}" \
  CHROMIUM="$chromium" PROFILE_DIR="${scratch}/profile" MODELS_DIR="${scratch}/models" ARTIFACTS="$artifacts" \
  TIMEOUT_S="${VAEKIT_BROWSER_TIMEOUT:-240}" \
  setsid node "${here}/notebook_test.mjs" &
node_sid=$!
wait "$node_sid" || status=$?
[ "$status" = 0 ] || echo "browser test: FAILED; logs in ${artifacts}" >&2
exit "$status"
