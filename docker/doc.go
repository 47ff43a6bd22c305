// Package docker holds the files of vaekit's Docker image: Dockerfile, the scripts its RUN
// steps run, install-pjrt (go-xla's plugin installer, a module of its own) and smoke (the
// image's end-to-end check). Its test checks the Dockerfile against go.mod,
// scripts/versions.env and the repository, and runs shellcheck on every script.
package docker
