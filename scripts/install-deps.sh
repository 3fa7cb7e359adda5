#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what daemonkit needs to build and test on Debian 12, if missing.
# Idempotent and quiet when everything is already there.
set -euo pipefail

packages=(
  cmake ninja-build g++ make pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev
  libtomlplusplus-dev  # the services file (daemonkit.toml)
  scdoc groff-base  # the man pages (cmake/man.cmake) and their check (scripts/check-man.sh)
  clang-14 libclang-rt-14-dev clang-tidy-14 clang-format-14 cppcheck doxygen
  procps util-linux
  # systemd-analyze and systemd's own loader read the units `daemonkit unit`
  # prints; yamllint checks examples/deploy's Kubernetes manifest.
  systemd yamllint
  bash-completion zsh fish  # the shells whose completion tests/cli/cli_completion_test.cpp drives
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
