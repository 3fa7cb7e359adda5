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

# Tests that cannot mean anything under a sanitizer, each with the reason and
# what would let it run here; empty is the goal. Nothing else is skipped.
#  - endurance.a_thousand_respawns_leak_no_fd_no_zombie_and_no_memory: asserts
#    that the monitor's VmRSS grows by <= 1 MiB over 1,000 respawns, but ASan
#    keeps freed blocks in its quarantine (up to 256 MiB), so RSS grows by
#    ~50 MiB without any leak (LeakSanitizer is the leak check in this build).
#    Fix in the test: skip only the RSS assertion when built with ASan
#    (__SANITIZE_ADDRESS__ / __has_feature(address_sanitizer)), then delete
#    this entry.
skip=(
  'endurance\.a_thousand_respawns_leak_no_fd_no_zombie_and_no_memory$'
)
exclude=()
if [[ $sanitize == *address* ]] && ((${#skip[@]} > 0)); then
  exclude=(-E "$(IFS='|'; echo "${skip[*]}")")
  echo "check-sanitizers: skipping ${#skip[@]} test(s) that measure memory (see the reason in $0)"
fi
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "${exclude[@]}" "$@"
