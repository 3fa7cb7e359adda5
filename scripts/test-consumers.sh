#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# daemonkit as a project that uses it gets it: builds and installs the
# library (static with the tool, and shared), checks what was installed, then
# builds the daemon of tests/consumers/ through each route and runs it.
#
#   find_package      installed prefix, find_package(daemonkit)  (static, shared)
#   pkg-config        installed prefix, pkg-config and make      (static, shared)
#   add_subdirectory  this source tree inside the project
#   fetchcontent      FetchContent from this repository (file://, HEAD's commit:
#                     what is not committed is not in it)
#
# Each daemon is started (it daemonizes, its pidfile in a temporary
# directory), checked (pidfile, /proc/PID/exe, `status`, its log), stopped
# with SIGTERM to the pid in its pidfile and waited for (at most 5 s). The
# first failing step stops the script with a message; exit 0 means all passed.
#
#   ./scripts/test-consumers.sh                 # everything (about 3 min on 2 cores)
#   ./scripts/test-consumers.sh pkg-config ...  # some routes (the installs always run)
#   KEEP=1 ./scripts/test-consumers.sh          # keep the temporary directory
# CXX picks the compiler (default c++); builds are unoptimized, for speed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

routes=("$@")
((${#routes[@]} > 0)) || routes=(find_package pkg-config add_subdirectory fetchcontent)
for r in "${routes[@]}"; do
  case $r in
    find_package | pkg-config | add_subdirectory | fetchcontent) ;;
    *) echo "usage: $0 [find_package|pkg-config|add_subdirectory|fetchcontent]..." >&2; exit 2 ;;
  esac
done

./scripts/install-deps.sh

start_time=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/daemonkit-consumers.XXXXXX")
# What this script started and has not seen stop yet, for the cleanup.
running_pid=""  # a consumer daemon
tool_service="" # the installed tool's service: its state dir
cleanup() {
  if [[ -n $tool_service ]]; then
    DAEMONKIT_STATE_DIR=$tool_service "$work/prefix-static/bin/daemonkit" stop consumer-tool >/dev/null 2>&1 || true
  fi
  if [[ -n $running_pid ]]; then kill -KILL "$running_pid" 2>/dev/null || true; fi
  if [[ ${KEEP:-0} == 1 ]]; then echo "test-consumers: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

fail() {
  echo "test-consumers: FAILED: $*" >&2
  exit 1
}
step() { printf "test-consumers: [%3d s] %s\n" $((SECONDS - start_time)) "$*"; }
# Runs a command with its output in LOG, shown (the end of it) only if it fails.
quietly() {
  local log=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    fail "$* (full output: $log)"
  fi
}

version=$(sed -n 's/^#define DAEMONKIT_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' include/daemonkit/version.hpp | paste -sd.)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "cannot read the version from include/daemonkit/version.hpp"
cmake_common=(-G Ninja -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_COMPILER="${CXX:-c++}")


# --- the library, installed twice -------------------------------------------

# NAME PREFIX CMAKE-ARGS...: configures, builds and installs daemonkit.
install_daemonkit() {
  local name=$1 prefix=$2
  shift 2
  step "build and install daemonkit ($name) into $prefix"
  quietly "$work/$name-configure.log" cmake -S . -B "$work/build-$name" "${cmake_common[@]}" -DDAEMONKIT_WERROR=ON \
    -DDAEMONKIT_BUILD_TESTS=OFF -DDAEMONKIT_BUILD_EXAMPLES=OFF -DDAEMONKIT_INSTALL=ON "$@"
  quietly "$work/$name-build.log" cmake --build "$work/build-$name" -j"$(nproc)"
  quietly "$work/$name-install.log" cmake --install "$work/build-$name" --prefix "$prefix"
}
static=$work/prefix-static
shared=$work/prefix-shared
install_daemonkit static "$static" -DDAEMONKIT_BUILD_TOOL=ON
install_daemonkit shared "$shared" -DDAEMONKIT_BUILD_TOOL=OFF -DBUILD_SHARED_LIBS=ON

# --- what was installed -------------------------------------------------------

step "check the installed files"
for f in include/daemonkit/daemonkit.hpp include/daemonkit/version.hpp include/daemonkit/detail/proc.hpp \
  lib/libdaemonkit.a lib/cmake/daemonkit/daemonkit-config.cmake lib/cmake/daemonkit/daemonkit-config-version.cmake \
  lib/cmake/daemonkit/daemonkit-targets.cmake lib/pkgconfig/daemonkit.pc share/doc/daemonkit/LICENSE \
  bin/daemonkit libexec/daemonkit/daemonkit-monitor; do
  [[ -f $static/$f ]] || fail "static install: no $f"
done
for f in "lib/libdaemonkit.so.$version" lib/libdaemonkit.so.0 lib/libdaemonkit.so; do
  [[ -e $shared/$f ]] || fail "shared install: no $f"
done
[[ ! -e $shared/lib/libdaemonkit.a ]] || fail "shared install: a static library too"
soname=$(readelf -d "$shared/lib/libdaemonkit.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ $soname == libdaemonkit.so.0 ]] || fail "soname is '$soname', not libdaemonkit.so.0"

# Nothing installed may send a consumer looking for the library's private
# dependencies or our build-only targets.
if grep -rilE 'nlohmann|CLI11|fmt::|daemonkit_(warnings|objects|internal)' "$static/lib" "$shared/lib" \
  --include='*.cmake' --include='*.pc'; then
  fail "the files above name a private dependency of the library"
fi
grep -q "^prefix=$static\$" "$static/lib/pkgconfig/daemonkit.pc" || fail "daemonkit.pc does not name prefix $static"
[[ $(PKG_CONFIG_PATH=$static/lib/pkgconfig pkg-config --modversion daemonkit) == "$version" ]] ||
  fail "pkg-config --modversion daemonkit is not $version"

# libdaemonkit.so exports daemonkit's names only.
leaked=$(nm -D --defined-only "$shared/lib/libdaemonkit.so" | c++filt | cut -d' ' -f3- |
  grep -vE '^((typeinfo|typeinfo name|vtable|VTT|guard variable) for )?daemonkit::' || true)
[[ -z $leaked ]] || fail "libdaemonkit.so exports names outside daemonkit::"$'\n'"$leaked"
step "  libdaemonkit.so exports $(nm -D --defined-only "$shared/lib/libdaemonkit.so" | wc -l) symbols, all daemonkit::"

# Every installed header compiles on its own with nothing but the prefix.
mapfile -t headers < <(cd "$static/include" && find daemonkit -name '*.hpp' | sort)
printf '%s\n' "${headers[@]}" | xargs -P "$(nproc)" -I{} sh -c \
  'echo "#include <{}>" | "$0" -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -I"$1/include" -x c++ - ||
   { echo "test-consumers: installed header {} does not compile on its own" >&2; exit 255; }' \
  "${CXX:-c++}" "$static" || fail "installed headers"
step "  ${#headers[@]} installed headers each compile alone"

# The installed tool runs its services under the installed monitor.
step "the installed daemonkit tool and its monitor"
[[ $("$static/bin/daemonkit" --version) == "daemonkit $version" ]] || fail "daemonkit --version does not say $version"
export DAEMONKIT_STATE_DIR=$work/tool-state DAEMONKIT_LOG_DIR=$work/tool-log
tool_service=$DAEMONKIT_STATE_DIR
quietly "$work/tool-start.log" "$static/bin/daemonkit" start --name consumer-tool -- sleep 60
monitor=$(sed -n 's/^monitor_pid=//p' "$DAEMONKIT_STATE_DIR/consumer-tool.state")
[[ $monitor =~ ^[0-9]+$ ]] || fail "no monitor_pid in $DAEMONKIT_STATE_DIR/consumer-tool.state"
exe=$(readlink "/proc/$monitor/exe" || true)
[[ $exe == "$static/libexec/daemonkit/daemonkit-monitor" ]] ||
  fail "the service's monitor is '$exe', not the installed $static/libexec/daemonkit/daemonkit-monitor"
quietly "$work/tool-stop.log" "$static/bin/daemonkit" stop consumer-tool
tool_service=""
unset DAEMONKIT_STATE_DIR DAEMONKIT_LOG_DIR

# --- the consumers ------------------------------------------------------------

# True while PID is a live process (a zombie nobody reaps yet counts as gone).
alive() { [[ -r /proc/$1/stat && $(sed 's/.*) //' "/proc/$1/stat" | cut -c1) != Z ]]; }

# Waits up to 5 s for `test CONDITION...` to hold.
wait_for() {
  local i
  for ((i = 0; i < 250; i++)); do
    "$@" && return 0
    sleep 0.02
  done
  return 1
}
gone() { ! alive "$1"; }
logged() { grep -qF "$2" "$1" 2>/dev/null; }

# ROUTE NAME BINARY: starts, checks and stops the daemon.
run_consumer() {
  local route=$1 name=$2 bin=$3
  local dir=$work/run-$name
  mkdir -p "$dir"
  local pidfile=$dir/consumer.pid log=$dir/consumer.log rc=0
  step "  run $name"
  quietly "$dir/start.out" "$bin" "$pidfile" "$log" start
  [[ -s $pidfile ]] || fail "$name: start returned 0 without a pidfile"
  local pid
  pid=$(head -n 1 "$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || fail "$name: pidfile holds '$pid'"
  running_pid=$pid
  alive "$pid" || fail "$name: no process $pid"
  [[ $(readlink "/proc/$pid/exe") == "$(readlink -f "$bin")" ]] || fail "$name: process $pid is not $bin"
  "$bin" "$pidfile" "$log" status >/dev/null || fail "$name: status of a running daemon exited $?"
  wait_for logged "$log" "consumer $route: running, daemonkit $version" || fail "$name: its log says no 'running' line"
  kill -TERM "$pid"
  wait_for gone "$pid" || fail "$name: still running 5 s after SIGTERM"
  running_pid=""
  logged "$log" "consumer $route: stopping" || fail "$name: its log says no 'stopping' line"
  [[ ! -e $pidfile ]] || fail "$name: the pidfile outlived the daemon"
  "$bin" "$pidfile" "$log" status >/dev/null || rc=$?
  ((rc == 3)) || fail "$name: status of a stopped daemon exited $rc, not 3"
}

# NAME SOURCE CMAKE-ARGS...: configures and builds a CMake consumer.
build_cmake_consumer() {
  local name=$1 src=$2
  shift 2
  quietly "$work/$name-configure.log" cmake -S "$src" -B "$work/$name" "${cmake_common[@]}" "$@"
  quietly "$work/$name-build.log" cmake --build "$work/$name" -j"$(nproc)"
}

for route in "${routes[@]}"; do
  step "route: $route"
  case $route in
    find_package)
      for kind in static shared; do
        prefix=$work/prefix-$kind
        build_cmake_consumer "find_package-$kind" tests/consumers/find_package -DCMAKE_PREFIX_PATH="$prefix"
        bin=$work/find_package-$kind/consumer
        if [[ $kind == shared ]]; then
          readelf -d "$bin" | grep -q 'NEEDED.*\[libdaemonkit.so.0\]' || fail "find_package-shared: not linked to libdaemonkit.so.0"
        fi
        run_consumer find_package "find_package-$kind" "$bin"
      done
      ;;
    pkg-config)
      for kind in static shared; do
        prefix=$work/prefix-$kind
        mkdir -p "$work/pkg-config-$kind"
        quietly "$work/pkg-config-$kind-build.log" env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" CXX="${CXX:-c++}" \
          make -C "$work/pkg-config-$kind" -f "$root/tests/consumers/pkg-config/Makefile"
        run_consumer pkg-config "pkg-config-$kind" "$work/pkg-config-$kind/consumer"
      done
      ;;
    add_subdirectory)
      build_cmake_consumer add_subdirectory tests/consumers/add_subdirectory -DDAEMONKIT_SOURCE_DIR="$root"
      run_consumer add_subdirectory add_subdirectory "$work/add_subdirectory/consumer"
      ;;
    fetchcontent)
      commit=$(git rev-parse HEAD 2>/dev/null) || fail "fetchcontent: $root is not a git checkout"
      [[ -z $(git status --porcelain --untracked-files=no) ]] ||
        step "  note: fetchcontent builds HEAD ($commit); the uncommitted changes are not in it"
      build_cmake_consumer fetchcontent tests/consumers/fetchcontent \
        -DDAEMONKIT_GIT_REPOSITORY="file://$root" -DDAEMONKIT_GIT_TAG="$commit"
      run_consumer fetchcontent fetchcontent "$work/fetchcontent/consumer"
      ;;
  esac
done

step "all passed (${routes[*]}) in $((SECONDS - start_time)) s"
