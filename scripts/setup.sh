#!/usr/bin/env bash
# Installs everything vaekit's tests and notebooks need. Idempotent: a second run
# checks, finds everything in place, and changes nothing (a few seconds).
#
#   1. Debian packages: Jupyter (nbconvert, nbclient, classic notebook), the
#      ipykernel, Fashion-MNIST (dataset-fashion-mnist), shellcheck and chromium
#      (for test.sh), and nodejs + npm when there is no `npm` command.
#      `apt-get update` runs only when something is missing. Needs root, or sudo
#      without a password.
#   2. Go: when no go >= 1.21 is found, the toolchain named in go.mod is fetched
#      from the Go module proxy (scripts/bootstrap_go.py). Otherwise `go version`
#      under GOTOOLCHAIN=auto makes the go command download go.mod's toolchain
#      (into the module cache) the first time.
#   3. GoNB (the Go Jupyter kernel), goimports and gopls (optional), built
#      through a small "tools" module in ~/.cache/vaekit (the proxy serves exact
#      versions only, so `go install pkg@version` does not work there).
#   4. Registers the "gonb" kernel and writes the environment it needs into
#      its kernel.json (GOTOOLCHAIN, GOEXPERIMENT, GOMLX_NO_AUTO_INSTALL, PATH, HOME).
#      PATH starts with go.mod's toolchain, so the kernel runs it directly (a
#      local go that switches to it prints "switching to ..." on stderr).
#   5. `go mod download`: the repository's modules (with the offline MNIST copy and
#      go-xla's source, which tests read), and docker/install-pjrt's (a test vets it).
#   6. The browser test's Playwright library: `npm ci` in tests/browser (the
#      npm registry; never a browser download), skipped when its node_modules was
#      installed from the same package-lock.json. Only test.sh's browser phase
#      needs it, so a failure here is a warning.
#
# Versions and package lists come from scripts/versions.env (shared with docker/).
#
# Environment: VAEKIT_SIMD=0 (no GOEXPERIMENT=simd), VAEKIT_SKIP_APT=1 (skip step 1),
# VAEKIT_NET_TIMEOUT (seconds allowed to each network step; default 1200).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Every version and package list: GONB_VERSION, X_TOOLS_VERSION (goimports), GOPLS_VERSION,
# GO_VERSION, APT_PACKAGES, APT_TEST_PACKAGES, ... (docker/Dockerfile reads the same file).
# shellcheck source=scripts/versions.env
source "${ROOT}/scripts/versions.env"
read -r -a APT_PACKAGES <<<"${APT_PACKAGES} ${APT_TEST_PACKAGES}"
NET_TIMEOUT="${VAEKIT_NET_TIMEOUT:-1200}"

CACHE_DIR="${XDG_CACHE_HOME:-${HOME}/.cache}/vaekit"
export DEBIAN_FRONTEND=noninteractive

step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\nsetup.sh: ERROR: %s\n' "$*" >&2; exit 1; }
trap 'printf "setup.sh: ERROR: command failed (exit %s) at line %s: %s\n" "$?" "$LINENO" "$BASH_COMMAND" >&2' ERR

T0=$SECONDS

# ---------------------------------------------------------------- 1. apt
step "Debian packages"
if [ "${VAEKIT_SKIP_APT:-0}" = 1 ]; then
  info "skipped (VAEKIT_SKIP_APT=1)"
elif ! command -v dpkg-query >/dev/null 2>&1; then
  info "not a Debian/Ubuntu system: install Jupyter (nbconvert, nbclient, ipykernel) yourself; continuing"
else
  missing=()
  wanted=("${APT_PACKAGES[@]}")
  if ! command -v npm >/dev/null 2>&1; then
    read -r -a node_packages <<<"$APT_NODE_PACKAGES"
    wanted+=("${node_packages[@]}")
  fi
  for p in "${wanted[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
      missing+=("$p")
    fi
  done
  if [ "${#missing[@]}" = 0 ]; then
    info "all present: ${wanted[*]}"
  else
    info "missing: ${missing[*]}"
    SUDO=()
    if [ "$(id -u)" != 0 ]; then
      command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install as root: apt-get install ${missing[*]}"
      sudo -n true 2>/dev/null || die "sudo needs a password here: run 'sudo apt-get install ${missing[*]}' yourself, then re-run this script"
      SUDO=(sudo -n)
    fi
    APT_OPTS=(-y -q -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300 -o Acquire::http::Timeout=60 -o Acquire::Retries=3)
    info "apt-get update"
    timeout "$NET_TIMEOUT" "${SUDO[@]}" apt-get "${APT_OPTS[@]}" update \
      || die "apt-get update failed or timed out (${NET_TIMEOUT}s)"
    info "apt-get install ${missing[*]}"
    timeout "$NET_TIMEOUT" "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install "${missing[@]}" \
      || die "apt-get install failed or timed out (${NET_TIMEOUT}s): ${missing[*]}"
  fi
