#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's demo: builds, starts the heartbeat daemon, shows its status and
# log lines, reloads it, stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_TARGETS="heartbeat daemonkit_tool" ./scripts/build.sh >/dev/null
hb=$(realpath "${BUILD_DIR:-build}/examples/heartbeat/heartbeat")
dk=$(realpath "${BUILD_DIR:-build}/tools/daemonkit/daemonkit")
dir=$(mktemp -d /tmp/daemonkit-demo.XXXXXX)
export DAEMONKIT_STATE_DIR=$dir/state DAEMONKIT_LOG_DIR=$dir/log
trap '"$hb" --pidfile "$dir/heartbeat.pid" stop >/dev/null 2>&1 || true; "$dk" stop ticker >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
args=(--pidfile "$dir/heartbeat.pid" --log "$dir/heartbeat.log" --interval 1s)

run() { printf '\n$ %s\n' "$*"; "$@"; }
run "$hb" "${args[@]}" start
run "$hb" "${args[@]}" status
run cat "$dir/heartbeat.pid"
printf '\n# waiting for three heartbeats...\n'
for _ in $(seq 50); do
  (($(grep -c 'Daemon Alive' "$dir/heartbeat.log" || true) >= 3)) && break
  sleep 0.1
done
run cat "$dir/heartbeat.log"
run "$hb" "${args[@]}" start || true
run "$hb" "${args[@]}" stop
run "$hb" "${args[@]}" status || true

printf '\n# The daemonkit tool: any program as a supervised daemon\n'
run "$dk" start --name ticker --respawn --timestamps -- sh -c 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 1; done'
run "$dk" start --name broken -- /usr/bin/does-not-exist || true
for _ in $(seq 50); do
  (($(grep -c tick "$DAEMONKIT_LOG_DIR/ticker.log" 2>/dev/null || true) >= 2)) && break
  sleep 0.1
done
run "$dk" list
run "$dk" logs ticker -n 3
run "$dk" stop ticker
run "$dk" status ticker || true
