#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's test command: installs what is missing (the build's
# dependencies, and the real servers the `programs` tests drive), builds with
# warnings as errors, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-programs.sh
./scripts/build.sh -DDAEMONKIT_WERROR=ON
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" "$@"
