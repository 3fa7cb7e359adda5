#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Static checks, in four parts; exits 1 if any part fails.
#   1. clang-tidy-14 (.clang-tidy) over every .cpp in src/ tools/ examples/,
#      with the compile commands of a build-tidy/ configure (nothing is built).
#   2. cppcheck over src/ tools/ examples/ (warning, performance, portability).
#   3. clang-format-14 --dry-run -Werror (.clang-format) over every C++ file of
#      the tree. DAEMONKIT_FORMAT_GATE=0 reports format drift without failing
#      (.ci/run sets it until the tree has been formatted in one commit).
#   4. scripts/check-spdx.sh: every source file has an
#      `SPDX-License-Identifier: MIT` line in its first 3 lines.
#
#   ./scripts/check-static.sh                 # everything (what CI runs)
#   ./scripts/check-static.sh tidy|cppcheck|format|spdx   # one part
#   clang-format-14 -i FILE...                # fix the formatting of FILEs
#
# A finding is fixed in the code, or silenced on its line with a reason:
#   // NOLINT(check-name): why         (clang-tidy)
#   // cppcheck-suppress id            (cppcheck, --inline-suppr)
# A check that is wrong for this code base is turned off in .clang-tidy with a
# reason. The lists below are the only other exceptions.
set -euo pipefail
cd "$(dirname "$0")/.."

