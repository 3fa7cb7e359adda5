#!/usr/bin/env bash
# Builds everything with clang under AddressSanitizer + UndefinedBehaviorSanitizer
# into build-asan/ and runs the whole ctest suite there. Any ASan report, any
# leak (LeakSanitizer, detect_leaks=1) and any UBSan report fails the test that
# caused it (-fno-sanitize-recover=all; the runtime options come from
# cmake/sanitizers.cmake through ctest's environment).
#
#   ./scripts/check-sanitizers.sh               # ASan + UBSan (what CI runs)
#   ./scripts/check-sanitizers.sh -L unit       # extra arguments go to ctest
#   SANITIZE=thread BUILD_DIR=build-tsan ./scripts/check-sanitizers.sh
#
# ThreadSanitizer is not part of CI: the library and the tool are single-
# threaded by design (one poll loop per process, signals read from a signalfd),
# so TSan has nothing to check. The `tsan` preset and SANITIZE=thread above are
# ready for the day a thread appears; add that run to .ci/run then.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=${SANITIZE:-address,undefined}
build=${BUILD_DIR:-build-asan}

./scripts/install-deps.sh
# -O1 -g without NDEBUG: asserts stay on, stacks stay readable, tests stay quick.
cmake -S . -B "$build" -G Ninja \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DDAEMONKIT_SANITIZE="$sanitize" >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "$@"
