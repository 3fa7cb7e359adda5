#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmarks of the daemonkit monitor, each reported against a baseline
# measured in the same run on the same machine (never a timed assertion):
#   idle wakeups   context switches of a monitor over an idle period (target 0)
#   stop latency   `daemonkit stop` vs `kill` + waiting for the same kind of process
#   respawn        time from a service's exit to its next instance starting
#   memory         RSS/PSS of one monitor (+ its pipe keeper) vs a plain `sleep`
#   log capture    MB/s of a fast writer through the monitor vs `writer | cat > file`
# Usage: bench/monitor.sh [path/to/daemonkit]   (default build/tools/daemonkit/daemonkit)
set -euo pipefail
cd "$(dirname "$0")/.."
dk=$(realpath "${1:-build/tools/daemonkit/daemonkit}")
work=$(mktemp -d /tmp/dk-bench.XXXXXX)
export DAEMONKIT_STATE_DIR=$work/state DAEMONKIT_LOG_DIR=$work/log
cleanup() { for n in idle stopme respawn cap; do "$dk" stop "$n" >/dev/null 2>&1 || true; done; rm -rf "$work"; }
trap cleanup EXIT
now_ns() { date +%s%N; }
field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
monitor_of() { awk -F= '$1 == "monitor_pid" { print $2 }' "$DAEMONKIT_STATE_DIR/$1.state"; }

echo "== idle wakeups (5 s idle)"
"$dk" start --name idle -- sleep 1000 >/dev/null
m=$(monitor_of idle)
before=$(( $(field "$m" voluntary_ctxt_switches) + $(field "$m" nonvoluntary_ctxt_switches) ))
sleep 5
after=$(( $(field "$m" voluntary_ctxt_switches) + $(field "$m" nonvoluntary_ctxt_switches) ))
echo "monitor context switches while idle: $((after - before))"

echo "== memory of one monitor"
pss() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"; }
rss() { field "$1" VmRSS | tr -d ' kB'; }
sleep 1000 & base=$!
keeper=$(pgrep -P "$m" -x daemonkit-keep || true)
echo "monitor RSS $(rss "$m") kB, PSS $(pss "$m") kB; keeper PSS $( [ -n "$keeper" ] && pss "$keeper" || echo 0) kB"
echo "baseline sleep RSS $(rss $base) kB, PSS $(pss $base) kB"
echo "ratio monitor PSS / sleep PSS: $(awk -v a="$(pss "$m")" -v b="$(pss $base)" 'BEGIN { printf "%.1f", a / b }')"
kill $base; wait $base 2>/dev/null || true
"$dk" stop idle >/dev/null

echo "== stop latency (service exits at once on TERM), 20 runs"
total_dk=0 total_base=0
for _ in $(seq 20); do
  "$dk" start --name stopme -- sleep 1000 >/dev/null
  t0=$(now_ns); "$dk" stop stopme >/dev/null; t1=$(now_ns)
  total_dk=$((total_dk + t1 - t0))
  sleep 1000 & p=$!
  t0=$(now_ns); kill $p; wait $p 2>/dev/null || true; t1=$(now_ns)
  total_base=$((total_base + t1 - t0))
done
echo "daemonkit stop: $((total_dk / 20 / 1000)) us; baseline kill+wait in the shell: $((total_base / 20 / 1000)) us"

echo "== respawn after a long-running instance exits (11 s run)"
"$dk" start --name respawn --respawn -- sleep 1000 >/dev/null
sleep 11  # longer than the 10 s reset interval: the next start is immediate
old=$(cat "$DAEMONKIT_STATE_DIR/respawn.pid")
t0=$(now_ns); kill "$old"
while [ "$(cat "$DAEMONKIT_STATE_DIR/respawn.pid")" = "$old" ]; do :; done
t1=$(now_ns)
echo "kill of the old instance to the new pid in the pidfile: $(((t1 - t0) / 1000)) us"
sleep 1000 & p=$!
t0=$(now_ns); kill $p; wait $p 2>/dev/null || true; sleep 0 & wait $!; t1=$(now_ns)
echo "baseline: kill + wait + fork/exec of a new process in the shell: $(((t1 - t0) / 1000)) us"
"$dk" stop respawn >/dev/null

echo "== log capture throughput (512 MiB from a fast writer)"
size=$((512 * 1024 * 1024))
t0=$(now_ns); head -c $size /dev/zero | tr '\0' 'x' | fold -w 99 | cat > "$work/base.out"; t1=$(now_ns)
base_ms=$(((t1 - t0) / 1000000))
t0=$(now_ns)
"$dk" run --name cap --log-file "$work/cap.log" -- sh -c "head -c $size /dev/zero | tr '\\0' 'x' | fold -w 99" 2>/dev/null
t1=$(now_ns)
dk_ms=$(((t1 - t0) / 1000000))
echo "baseline writer | cat > file: $((size / 1024 / 1024 * 1000 / base_ms)) MB/s; through daemonkit: $((size / 1024 / 1024 * 1000 / dk_ms)) MB/s"
echo "ratio daemonkit / baseline: $(awk -v a=$base_ms -v b=$dk_ms 'BEGIN { printf "%.2f", a / b }')"
echo "lines: baseline $(wc -l < "$work/base.out"), captured $(grep -c . "$work/cap.log")"