DAEMONKIT_FORMAT_GATE=${DAEMONKIT_FORMAT_GATE:-1}
build=${TIDY_BUILD_DIR:-build-tidy}
parts=("$@")
((${#parts[@]} > 0)) || parts=(tidy cppcheck format spdx)

# Findings already reported to the lead that live in code this gate's owner
# may not edit: tolerated (and printed on every run) until their fix lands;
# an entry that no longer matches is reported as stale. One per line:
#   path|check|why
known_tidy=(
  'src/env_file.cpp|performance-inefficient-string-concatenation|key + "=" + value in the per-line loop: one temporary per entry; use reserve + append'
)
# cppcheck false positives, suppressed here because a suppression comment
# would mean editing the file. id:path (path empty: everywhere).
cppcheck_suppress=(
  # readdir() is thread-safe for distinct DIR streams in glibc, and readdir_r
  # is deprecated (glibc 2.24, POSIX 2024); the advice is wrong.
  'readdirCalled'
  # `dash` (an iterator into args) is not used after args.erase(dash, ...);
  # cppcheck 2.10 mistakes the later `command` use for it.
  'invalidContainer:tools/daemonkit/main.cpp'
)

# Files whose format drift is known and lives in code this gate's owner may
# not edit, as path|why; reported on every run (stale when the file is clean).
known_format=(
)

# clang-format-14 is not a dependency of clang-tidy-14; install it like
# scripts/install-deps.sh installs the rest.
ensure_tool() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null && return 0
  echo "check-static: installing $pkg" >&2
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
}

failed=()
section() { printf '\n== check-static: %s\n' "$1"; }

# Prints "path|check" keys of known entries matching the findings on stdin
# (lines "path:line:col: ... [check]"); fails if a finding is not known.
classify() {
  local what=$1; shift
  local -a known=("$@")
  local new=0 line path check key k matched used=()
  while IFS= read -r line; do
    [[ -n $line ]] || continue
    path=${line%%:*}
    check=$(sed -n 's/.*\[\([^],]*\)[],].*/\1/p' <<<"$line")
    matched=
    for k in "${known[@]}"; do
      key=${k%|*}
      if [[ $key == "$path|$check" ]]; then matched=$k; used+=("$key"); break; fi
    done
    if [[ -n $matched ]]; then
      echo "  known: $line"
    else
      echo "  NEW:   $line"
      new=$((new + 1))
    fi
  done
  for k in "${known[@]}"; do
    key=${k%|*}
    if [[ " ${used[*]-} " != *" $key "* ]]; then echo "  stale known entry (fixed? remove it from scripts/check-static.sh): $key"; fi
  done
  if ((new > 0)); then
    echo "check-static: $what: $new new finding(s)"
    return 1
  fi
  echo "check-static: $what: clean (apart from the known entries above, if any)"
}

run_tidy() {
  section "clang-tidy-14"
  local start=$SECONDS
  ./scripts/install-deps.sh
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    -DDAEMONKIT_BUILD_TESTS=OFF -DDAEMONKIT_BUILD_TOOL=ON -DDAEMONKIT_BUILD_EXAMPLES=ON >/dev/null
  local files
  mapfile -t files < <(find src tools examples -name '*.cpp' | sort)
  local out="$build/clang-tidy.log"
  # Runs each file on its own; a file whose compile fails shows up as a
  # clang-diagnostic-error finding.
  printf '%s\n' "${files[@]}" |
    xargs -P "$(nproc)" -n 1 clang-tidy-14 -p "$build" --quiet >"$out" 2>"$out.stderr" || true
  local findings
  findings=$(grep -E '^/[^:]+:[0-9]+:[0-9]+: (warning|error): ' "$out" | sed "s|^$PWD/||" | sort -u || true)
  echo "clang-tidy: ${#files[@]} files, $((SECONDS - start)) s (full output: $out)"
  if ! classify clang-tidy "${known_tidy[@]}" <<<"$findings"; then failed+=(clang-tidy); fi
}

run_cppcheck() {
  section "cppcheck"
  local start=$SECONDS
  local supp=() s
  for s in "${cppcheck_suppress[@]}"; do supp+=("--suppress=$s"); done
  local out
  out=$(cppcheck --enable=warning,performance,portability --library=posix --inline-suppr --error-exitcode=1 \
    --std=c++20 --language=c++ -q -j"$(nproc)" -I include -I src -I tools/daemonkit "${supp[@]}" \
    --template='{file}:{line}:{column}: {severity}: {message} [{id}]' src tools examples 2>&1) && rc=0 || rc=$?
  echo "cppcheck: $((SECONDS - start)) s"
  if ((rc != 0)) || [[ -n $out ]]; then
    [[ -n $out ]] && printf '  %s\n' "$out"
    echo "check-static: cppcheck: findings (exit $rc)"
    failed+=(cppcheck)
  else
    echo "check-static: cppcheck: clean"
  fi
}

run_format() {
  section "clang-format-14"
  ensure_tool clang-format-14 clang-format-14
  local files drift=()
  mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' '*.h' '*.cc' | sort)
  local f k known_drift=()
  for f in "${files[@]}"; do
    [[ -f $f ]] || continue
    clang-format-14 --dry-run -Werror "$f" >/dev/null 2>&1 && continue
    for k in "${known_format[@]}"; do
      [[ ${k%%|*} == "$f" ]] && { known_drift+=("$f"); continue 2; }
    done
    drift+=("$f")
  done
  for k in "${known_format[@]}"; do
    if [[ " ${known_drift[*]-} " == *" ${k%%|*} "* ]]; then
      echo "  known: ${k%%|*}: ${k#*|}"
    else
      echo "  stale known entry (formatted now? remove it from scripts/check-static.sh): ${k%%|*}"
    fi
  done
  echo "clang-format: ${#files[@]} files, ${#drift[@]} not formatted"
  if ((${#drift[@]} > 0)); then
    printf '  %s\n' "${drift[@]}"
    echo "  fix: clang-format-14 -i FILE...  (see what would change: clang-format-14 FILE | diff FILE -)"
    if ((DAEMONKIT_FORMAT_GATE)); then
      failed+=(clang-format)
    else
      echo "check-static: clang-format: report only (DAEMONKIT_FORMAT_GATE=0)"
    fi
  fi
}

run_spdx() {
  section "spdx"
  ./scripts/check-spdx.sh || failed+=(spdx)
}

for p in "${parts[@]}"; do
  case $p in
    tidy) run_tidy ;;
    cppcheck) run_cppcheck ;;
    format) run_format ;;
    spdx) run_spdx ;;
    *) echo "usage: $0 [tidy|cppcheck|format|spdx]..." >&2; exit 2 ;;
  esac
done

if ((${#failed[@]} > 0)); then
  printf '\ncheck-static: FAILED: %s\n' "${failed[*]}"
  exit 1
fi
printf '\ncheck-static: ok (%s)\n' "${parts[*]}"
