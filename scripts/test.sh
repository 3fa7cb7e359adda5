#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with warnings as
# errors, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh -DDAEMONKIT_WERROR=ON
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" "$@"