fi
command -v jupyter >/dev/null 2>&1 || die "the 'jupyter' command is missing (Debian: apt-get install jupyter-nbconvert jupyter-client)"
command -v python3 >/dev/null 2>&1 || die "python3 is missing"

# ---------------------------------------------------------------- 2. Go
step "Go toolchain"
# The go.mod toolchain: a "toolchain" line if there is one, else the "go" line.
want_go="$(awk '$1=="toolchain"{t=$2} $1=="go"{g="go"$2} END{print (t!=""?t:g)}' "${ROOT}/go.mod")"
case "$want_go" in go1.[0-9]*.*) ;; go1.*) want_go="${want_go}.0" ;; esac
[ "$want_go" = "$GO_VERSION" ] \
  || die "go.mod wants ${want_go} but scripts/versions.env says GO_VERSION=${GO_VERSION}: make them agree (the Docker image installs GO_VERSION)"
go_usable() { # go >= 1.21 can switch toolchains by itself.
  command -v go >/dev/null 2>&1 || return 1
  local v; v="$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null)" || return 1
  v="${v#go}"; local major="${v%%.*}" rest="${v#*.}"; local minor="${rest%%[!0-9]*}"
  [ "$major" -gt 1 ] || { [ "$major" = 1 ] && [ "${minor:-0}" -ge 21 ]; }
}
boot_dir="${CACHE_DIR}/go"
PATH="${boot_dir}/bin:${PATH}:/usr/local/go/bin"
if ! go_usable; then
  info "no go >= 1.21 found: fetching ${want_go} from the Go module proxy into ${boot_dir}"
  timeout "$NET_TIMEOUT" python3 "${ROOT}/scripts/bootstrap_go.py" "$want_go" "$boot_dir" \
    || die "could not download ${want_go} (install Go >= 1.21 from https://go.dev/dl/ and re-run)"
fi
cd "$ROOT"
info "go.mod wants ${want_go}; local go is $(GOTOOLCHAIN=local go env GOVERSION) at $(command -v go)"
gotc="${GOTOOLCHAIN:-local}"; [ "$gotc" != local ] || gotc=auto   # as scripts/env.sh does
info "running 'go version' with GOTOOLCHAIN=${gotc}: the go command downloads ${want_go} (about 70 MB) into its module cache the first time"
go_ver="$(GOTOOLCHAIN="$gotc" timeout "$NET_TIMEOUT" go version)" \
  || die "'go version' failed: could the toolchain ${want_go} be downloaded from the module proxy (GOPROXY=$(go env GOPROXY))?"
# shellcheck source=scripts/env.sh
source "${ROOT}/scripts/env.sh" || die "scripts/env.sh failed"
info "$go_ver (GOEXPERIMENT=${GOEXPERIMENT:-none}, GOMLX_NO_AUTO_INSTALL=${GOMLX_NO_AUTO_INSTALL})"

