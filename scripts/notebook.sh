#!/usr/bin/env bash
# Opens the notebooks in Jupyter Notebook (the classic server scripts/setup.sh installs),
# as a user or as root:
#
#   scripts/notebook.sh [OPTION...]
#
# runs `jupyter notebook` on notebooks/ (pick the "Go (gonb)" kernel). As root it adds
# --allow-root, without which Jupyter refuses to start. Every OPTION goes to `jupyter
# notebook` as it is, e.g. --no-browser --port=8890; a --notebook-dir=DIR among them
# replaces notebooks/.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$VAEKIT_ROOT"

command -v jupyter >/dev/null 2>&1 || { echo "notebook.sh: 'jupyter' not found: run scripts/setup.sh" >&2; exit 1; }
# (Output captured first: `jupyter ... | grep -q` can fail with SIGPIPE under pipefail.)
kernels="$(jupyter kernelspec list 2>/dev/null || true)"
if ! grep -qE '^\s*gonb\s' <<<"$kernels"; then
  echo "notebook.sh: the Jupyter kernel 'gonb' is not installed: run scripts/setup.sh" >&2
  exit 1
fi

opts=()
[ "$(id -u)" != 0 ] || opts+=(--allow-root)
# (Jupyter refuses a repeated option.)
case " $* " in
  *" --notebook-dir"* | *" --NotebookApp.notebook_dir"*) ;;
  *) opts+=(--notebook-dir="${VAEKIT_ROOT}/notebooks") ;;
esac
exec jupyter notebook "${opts[@]}" "$@"
