#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# How long `daemonkit stop` takes for a service of N processes that ignore
# SIGTERM (so every stop ends in the KILL phase), against a baseline measured
# in the same run: the kernel alone killing and reaping N processes (fork N
# children that pause, SIGKILL each, reap each). Issue 8 item 5's target: N =
# 10,000 returns within 2 s after the stop timeout. Reports, never fails.
#
#   bench/stop_tree.sh [N...]                  # default: 1000 3000 10000
#   DK=/path/to/daemonkit DK_BEFORE=/path/to/old/daemonkit bench/stop_tree.sh 1000
#   BUILD_DIR=build-k bench/stop_tree.sh       # binaries from that build
#
# Needs root for N above `ulimit -u` (root is not bound by RLIMIT_NPROC), and
# room under /proc/sys/kernel/pid_max. DK_BEFORE is only run for N <= 1000
# unless DK_BEFORE_MAX says otherwise: an O(N^2) stop of 10,000 takes hours.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
dk=${DK:-$build/tools/daemonkit/daemonkit}
child=${CHILD:-$build/tests/dk_test_child}
before=${DK_BEFORE:-}
before_max=${DK_BEFORE_MAX:-1000}
sizes=("$@")
((${#sizes[@]} > 0)) || sizes=(1000 3000 10000)
for f in "$dk" "$child" ${before:+"$before"}; do
  [[ -x $f ]] || { echo "stop_tree.sh: $f is not an executable (build it, or set DK/CHILD/BUILD_DIR)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/dk-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export DAEMONKIT_STATE_DIR=$work/state DAEMONKIT_LOG_DIR=$work/log
mkdir -m 700 "$DAEMONKIT_STATE_DIR" "$DAEMONKIT_LOG_DIR"

# Seconds the kernel takes to SIGKILL and reap n paused children of one
# process (the test child's kill-cost mode).
kernel_floor() { "$child" kill-cost "$1"; }

# Starts a service of n TERM-ignoring processes with binary $1, waits (on its
# log, bounded) until all exist, and prints how long the stop took, in
# seconds: until `stop` returned and the monitor was gone (an old `stop` gives
# up waiting after the stop timeout + 15 s while its monitor goes on).
time_stop() {
  local bin=$1 n=$2 name=$3
  local log=$DAEMONKIT_LOG_DIR/$name.log
  rm -f "$log"
  "$bin" start --name "$name" --stop-timeout 1s -- "$child" fork-many "$n" >/dev/null || return 1
  if ! timeout 900 grep -q -m1 '^ready$' <(tail -F "$log" 2>/dev/null); then
    echo "stop_tree.sh: the service did not fork $n processes" >&2
    "$bin" stop "$name" >/dev/null 2>&1 || true
    return 1
  fi
  local monitor t0 t1 rc=0
  monitor=$(sed -n 's/^monitor_pid=//p' "$DAEMONKIT_STATE_DIR/$name.state")
  t0=$(date +%s.%N)
  "$bin" stop "$name" >"$work/out" 2>&1 || rc=$?
  timeout 3600 tail --pid="$monitor" -s 0.05 -f /dev/null || true
  t1=$(date +%s.%N)
  ((rc == 0)) || echo "stop_tree.sh: $name: stop exited $rc: $(cat "$work/out")" >&2
  echo "$t1 - $t0" | bc
}

printf '%-7s %-12s %-14s %-16s %s\n' N kernel_s stop_s after_timeout_s ratio_to_kernel
for n in "${sizes[@]}"; do
  floor=$(kernel_floor "$n")
  if [[ -n $before ]] && ((n <= before_max)); then
    took=$(time_stop "$before" "$n" "before$n") &&
      printf '%-7s %-12s %-14.2f %-16.2f %.2f (before)\n' "$n" "$floor" "$took" "$(echo "$took - 1" | bc)" \
        "$(echo "scale=3; ($took - 1) / $floor" | bc)"
  fi
  took=$(time_stop "$dk" "$n" "after$n") &&
    printf '%-7s %-12s %-14.2f %-16.2f %.2f\n' "$n" "$floor" "$took" "$(echo "$took - 1" | bc)" \
      "$(echo "scale=3; ($took - 1) / $floor" | bc)"
done