# ---------------------------------------------------------------- 3. Go tools
step "Go tools (GoNB ${GONB_VERSION}, goimports ${X_TOOLS_VERSION}, gopls ${GOPLS_VERSION}) in ${VAEKIT_GOBIN}"
# has_version BINARY MODULE VERSION: BINARY in VAEKIT_GOBIN was built from MODULE@VERSION.
has_version() {
  [ -x "${VAEKIT_GOBIN}/$1" ] || return 1
  go version -m "${VAEKIT_GOBIN}/$1" 2>/dev/null \
    | awk -v m="$2" -v v="$3" '($1=="mod"||$1=="dep") && $2==m && $3==v {ok=1} END{exit !ok}'
}
# install_tools DIR TOOL@VERSION...: go get -tool into a throwaway module, then go install tool.
# (Explicit "|| exit 1": set -e does not apply inside a function called from "if"/"||".)
install_tools() {
  local dir="$1"; shift
  rm -rf "$dir" && mkdir -p "$dir" || return 1
  (
    cd "$dir" || exit 1
    # The tools don't need the SIMD experiment, and an older local go may not know it.
    unset GOEXPERIMENT
    go mod init tools >/dev/null 2>&1 || exit 1
    for t in "$@"; do
      info "go get -tool $t"
      timeout "$NET_TIMEOUT" go get -tool "$t" || exit 1
    done
    info "go install tool (into ${VAEKIT_GOBIN})"
    timeout "$NET_TIMEOUT" go install tool || exit 1
  )
}
mkdir -p "$CACHE_DIR"
if has_version gonb github.com/janpfeifer/gonb "$GONB_VERSION" \
   && has_version goimports golang.org/x/tools "$X_TOOLS_VERSION"; then
  info "gonb ${GONB_VERSION} and goimports ${X_TOOLS_VERSION} already installed"
else
  install_tools "${CACHE_DIR}/tools" "github.com/janpfeifer/gonb@${GONB_VERSION}" "golang.org/x/tools/cmd/goimports@${X_TOOLS_VERSION}" \
    || die "could not build gonb/goimports (see above)"
  has_version gonb github.com/janpfeifer/gonb "$GONB_VERSION" || die "gonb ${GONB_VERSION} not found in ${VAEKIT_GOBIN} after install"
  has_version goimports golang.org/x/tools "$X_TOOLS_VERSION" || die "goimports ${X_TOOLS_VERSION} not found in ${VAEKIT_GOBIN} after install"
fi
# gopls (own module: it pins its own golang.org/x/tools) only powers GoNB's
# autocomplete/hover; the notebooks run without it.
have_gopls=1
if has_version gopls golang.org/x/tools/gopls "$GOPLS_VERSION"; then
  info "gopls ${GOPLS_VERSION} already installed"
elif install_tools "${CACHE_DIR}/tools-gopls" "golang.org/x/tools/gopls@${GOPLS_VERSION}" \
     && has_version gopls golang.org/x/tools/gopls "$GOPLS_VERSION"; then
  info "gopls ${GOPLS_VERSION} installed"
else
  have_gopls=0
  info "WARNING: gopls ${GOPLS_VERSION} could not be installed; continuing without it (no autocomplete in GoNB)"
fi

# ---------------------------------------------------------------- 4. kernel
step "Jupyter kernel 'gonb'"
JUPYTER_DATA_DIR="$(jupyter --data-dir)" || die "'jupyter --data-dir' failed"
export JUPYTER_DATA_DIR
kernel_dir="${JUPYTER_DATA_DIR}/kernels/gonb"
kernel_json="${kernel_dir}/kernel.json"
gonb_bin="${VAEKIT_GOBIN}/gonb"
# Registered already if kernel.json runs our gonb, or gonb's own copy of it (gonb --install
# copies the binary into the kernel directory when it lives under /tmp or ~/.cache).
kernel_argv0=""
if [ -f "$kernel_json" ]; then
  kernel_argv0="$(python3 -c '
import json, sys
argv = json.load(open(sys.argv[1])).get("argv", [])
print(argv[0] if argv[1:3] == ["--kernel", "{connection_file}"] else "")' "$kernel_json" 2>/dev/null || true)"
fi
if [ "$kernel_argv0" = "$gonb_bin" ] \
   || { [ "$kernel_argv0" = "${kernel_dir}/gonb" ] && cmp -s "$kernel_argv0" "$gonb_bin"; }; then
  info "already registered: ${kernel_json}"
else
  info "gonb --install (writes ${kernel_json})"
  deps=()
  [ "$have_gopls" = 1 ] || deps=(--force_deps)
  timeout 120 "$gonb_bin" --install "${deps[@]}" || die "gonb --install failed"
  [ -f "$kernel_json" ] || die "gonb --install did not write ${kernel_json}"
