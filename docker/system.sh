#!/usr/bin/env bash
# First step of docker/Dockerfile, as root:
#
#   system.sh DIR      DIR holds versions.env and bootstrap_go.py (copied from scripts/)
#
# installs the Debian packages scripts/setup.sh installs (APT_PACKAGES, APT_TEST_PACKAGES,
# APT_NODE_PACKAGES: so setup.sh, test.sh and main.sh run in the container as they do on a
# machine), a C compiler for cgo (go-xla's PJRT binding), python3-venv and tini; Go
# GO_VERSION into /usr/local/go
# (scripts/bootstrap_go.py: from the Go module proxy, checked against the checksum
# database); JupyterLab JUPYTERLAB_VERSION into the virtual environment /opt/jupyterlab;
# and the user $NB_USER (uid $NB_UID) with the directory the repository goes in.
set -euo pipefail

dir="$1"
: "${NB_USER:?}" "${NB_UID:?}"
# shellcheck source=scripts/versions.env
source "${dir}/versions.env"

read -r -a packages <<<"${APT_PACKAGES} ${APT_TEST_PACKAGES} ${APT_NODE_PACKAGES}"
apt-get update -q
apt-get install -y -q "${packages[@]}"
apt-get install -y -q --no-install-recommends gcc libc6-dev python3-venv tini git less procps
rm -rf /var/lib/apt/lists/*

python3 "${dir}/bootstrap_go.py" "$GO_VERSION" /usr/local/go
/usr/local/go/bin/go version

python3 -m venv /opt/jupyterlab
/opt/jupyterlab/bin/pip install --no-cache-dir --disable-pip-version-check "jupyterlab==${JUPYTERLAB_VERSION}"
/opt/jupyterlab/bin/jupyter lab --version

useradd --create-home --uid "$NB_UID" --shell /bin/bash "$NB_USER"
# The repository's directory (the Dockerfile's WORKDIR), the user's: tests and notebooks
# write there.
install -d -o "$NB_USER" -g "$NB_USER" "/home/${NB_USER}/vaekit"
