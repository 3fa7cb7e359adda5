#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
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
#  - stop_tree.ten_thousand_term_ignoring_processes_stop_in_linear_time: under
#    ASan the monitor's sweeps of 10,000 processes are several times slower and
#    outlast the fixed 5 s kill wait (8,716 remained in one CI run), so stop
#    rightly exits 1; the plain build runs it. Fix: a kill wait that grows
#    while sweeps still make progress, then delete this entry.
#  - endurance.a_thousand_start_stop_cycles_leave_nothing_behind: 1,000 starts
#    under ASan took over its 300 s ctest timeout when run beside the
#    10,000-process test; the plain build runs it. Fix: fewer cycles under ASan.
skip=(
  'endurance\.a_thousand_respawns_leak_no_fd_no_zombie_and_no_memory$'
  'stop_tree\.ten_thousand_term_ignoring_processes_stop_in_linear_time$'
  'endurance\.a_thousand_start_stop_cycles_leave_nothing_behind$'
)
exclude=()
if [[ $sanitize == *address* ]] && ((${#skip[@]} > 0)); then
  exclude=(-E "$(IFS='|'; echo "${skip[*]}")")
  echo "check-sanitizers: skipping ${#skip[@]} test(s) that measure memory or time (see the reason in $0)"
fi
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" "${exclude[@]}" "$@"