fi
# gonb --install writes an empty "env"; the kernel (started by Jupyter, maybe from a
# desktop or a shell without our exports) needs these. "${PATH}" is expanded by
# jupyter_client (>= 7) from the environment of whoever starts the kernel. go.mod's
# toolchain comes first: the local go (next) would switch to it on every `go work` or
# `go get` in a cell and say so on stderr, which shows as a red line in the notebook.
go_dir="$(dirname "$(command -v go)")"
toolchain_bin="$(go env GOROOT)/bin"
[ -x "${toolchain_bin}/go" ] || die "no go in ${toolchain_bin} (go env GOROOT of ${want_go})"
k_path="${toolchain_bin}:${go_dir}"
[ "$toolchain_bin" != "$go_dir" ] || k_path="$go_dir"
K_PATH="${k_path}:${VAEKIT_GOBIN}:\${PATH}" python3 - "$kernel_json" <<'EOF'
import json, os, sys
path = sys.argv[1]
spec = json.load(open(path))
env = dict(spec.get("env") or {})
want = {
    "GOTOOLCHAIN": os.environ["GOTOOLCHAIN"],
    "GOMLX_NO_AUTO_INSTALL": os.environ["GOMLX_NO_AUTO_INSTALL"],
    "PATH": os.environ["K_PATH"],
    "HOME": os.environ["HOME"],
}
if os.environ.get("GOEXPERIMENT"):
    want["GOEXPERIMENT"] = os.environ["GOEXPERIMENT"]
elif env.get("GOEXPERIMENT") == "simd":
    del env["GOEXPERIMENT"]  # set by an earlier run, now disabled (VAEKIT_SIMD=0)
env.update(want)
if env != spec.get("env"):
    spec["env"] = env
    with open(path + ".tmp", "w") as f:
        json.dump(spec, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print("    kernel.json env updated:", json.dumps(env, sort_keys=True))
else:
    print("    kernel.json env already up to date")
EOF
kernels="$(jupyter kernelspec list 2>/dev/null || true)"
grep -qE '^\s*gonb\s' <<<"$kernels" || die "jupyter does not list the gonb kernel (JUPYTER_DATA_DIR=${JUPYTER_DATA_DIR})"

# ---------------------------------------------------------------- 5. modules
step "Go modules of ${ROOT} (go mod download)"
timeout "$NET_TIMEOUT" go mod download || die "'go mod download' failed or timed out"
(cd docker/install-pjrt && GOWORK=off timeout "$NET_TIMEOUT" go mod download) \
  || die "'go mod download' in docker/install-pjrt failed or timed out"
info "ok"

# ---------------------------------------------------------------- 6. npm
# Only scripts/test.sh's browser phase needs this: should it fail, setup.sh warns and
# goes on (the notebooks do not need it), and that phase says what is missing.
browser_dir="${ROOT}/tests/browser"
step "Browser test library (npm ci in ${browser_dir})"
# install_browser_test_deps: npm ci, unless node_modules was installed from this very
# package-lock.json (a stamp written after npm ci succeeded says so).
install_browser_test_deps() {
  command -v npm >/dev/null 2>&1 || { info "the 'npm' command is missing (Debian: apt-get install ${APT_NODE_PACKAGES})"; return 1; }
  local node_major lock_sum stamp="${browser_dir}/node_modules/.vaekit-package-lock.sha256"
  node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" \
    || { info "'node' does not run (Debian: apt-get install ${APT_NODE_PACKAGES})"; return 1; }
  [ "$node_major" -ge 18 ] || { info "node $(node --version) is too old: Playwright needs node >= 18"; return 1; }
  lock_sum="$(sha256sum "${browser_dir}/package-lock.json" | cut -d' ' -f1)" || return 1
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ]; then
    info "node_modules already installed from this package-lock.json"
    return 0
  fi
  # playwright-core downloads no browser by itself; the variable makes sure of it.
  (cd "$browser_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout "$NET_TIMEOUT" \
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
    || { info "'npm ci' failed or timed out (is the npm registry $(npm config get registry) reachable?)"; return 1; }
  printf '%s\n' "$lock_sum" >"$stamp" || return 1
  info "installed: $(cd "$browser_dir" && node -p 'const p = require("playwright-core/package.json"); p.name + " " + p.version')"
}
install_browser_test_deps \
  || info "WARNING: the browser test's library is not installed: tests/browser/run.sh (scripts/test.sh's browser phase) will fail until it is"

printf '\nsetup.sh: done in %ss\n' "$((SECONDS - T0))"
