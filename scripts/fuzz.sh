#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined)
# into build-fuzz/ and runs each for SECONDS (default 30) on a scratch copy of
# its seed corpus, tests/fuzz/corpus/NAME/ (with tests/fuzz/NAME.dict as its
# libFuzzer dictionary when there is one). Fails if any target crashes, leaks,
# times out, runs out of memory or breaks one of its property checks; the
# input that did it is kept in build-fuzz/fuzz-artifacts/NAME/. The one
# exception: a crash matching tests/fuzz/known-bugs/signatures (a reported bug
# whose fix has not landed) is shown as KNOWN BUG and does not fail the run.
#
#   ./scripts/fuzz.sh                       # every target, 30 s each
#   ./scripts/fuzz.sh 3600 parse_signal     # fuzz longer: one target for an hour
#   FUZZ_JOBS=2 ./scripts/fuzz.sh 600       # two targets at a time
#
# To keep what a long run found, minimise it into the seed corpus:
#   build-fuzz/tests/fuzz/fuzz_NAME -merge=1 tests/fuzz/corpus/NAME build-fuzz/fuzz-work/NAME
# To replay a crash: build-fuzz/tests/fuzz/fuzz_NAME build-fuzz/fuzz-artifacts/NAME/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2; }
(($# > 0)) && shift
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${FUZZ_JOBS:-1}

./scripts/install-deps.sh
# -O1 -g without NDEBUG: fast enough to fuzz, asserts stay on, readable stacks.
cmake -S . -B "$build" -G Ninja \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DDAEMONKIT_FUZZ=ON -DDAEMONKIT_WERROR=ON \
  -DDAEMONKIT_BUILD_TESTS=OFF -DDAEMONKIT_BUILD_TOOL=OFF -DDAEMONKIT_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"

targets=()
if (($# > 0)); then
  for t in "$@"; do targets+=("${t#fuzz_}"); done
else
  for bin in "$build"/tests/fuzz/fuzz_*; do
    [[ -x $bin && -f $bin ]] && targets+=("$(basename "$bin" | sed 's/^fuzz_//')")
  done
fi
((${#targets[@]} > 0)) || { echo "fuzz: no fuzz targets in $build/tests/fuzz" >&2; exit 1; }

export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"

# True if the crash in log is a known, reported bug of target (see
# tests/fuzz/known-bugs/signatures).
known_bug() {
  local target=$1 log=$2 t re
  while read -r t re; do
    [[ -z $t || $t == \#* ]] && continue
    [[ $t == "$target" ]] && grep -Eq -- "$re" "$log" && return 0
  done <tests/fuzz/known-bugs/signatures
  return 1
}
export -f known_bug

# Runs one target; its log goes to build-fuzz/fuzz-logs/NAME.log.
run_one() {
  local name=$1 bin="$build/tests/fuzz/fuzz_$1"
  local work="$build/fuzz-work/$name" art="$build/fuzz-artifacts/$name" log="$build/fuzz-logs/$name.log"
  [[ -x $bin ]] || { echo "fuzz: $name: no such target ($bin)" >&2; return 1; }
  rm -rf "$work" "$art"
  mkdir -p "$work" "$art" "$(dirname "$log")"
  cp -r "tests/fuzz/corpus/$name/." "$work/"
  local dict=()
  [[ -f tests/fuzz/$name.dict ]] && dict=(-dict="tests/fuzz/$name.dict")
  # -timeout: a parser that takes 10 s on one input is a hang, not slowness.
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
      -print_final_stats=1 -artifact_prefix="$art/" "${dict[@]}" "$work" >"$log" 2>&1; then
    printf 'fuzz: %-24s ok   %s\n' "$name" "$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs"
  elif known_bug "$name" "$log"; then
    printf 'fuzz: %-24s KNOWN BUG, tolerated (tests/fuzz/known-bugs/README.md; log: %s)\n' "$name" "$log"
    grep -E 'runtime error|^SUMMARY' "$log" | head -n 2 | sed 's/^/      /'
  else
    printf 'fuzz: %-24s FAIL (log: %s)\n' "$name" "$log"
    grep -E 'ERROR: |runtime error|fuzz property violated|^SUMMARY' "$log" | head -n 5 | sed 's/^/      /'
    for a in "$art"/*; do
      [[ -e $a ]] && echo "      reproduce: $bin $a"
    done
    return 1
  fi
}
export -f run_one
export build seconds

echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $jobs at a time"
if printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$1"' _ {}; then
  echo "fuzz: all targets ok"
else
  echo "fuzz: FAILED (see above)" >&2
  exit 1
fi
